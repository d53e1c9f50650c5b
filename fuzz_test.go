package mcusim

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"mcusim/models/datadir"
	"mcusim/models/tflite"
	"mcusim/sim/wasmrun"
)

// The fuzz targets below go past the parser: whatever bytes parse as a model
// must then lower, plan, estimate, compile and run without a panic, every
// error must be one line, and a run that succeeds must be bit-exact with the
// reference executor (the two executors are each other's oracle). Seeds: the
// hand-built models of models/tflite/testdata/crafted and the small .tflite
// files of the shared data folder. Run them with -fuzzminimizetime 0 (make
// fuzz), as the parser's target explains.

// fuzzSeedLimit keeps the large shared models out of the seeds: each fuzz
// execution must stay in the milliseconds.
const fuzzSeedLimit = 128 << 10

func addFuzzSeeds(f *testing.F, withSeed bool) {
	crafted, err := filepath.Glob(filepath.Join("models", "tflite", "testdata", "crafted", "*.tflite"))
	if err != nil || len(crafted) == 0 {
		f.Fatalf("no crafted seed models (%v)", err)
	}
	paths := crafted
	if root, err := datadir.Find(); err == nil {
		for _, sub := range []string{"tflite-micro", "mlperf-tiny", "mcunet"} {
			m, _ := filepath.Glob(filepath.Join(root, sub, "*.tflite"))
			paths = append(paths, m...)
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || st.Size() > fuzzSeedLimit {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if withSeed {
			f.Add(data, uint64(1))
		} else {
			f.Add(data)
		}
	}
}

// oneLineErr fails the test when err spans lines.
func oneLineErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && strings.ContainsAny(err.Error(), "\r\n") {
		t.Fatalf("%s: error on several lines: %q", what, err)
	}
}

// fuzzMACLimit and fuzzBytesLimit bound the models the fuzz targets plan with
// --auto and run: larger ones are valid inputs but too slow per execution.
const (
	fuzzMACLimit   = 4 << 20
	fuzzBytesLimit = 1 << 20
)

func smallEnough(g *Graph) bool {
	if g.MACs() > fuzzMACLimit || len(g.Ops) > 64 {
		return false
	}
	for _, t := range g.Tensors {
		if t.Bytes() > fuzzBytesLimit {
			return false
		}
	}
	return true
}

// FuzzPlanEstimate: parse → lower → plan with every planner (layer-based, and
// --auto where the planner supports patches) → estimate on a board with every
// kernel style.
//
//	go test -run '^$' -fuzz FuzzPlanEstimate -fuzztime 10m -fuzzminimizetime 0 .
func FuzzPlanEstimate(f *testing.F) {
	addFuzzSeeds(f, false)
	board, err := FindBoard("stm32f746", "")
	if err != nil {
		f.Fatal(err)
	}
	var ests []*Estimator
	for _, s := range Styles() {
		e, err := NewEstimator(board, s, EstimatorOptions{})
		if err != nil {
			f.Fatal(err)
		}
		ests = append(ests, e)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := tflite.Parse(data, "fuzz")
		if err != nil {
			return
		}
		for _, p := range Planners() {
			_, err := Memory(g, PlanOptions{Planner: p})
			oneLineErr(t, "plan "+p, err)
			if smallEnough(g) && (p == PlannerTinyEngine || p == PlannerAnalytic) {
				_, err := Memory(g, PlanOptions{Planner: p, Auto: true})
				oneLineErr(t, "plan --auto "+p, err)
			}
		}
		for _, e := range ests {
			// A fresh session per input would re-create pricers; the graph is
			// new for every input, so the shared session's cache never serves
			// a stale lowering.
			_, err := e.Estimate(ctx, g)
			oneLineErr(t, "estimate", err)
		}
	})
}

// FuzzRun: parse → plan → compile → run the generated kernels under wazero for
// every kernel style, beside the reference executor, on the random input that
// seed draws; a successful run must be bit-exact.
//
//	go test -run '^$' -fuzz FuzzRun -fuzztime 10m -fuzzminimizetime 0 .
func FuzzRun(f *testing.F) {
	addFuzzSeeds(f, true)
	ctx := context.Background()
	var (
		once   sync.Once
		runner *wasmrun.Runner
		rerr   error
	)
	f.Cleanup(func() {
		if runner != nil {
			runner.Close(ctx)
		}
	})
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		g, err := tflite.Parse(data, "fuzz")
		if err != nil || !smallEnough(g) {
			return
		}
		once.Do(func() { runner, rerr = wasmrun.NewRunner(ctx, "") })
		if rerr != nil {
			t.Fatal(rerr)
		}
		for _, s := range Styles() {
			rep, err := Run(ctx, g, RunOptions{Style: s, Runner: runner, Verify: true, Seed: seed})
			oneLineErr(t, "run "+s.String(), err)
			if err == nil && !rep.BitExact {
				t.Fatalf("style %s: kernels and reference executor disagree", s)
			}
		}
	})
}
