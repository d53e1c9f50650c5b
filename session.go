package mcusim

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"mcusim/engine/plan"
	"mcusim/mem"
	"mcusim/models"
	"mcusim/sim"
	"mcusim/sim/wasmrun"
)

// EstimatorOptions configure an estimator session: everything but the board,
// the kernel style and the model.
type EstimatorOptions struct {
	// Plan selects the schedule. Estimates price the executed TinyEngine
	// placement, so the planner must be tinyengine (the default). Every plan
	// goes through engine.PlanExecution: --auto keeps executable schedules and a
	// TinyEngine allocation that would clobber is replaced by the strict one.
	Plan PlanOptions
	// ClockMHz is the core clock; 0 = the board's maximum.
	ClockMHz int
	// CountByExecution runs the generated kernels under wazero and prices the
	// measured block counts instead of the closed form; the cycles are
	// identical (tests prove it), it is the slow path.
	CountByExecution bool
	// WeightSeed seeds the synthetic weights that execution needs for models
	// without weights (zoo, JSON); unused by the closed form.
	WeightSeed int64
	// NoLayers leaves the per-layer tables out (Plan.Layers, Estimate.Layers):
	// the labelling mode of a NAS loop, which reads only the totals. Totals are
	// the same with and without.
	NoLayers bool
	// CacheDir keeps the compiled modules of CountByExecution across
	// processes ("" = in memory only; see CompilationCacheDir).
	CacheDir string
	// Runner, when set, runs the kernels of CountByExecution (and keeps its
	// compilation cache across sessions); the session then does not close it.
	Runner *wasmrun.Runner
}

// maxLowered bounds the lowered models an Estimator keeps: a NAS loop that
// estimates a stream of fresh graphs must not grow the cache without limit.
const maxLowered = 256

// Estimator is an estimate session for one board, kernel style and set of
// options: the path every latency and energy estimate takes (the CLI's
// estimate, fit and validate, NAS labels). It lowers each model once and keeps
// a pool of pricers, so an estimate costs a plan, the closed-form count and the
// pricing. It is safe for concurrent use.
//
// Lowered models are cached by the *Graph pointer: a graph must not be modified
// after it was given to the session (load or build a new one instead). The
// cache keeps the most recent maxLowered graphs.
type Estimator struct {
	board *Board
	style Style
	opt   EstimatorOptions
	po    sim.PriceOptions

	pricers sync.Pool // *sim.Pricer: a Pricer is not safe for concurrent use

	mu    sync.Mutex
	progs map[*Graph]*lowered
	order []*Graph // insertion order, for eviction

	runnerOnce sync.Once
	runner     *wasmrun.Runner
	ownRunner  bool
	runnerErr  error
}

// lowered is one model's lowering, done once however many goroutines ask.
type lowered struct {
	once  sync.Once
	graph *Graph // the graph the program was lowered from (with weights under CountByExecution)
	prog  *plan.Program
	err   error
}

// NewEstimator opens an estimate session for a board and a kernel style (the
// zero Style is tinyengine).
func NewEstimator(board *Board, style Style, opt EstimatorOptions) (*Estimator, error) {
	if board == nil {
		return nil, fmt.Errorf("a board is required (see mcusim boards)")
	}
	if err := style.Valid(); err != nil {
		return nil, err
	}
	if opt.Plan.Planner == "" {
		opt.Plan.Planner = plan.PlannerTinyEngine
	}
	if pr, err := plan.PlannerByName(opt.Plan.Planner); err != nil || !pr.Capabilities().Executable {
		return nil, fmt.Errorf("estimates price the executed TinyEngine placement; use --planner tinyengine (memory reports other conventions)")
	}
	if opt.ClockMHz < 0 || opt.ClockMHz > board.ClockMHz {
		return nil, fmt.Errorf("--clock %d is outside 1..%d MHz for %s", opt.ClockMHz, board.ClockMHz, board.ID)
	}
	opt.Plan.NoLayers = opt.NoLayers
	e := &Estimator{board: board, style: style, opt: opt, progs: map[*Graph]*lowered{},
		po: sim.PriceOptions{Board: board, ClockMHz: opt.ClockMHz, Style: style, NoLayers: opt.NoLayers}}
	// A first pricer checks the board's core and cost overrides now rather
	// than on the first estimate.
	p, err := sim.NewPricer(e.po)
	if err != nil {
		return nil, err
	}
	e.pricers.Put(p)
	return e, nil
}

// Close releases the kernel runner that CountByExecution started.
func (e *Estimator) Close(ctx context.Context) error {
	if e.runner != nil && e.ownRunner {
		return e.runner.Close(ctx)
	}
	return nil
}

// lower returns the session's lowering of g, lowering it on first use.
func (e *Estimator) lower(g *Graph) (*lowered, error) {
	e.mu.Lock()
	l := e.progs[g]
	if l == nil {
		l = &lowered{}
		e.progs[g] = l
		e.order = append(e.order, g)
		if len(e.order) > maxLowered {
			delete(e.progs, e.order[0])
			e.order = e.order[1:]
		}
	}
	e.mu.Unlock()
	l.once.Do(func() {
		l.graph = g
		if e.opt.CountByExecution {
			// Execution needs weights; the synthetic ones plan exactly like
			// the placeholders (planning reads shapes only).
			if l.graph, l.err = models.Synthesize(g, e.opt.WeightSeed); l.err != nil {
				return
			}
		}
		l.prog, l.err = plan.Lower(l.graph)
	})
	return l, l.err
}

// Estimate plans a model, counts its blocks (closed form, or by running the
// kernels under CountByExecution) and prices them on the session's board. A
// model that does not fit is reported as OOM, as the papers print it, without a
// latency.
func (e *Estimator) Estimate(ctx context.Context, g *Graph) (*EstimateReport, error) {
	l, err := e.lower(g)
	if err != nil {
		return nil, err
	}
	popt := e.opt.Plan
	if popt.Auto && popt.Objective == plan.ObjectiveLatency {
		// The search prices its candidates through this session's pricers.
		popt.Latency = &sessionPricing{e}
	}
	pl, note, err := l.prog.PlanExecution(popt)
	if err != nil {
		return nil, err
	}
	rep := &EstimateReport{Model: g.Name, Board: e.board.ID, Style: e.style, Planner: pl.Planner,
		Schedule: pl.Schedule, Patch: pl.Patch, PeakSRAM: pl.PeakSRAM, InputUse: pl.InputUse, Flash: pl.Flash, MACs: pl.MACs,
		Source: "closed form", PlanNote: note}
	rep.Fit = CheckFit(pl, e.board)
	rep.Fits = rep.Fit.Fits
	if !rep.Fits {
		return rep, nil
	}
	p, _ := e.pricers.Get().(*sim.Pricer)
	if p == nil {
		if p, err = sim.NewPricer(e.po); err != nil {
			return nil, err
		}
	}
	defer e.pricers.Put(p)
	if !e.opt.CountByExecution {
		rep.Estimate, err = p.PriceEach(pl)
		if err != nil {
			return oom(rep, err)
		}
		return rep, nil
	}
	r, err := e.kernelRunner(ctx)
	if err != nil {
		return nil, err
	}
	execs, err := countByExecution(ctx, l.graph, pl, e.style, r)
	if err != nil {
		return nil, err
	}
	rep.Source = "execution"
	if rep.Estimate, err = p.Price(pl, execs); err != nil {
		return oom(rep, err)
	}
	return rep, nil
}

// oom turns a pricing error into the report's verdict when the regions the
// estimate places (arena and scratch; the input is inside the arena or,
// under plan.InputStream, outside SRAM) do not all fit the board's SRAM banks although the peak alone fits:
// an out-of-memory result, reported as CheckFit reports one. Other errors
// stay errors.
func oom(rep *EstimateReport, err error) (*EstimateReport, error) {
	if !errors.Is(err, mem.ErrNoFit) {
		return nil, err
	}
	rep.Estimate = nil
	rep.Fits, rep.Fit.Fits, rep.Fit.SRAMFits = false, false, false
	rep.Fit.Verdict = "OOM (SRAM: " + errors.Unwrap(err).Error() + ")"
	return rep, nil
}

func (e *Estimator) kernelRunner(ctx context.Context) (*wasmrun.Runner, error) {
	e.runnerOnce.Do(func() {
		if e.opt.Runner != nil {
			e.runner = e.opt.Runner
			return
		}
		e.runner, e.runnerErr = wasmrun.NewRunner(ctx, e.opt.CacheDir)
		e.ownRunner = e.runnerErr == nil
	})
	return e.runner, e.runnerErr
}

// EstimateResult is one model's outcome in a batch.
type EstimateResult struct {
	Report *EstimateReport
	Err    error
}

// EstimateBatch estimates many models, fanned out over GOMAXPROCS workers;
// results come back in the order of graphs. The same graph may appear more
// than once. A cancelled context stops the remaining work; their results carry
// the context's error.
func (e *Estimator) EstimateBatch(ctx context.Context, graphs []*Graph) []EstimateResult {
	out := make([]EstimateResult, len(graphs))
	fanOut(len(graphs), func(i int) { out[i] = e.estimateOne(ctx, graphs[i]) })
	return out
}

// fanOut calls work(i) for i in [0, n) on min(GOMAXPROCS, n) goroutines, each
// taking the next index, and returns when all are done. Callers write results
// by index, so the order of the input is kept.
func fanOut(n int, work func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			work(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				work(i)
			}
		}()
	}
	wg.Wait()
}

func (e *Estimator) estimateOne(ctx context.Context, g *Graph) EstimateResult {
	if err := ctx.Err(); err != nil {
		return EstimateResult{Err: err}
	}
	rep, err := e.Estimate(ctx, g)
	return EstimateResult{Report: rep, Err: err}
}

// sessionPricing prices the --auto search's candidates through an
// estimator session's pricers (plan.LatencyPricer).
type sessionPricing struct{ e *Estimator }

// LatencyMS prices pl on the session's board and style.
func (sp *sessionPricing) LatencyMS(pl *plan.Plan) (float64, error) {
	e := sp.e
	p, _ := e.pricers.Get().(*sim.Pricer)
	if p == nil {
		var err error
		if p, err = sim.NewPricer(e.po); err != nil {
			return 0, err
		}
	}
	defer e.pricers.Put(p)
	est, err := p.PriceEach(pl)
	if err != nil {
		return 0, err
	}
	return est.LatencyMS, nil
}
