package isa_test

import (
	"math"
	"strings"
	"testing"

	"mcusim/isa"
	"mcusim/mem"
)

// cycRange is a cycles-per-MAC range, inclusive.
type cycRange struct{ lo, hi float64 }

// The kernel inner loops of cortex-m.md §4 and §5, with the instruction counts
// of their rows, priced per core and compared with the rows' analytic
// cycles-per-MAC. The table numbers are not fitted to these loops; the mixes
// follow one rule: loads the row lists together form one back-to-back run
// (first Load, the others LoadPipelined, M4TRM §3.3.2 rule 1). No interlock
// events are counted: the loops carry four independent accumulators, and the
// §4/§5 figures assume none. Zero-wait-state memory (MemCost{}).
var kernels = []struct {
	name string
	macs float64
	mix  isa.Mix
	m4   cycRange // cortex-m.md range for the Cortex-M4
	m7   cycRange // cortex-m.md range for the Cortex-M7, or the honest range where it cannot be met
}{
	{
		// §4 row arm_nn_mat_mult_kernel_s8_s16.c, per 4 input elements:
		// 2 LDR (weights) + 4 SXTB16 + 4 LDR (im2col int16×2) + 8 SMLAD + SUBS/BNE.
		// Priced: M4 24 cycles, M7 10 (the 20 instructions at issue width 2).
		name: "cmsis-nn mat_mult_kernel_s8_s16",
		macs: 16,
		mix:  isa.Mix{isa.Load: 2, isa.LoadPipelined: 4, isa.DSP: 4, isa.MAC: 8, isa.ALU: 1, isa.BranchTaken: 1},
		m4:   cycRange{22.0 / 16, 27.0 / 16}, // §4: 22–27 / 16 = 1.4–1.7
		m7:   cycRange{9.0 / 16, 11.0 / 16},  // §4: 9–11 / 16 = 0.55–0.7
	},
	{
		// §4 row arm_nn_mat_mult_nt_t_s8.c, per 4 input elements: 4 LDR + 8 SXTB16
		// + 8 SMLAD, unrolled ×4 (SUBS/BNE once per 4 steps).
		// Priced: M4 22 cycles; if no two of the loads were adjacent it would be
		// 25 (1.56), so §4's 22–23 presumes the loads run back to back.
		// M7: §4 says 8–9 / 16 = 0.5–0.6, which no dual-issue schedule reaches:
		// 20.5 instructions need at least 20.5 / 2 = 10.25 cycles (LLVM-M7
		// issue width 2). The table gives exactly that bound, 0.64 cycles/MAC;
		// the test asserts it instead of §4's range.
		name: "cmsis-nn mat_mult_nt_t_s8",
		macs: 16,
		mix:  isa.Mix{isa.Load: 1, isa.LoadPipelined: 3, isa.DSP: 8, isa.MAC: 8, isa.ALU: 0.25, isa.BranchTaken: 0.25},
		m4:   cycRange{22.0 / 16, 23.0 / 16}, // §4: 22–23 / 16 ≈ 1.4
		m7:   cycRange{20.0 / 2 / 16, 0.65},  // issue-width bound; §4's 0.5–0.6 is below it
	},
	{
		// §5 row mat_mult_s16_unloop8 / _funroll: int16 weights from kbuf, no SXTB16:
		// 4 weight LDR + 4 im2col LDR + 8 SMLAD per 16 MACs; loop overhead
		// excluded as the row's counts exclude it (fully unrolled variants).
		// Priced: M4 18 cycles. M7: §5 gives no figure; one SMLAD per cycle
		// (LLVM-M7, JNK) bounds it at 0.5, which the table reaches.
		name: "tinyengine s16 kbuf",
		macs: 16,
		mix:  isa.Mix{isa.Load: 2, isa.LoadPipelined: 6, isa.MAC: 8},
		m4:   cycRange{1.0, 1.2},  // §5: M4 ≈ 1.0–1.2
		m7:   cycRange{0.5, 0.55}, // MAC-pipe bound (no §5 figure)
	},
	{
		// §4 row arm_depthwise_conv_3x3_s8.c, per tap × 4 channels: 2 LDR +
		// 2 SXTAB16 + 2 SXTB16 + 4 SMLABB/SMLATT = 10 instructions / 4 MACs, plus
		// the row's "boundary checks per tap", priced as one CMP and one
		// not-taken conditional branch [ESTIMATE of what a check compiles to].
		// The requantizations after the 9 taps are outside the row's 3–3.5.
		// Priced: M4 13 cycles, M7 6.
		name: "cmsis-nn depthwise_conv_3x3_s8",
		macs: 4,
		mix:  isa.Mix{isa.Load: 1, isa.LoadPipelined: 1, isa.DSP: 4, isa.MAC: 4, isa.ALU: 1, isa.BranchNotTaken: 1},
		m4:   cycRange{3, 3.5}, // §4: M4 3–3.5
		m7:   cycRange{1.5, 2}, // §4: M7 1.5–2
	},
}

func TestKernelCyclesPerMAC(t *testing.T) {
	m4, m7, m33 := isa.NewCortexM4(), isa.NewCortexM7(), isa.NewCortexM33()
	for _, k := range kernels {
		t.Run(k.name, func(t *testing.T) {
			c4 := m4.Cycles(&k.mix, isa.MemCost{}) / k.macs
			c7 := m7.Cycles(&k.mix, isa.MemCost{}) / k.macs
			c33 := m33.Cycles(&k.mix, isa.MemCost{}) / k.macs
			t.Logf("cycles/MAC: M4 %.4g (want %.4g–%.4g), M7 %.4g (want %.4g–%.4g), M33 %.4g",
				c4, k.m4.lo, k.m4.hi, c7, k.m7.lo, k.m7.hi, c33)
			inRange(t, "cortex-m4", c4, k.m4)
			inRange(t, "cortex-m7", c7, k.m7)
			// cortex-m.md §3 and §7.5: the M33 runs these loops at M4 issue
			// costs with single-cycle loads and cheaper taken branches, so it
			// is no slower than the M4 and, single-issue, needs at least one
			// cycle per instruction.
			inRange(t, "cortex-m33", c33, cycRange{k.mix.Instructions() / k.macs, c4})
		})
	}
}

func inRange(t *testing.T, core string, got float64, want cycRange) {
	t.Helper()
	const eps = 1e-9
	if got < want.lo-eps || got > want.hi+eps {
		t.Errorf("%s: %.4g cycles/MAC, want %.4g–%.4g", core, got, want.lo, want.hi)
	}
}

// TestDualIssueBounds checks each term of the Cortex-M7 formula on a mix that
// only that term limits.
func TestDualIssueBounds(t *testing.T) {
	m7 := isa.NewCortexM7()
	for _, tc := range []struct {
		name string
		mix  isa.Mix
		want float64
	}{
		{"empty", isa.Mix{}, 0},
		{"ALU pairs: issue width", isa.Mix{isa.ALU: 10}, 5},
		{"one MAC pipe", isa.Mix{isa.MAC: 6, isa.ALU: 2}, 6},
		{"MAC and store share a pipe", isa.Mix{isa.MAC: 4, isa.Store: 4}, 8},
		{"DSP in slot 0 only", isa.Mix{isa.DSP: 6, isa.MAC: 2}, 6},
		{"one shifter", isa.Mix{isa.ALUShifted: 4, isa.ALU: 2}, 4},
		{"half the loads pair", isa.Mix{isa.Load: 4, isa.LoadPipelined: 4}, 6},
		{"loads pair with MACs", isa.Mix{isa.Load: 4, isa.MAC: 4}, 4},
		{"one FP pipe", isa.Mix{isa.FPALU: 3, isa.FPMAC: 2, isa.ALU: 1}, 5},
		{"single-issue adds", isa.Mix{isa.Div: 1, isa.ALU: 2, isa.LoadDouble: 2}, 7 + 1 + 2},
		{"LDM of 4 registers", isa.Mix{isa.LoadMultiple: 1, isa.MultipleReg: 4}, 2},
		{"interlocks add", isa.Mix{isa.ALU: 2, isa.LoadUse: 1, isa.MulUse: 1, isa.FPUse: 1}, 1 + 1 + 1 + 2},
		{"loop exit mispredicts", isa.Mix{isa.LoopExit: 1}, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := m7.Cycles(&tc.mix, isa.MemCost{}); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("Cycles(%v) = %v, want %v", tc.mix, got, tc.want)
			}
		})
	}
}

func TestMemCostAdds(t *testing.T) {
	mix := isa.Mix{isa.Load: 2, isa.MAC: 2}
	mc := isa.MemCost{LoadStall: 3, StoreStall: 0.5, FetchStall: 1.5}
	for _, tab := range []*isa.Table{isa.NewCortexM4(), isa.NewCortexM7(), isa.NewCortexM33()} {
		t.Run(tab.Core(), func(t *testing.T) {
			if got, want := tab.Cycles(&mix, mc), tab.Cycles(&mix, isa.MemCost{})+5; got != want {
				t.Errorf("with stalls %v, want %v", got, want)
			}
		})
	}
}

func TestByName(t *testing.T) {
	for _, core := range mem.Cores {
		t.Run(string(core), func(t *testing.T) {
			tab, err := isa.ByName(string(core))
			if err != nil {
				t.Fatal(err)
			}
			if tab.Core() != string(core) {
				t.Errorf("Core() = %q", tab.Core())
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		_, err := isa.ByName("cortex-m0")
		if err == nil || !strings.Contains(err.Error(), `unknown core "cortex-m0"; supported cores: cortex-m4, cortex-m7, cortex-m33`) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestWithOverrides(t *testing.T) {
	kernel := isa.Mix{isa.Load: 2, isa.LoadPipelined: 4, isa.DSP: 4, isa.MAC: 8, isa.ALU: 1, isa.BranchTaken: 1}
	for _, tc := range []struct {
		name      string
		overrides map[string]float64
		want      float64 // M4 cycles of kernel, when err is ""
		err       string
	}{
		{"none", nil, 24, ""},
		{"mac 2", map[string]float64{"mac": 2}, 32, ""},
		{"free loads", map[string]float64{"load": 1, "load_pipelined": 0}, 18, ""},
		{"mnemonic is not a class", map[string]float64{"smlad": 1}, 0, `cost override "smlad": unknown instruction class; classes: alu, alu_shifted,`},
		{"negative", map[string]float64{"mac": -1}, 0, "cost override mac = -1: want a finite number of cycles ≥ 0"},
		{"NaN", map[string]float64{"dsp": math.NaN()}, 0, "cost override dsp = NaN"},
		{"all errors", map[string]float64{"ldr": 1, "mac": -1}, 0, `"ldr": unknown`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := isa.NewCortexM4()
			tab, err := base.WithOverrides(tc.overrides)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tab.Cycles(&kernel, isa.MemCost{}); got != tc.want {
				t.Errorf("cycles %v, want %v", got, tc.want)
			}
			if got := base.Cycles(&kernel, isa.MemCost{}); got != 24 {
				t.Errorf("the base table changed: %v cycles", got)
			}
			for name, v := range tc.overrides {
				c, _ := isa.ParseClass(name)
				if got, src := tab.Cost(c); got != v || !strings.Contains(src, "cost_overrides") {
					t.Errorf("Cost(%s) = %v, %q", c, got, src)
				}
			}
		})
	}
	t.Run("M7 override keeps the pipe", func(t *testing.T) {
		tab, err := isa.NewCortexM7().WithOverrides(map[string]float64{"mac": 2})
		if err != nil {
			t.Fatal(err)
		}
		if got := tab.Cycles(&isa.Mix{isa.MAC: 4, isa.ALU: 4}, isa.MemCost{}); got != 8 {
			t.Errorf("cycles %v, want 8 (MAC pipe busy 2 × 4)", got)
		}
	})
}

func TestClassNames(t *testing.T) {
	cs := isa.Classes()
	if len(cs) != isa.NumClasses {
		t.Fatalf("%d classes, want %d", len(cs), isa.NumClasses)
	}
	seen := map[string]bool{}
	for i, c := range cs {
		name := c.String()
		if int(c) != i || seen[name] || name == "" || strings.HasPrefix(name, "Class(") {
			t.Errorf("class %d: name %q", i, name)
		}
		seen[name] = true
		if back, err := isa.ParseClass(name); err != nil || back != c {
			t.Errorf("ParseClass(%q) = %v, %v", name, back, err)
		}
	}
	if _, err := isa.ParseClass("SMLAD"); err == nil {
		t.Error("ParseClass accepted a mnemonic")
	}
	if got := isa.Class(-1).String(); got != "Class(-1)" {
		t.Errorf("Class(-1).String() = %q", got)
	}
}

func TestMix(t *testing.T) {
	step := isa.Mix{isa.Load: 1, isa.MAC: 2}
	exit := isa.Mix{isa.ALU: 1, isa.LoopExit: 1}
	var m isa.Mix
	m.Add(&step, 4)
	m.Add(&exit, 1)
	if got, want := m.String(), "alu 1, mac 8, load 4, loop_exit 1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	pop := isa.Mix{isa.LoadMultiple: 1, isa.MultipleReg: 4, isa.LoadUse: 1, isa.ALU: 2}
	if got := pop.Instructions(); got != 3 {
		t.Errorf("Instructions() = %v, want 3", got)
	}
	if got := (isa.Mix{}).String(); got != "empty" {
		t.Errorf("empty mix prints %q", got)
	}
}

func TestHooks(t *testing.T) {
	mix := isa.Mix{isa.MAC: 8, isa.DSP: 4}
	var calls int
	var core, stall float64
	tab := isa.NewCortexM7().WithHooks(isa.Hooks{Priced: func(m *isa.Mix, c, s float64) {
		calls++
		core, stall = c, s
		if m != &mix {
			t.Error("hook got another mix")
		}
	}})
	total := tab.Cycles(&mix, isa.MemCost{LoadStall: 2})
	if calls != 1 || core != 8 || stall != 2 || total != 10 {
		t.Errorf("calls %d, core %v, stall %v, total %v", calls, core, stall, total)
	}
}

func BenchmarkCycles(b *testing.B) {
	mix := kernels[0].mix
	for _, tab := range []*isa.Table{isa.NewCortexM4(), isa.NewCortexM7(), isa.NewCortexM33()} {
		b.Run(tab.Core(), func(b *testing.B) {
			var sum float64
			for b.Loop() {
				sum += tab.Cycles(&mix, isa.MemCost{LoadStall: 1})
			}
			if sum <= 0 {
				b.Fatal(sum)
			}
		})
	}
}
