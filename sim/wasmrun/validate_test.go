package wasmrun_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"mcusim/engine/codegen"
	"mcusim/engine/kernels"
	"mcusim/engine/plan"
	"mcusim/models"
	"mcusim/models/zoo"
)

// TestGeneratedModulesValidate runs wabt's wasm-validate (Debian package wabt,
// installed by `make tools`) on the modules generated for several models, in
// every kernel style, layer- and patch-based, with and without verify checks.
func TestGeneratedModulesValidate(t *testing.T) {
	tool, err := exec.LookPath("wasm-validate")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("wasm-validate is not installed (make tools installs the Debian package wabt)")
		}
		t.Skip("wasm-validate is not installed; make tools installs it")
	}
	dir := t.TempDir()
	for _, name := range []string{"mcunet-vww1", "mcunet-in0", "mbv2-w0.35-r144"} {
		g, err := zoo.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if g, err = models.Synthesize(g, 0); err != nil {
			t.Fatal(err)
		}
		for _, opt := range []plan.Options{{Planner: plan.PlannerTinyEngine}, {Planner: plan.PlannerTinyEngine, Auto: true, Sound: true}} {
			pl, err := plan.PlanMemory(g, opt)
			if err != nil {
				t.Fatal(err)
			}
			for _, style := range kernels.Styles() {
				for _, verify := range []bool{false, true} {
					c, err := codegen.Compile(g, pl, codegen.CompileOptions{Style: style, Verify: verify})
					if err != nil {
						t.Fatalf("%s %s: %v", name, style, err)
					}
					p := filepath.Join(dir, "m.wasm")
					if err := os.WriteFile(p, c.Wasm, 0o644); err != nil {
						t.Fatal(err)
					}
					if out, err := exec.Command(tool, p).CombinedOutput(); err != nil {
						t.Errorf("%s %s %s verify=%v: wasm-validate: %v\n%s", name, pl.Schedule, style, verify, err, out)
					}
				}
			}
		}
	}
}
