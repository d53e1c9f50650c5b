package bench

import (
	"context"
	"testing"

	"mcusim/engine/codegen"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/models"
	"mcusim/models/zoo"
	"mcusim/sim/wasmrun"
)

// in3 returns mcunet-in3 with synthetic weights, its layer-based TinyEngine plan
// and a random input.
func in3(b *testing.B) (*models.Graph, *plan.Plan, []byte) {
	g, err := zoo.Load("mcunet-in3")
	if err != nil {
		b.Fatal(err)
	}
	if g, err = models.Synthesize(g, 0); err != nil {
		b.Fatal(err)
	}
	pl, err := plan.PlanMemory(g, plan.Options{Planner: plan.PlannerTinyEngine})
	if err != nil {
		b.Fatal(err)
	}
	in := make([]byte, g.Input().Bytes())
	for i := range in {
		in[i] = byte(i * 7)
	}
	return g, pl, in
}

// BenchmarkRun measures one inference of mcunet-in3 (81.8M MACs) under wazero,
// in counting mode and in verify mode, per kernel style; it reports MMAC/s.
// Targets: counting ≥ 150 MMAC/s; verify no more than 5× slower.
func BenchmarkRun(b *testing.B) {
	g, pl, in := in3(b)
	ctx := context.Background()
	r, err := wasmrun.NewRunner(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(ctx)
	for _, style := range kernels.Styles() {
		for _, verify := range []bool{false, true} {
			name := style.String() + "/counting"
			if verify {
				name = style.String() + "/verify"
			}
			b.Run(name, func(b *testing.B) {
				c, err := codegen.Compile(g, pl, codegen.CompileOptions{Style: style, Verify: verify})
				if err != nil {
					b.Fatal(err)
				}
				var wall float64
				for b.Loop() {
					res, err := r.Run(ctx, c, [][]byte{in})
					if err != nil {
						b.Fatal(err)
					}
					wall += res.Wall.Seconds()
				}
				b.ReportMetric(float64(pl.MACs)*float64(b.N)/wall/1e6, "MMAC/s")
			})
		}
	}
}

// BenchmarkCompile measures code generation plus wazero compilation of
// mcunet-in3: cold (a fresh compilation cache each time) and cached (the same
// runner and module again). Target: under 300 ms cold, near zero when cached.
func BenchmarkCompile(b *testing.B) {
	g, pl, _ := in3(b)
	ctx := context.Background()
	b.Run("codegen", func(b *testing.B) {
		for b.Loop() {
			if _, err := codegen.Compile(g, pl, codegen.CompileOptions{Style: kernels.StyleTinyEngine}); err != nil {
				b.Fatal(err)
			}
		}
	})
	c, err := codegen.Compile(g, pl, codegen.CompileOptions{Style: kernels.StyleTinyEngine})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("codegen+wazero/cold", func(b *testing.B) {
		for b.Loop() {
			c, err := codegen.Compile(g, pl, codegen.CompileOptions{Style: kernels.StyleTinyEngine})
			if err != nil {
				b.Fatal(err)
			}
			r, err := wasmrun.NewRunner(ctx, "")
			if err != nil {
				b.Fatal(err)
			}
			if err := r.Precompile(ctx, c); err != nil {
				b.Fatal(err)
			}
			r.Close(ctx)
		}
	})
	r, err := wasmrun.NewRunner(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(ctx)
	if err := r.Precompile(ctx, c); err != nil {
		b.Fatal(err)
	}
	b.Run("wazero/cached", func(b *testing.B) {
		for b.Loop() {
			if err := r.Precompile(ctx, c); err != nil {
				b.Fatal(err)
			}
		}
	})
}
