package mem

import (
	"math"
	"strings"
	"testing"
)

func kib(n int) int { return n * 1024 }

func TestArenaRegion(t *testing.T) {
	for _, c := range []struct {
		name     string
		banks    []Bank
		wantBase uint64
		wantSize int
	}{
		{"none", nil, 0, 0},
		// The STM32F746 layout (cortex-m.md §6): three touching banks merge to 320 KiB.
		{"f746", []Bank{
			{Name: "ITCM", Base: 0, Size: kib(16)},
			{Name: "DTCM", Base: 0x2000_0000, Size: kib(64)},
			{Name: "SRAM1", Base: 0x2001_0000, Size: kib(240)},
			{Name: "SRAM2", Base: 0x2004_C000, Size: kib(16)},
		}, 0x2000_0000, kib(320)},
		// A gap of one byte splits a run.
		{"gap", []Bank{
			{Name: "A", Base: 0x1000, Size: kib(4)},
			{Name: "B", Base: 0x2001, Size: kib(4)},
		}, 0x1000, kib(4)},
		// Unsorted input and a tie: the lower address wins.
		{"unsorted tie", []Bank{
			{Name: "HI", Base: 0x3000_0000, Size: kib(8)},
			{Name: "LO", Base: 0x2000_0000, Size: kib(8)},
		}, 0x2000_0000, kib(8)},
	} {
		b := Board{Banks: c.banks}
		base, size := b.ArenaRegion()
		if base != c.wantBase || size != c.wantSize {
			t.Errorf("%s: ArenaRegion = %#x, %d; want %#x, %d", c.name, base, size, c.wantBase, c.wantSize)
		}
	}
}

func TestTotalSRAM(t *testing.T) {
	b := Board{Banks: []Bank{{Name: "DTCM", Base: 0x2000_0000, Size: kib(64)}, {Name: "SRAM1", Base: 0x2001_0000, Size: kib(240)}}}
	if b.TotalSRAM() != kib(304) {
		t.Errorf("TotalSRAM = %d", b.TotalSRAM())
	}
}

func TestClone(t *testing.T) {
	b := Board{ID: "x", Banks: []Bank{{Name: "A"}}, Sources: []string{"s"}, CostOverrides: map[string]float64{"ldr": 2},
		Flash: Flash{WaitStateMHz: []int{30, 60}}}
	c := b.Clone()
	c.Banks[0].Name = "B"
	c.Sources[0] = "t"
	c.CostOverrides["ldr"] = 3
	c.Flash.WaitStateMHz[0] = 1
	if b.Banks[0].Name != "A" || b.Sources[0] != "s" || b.CostOverrides["ldr"] != 2 || b.Flash.WaitStateMHz[0] != 30 {
		t.Errorf("Clone shares memory with the original: %+v", b)
	}
}

// P(f) = V·(I_static + k·f) from the datasheet; a measured figure at f_max is
// scaled along I(f); a figure known at f_max only, or none, is an error with
// the reason.
func TestPowerAt(t *testing.T) {
	ds := Board{ID: "ds", ClockMHz: 100, SupplyV: 3, RunUAPerMHz: 100, RunStaticMA: 2, PowerBasis: PowerDatasheet}
	ds.PowerMW = 3 * (2 + 100*100/1000.0) // what the parser stores: V·I(f_max) = 36 mW
	for _, c := range []struct {
		f    int
		want float64
	}{{0, 36}, {100, 36}, {50, 3 * (2 + 5)}, {1, 3 * (2 + 0.1)}} {
		if got, err := ds.PowerAt(c.f); err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("datasheet P(%d) = %g (%v), want %g", c.f, got, err, c.want)
		}
	}
	meas := Board{ID: "meas", ClockMHz: 120, PowerMW: 41, RunUAPerMHz: 110, PowerBasis: PowerMeasured}
	if got, _ := meas.PowerAt(60); math.Abs(got-20.5) > 1e-12 {
		t.Errorf("measured, no static current: P(60) = %g, want 41 × 60/120", got)
	}
	meas.RunStaticMA = 6.6 // I(120) = 19.8 mA, I(60) = 13.2 mA
	if got, _ := meas.PowerAt(60); math.Abs(got-41*13.2/19.8) > 1e-12 {
		t.Errorf("measured with static current: P(60) = %g, want %g", got, 41*13.2/19.8)
	}
	only := Board{ID: "only", ClockMHz: 120, PowerMW: 41, PowerBasis: PowerMeasured}
	if p, err := only.PowerAt(120); err != nil || p != 41 {
		t.Errorf("at f_max: %g, %v", p, err)
	}
	if _, err := only.PowerAt(60); err == nil || !strings.Contains(err.Error(), "known at 120 MHz only") {
		t.Errorf("no slope: %v", err)
	}
	none := Board{ID: "none", ClockMHz: 120, PowerUnknown: "no datasheet"}
	if _, err := none.PowerAt(60); err == nil || !strings.Contains(err.Error(), "no datasheet") {
		t.Errorf("unknown: %v", err)
	}
	if n := meas.PowerNote(60); !strings.Contains(n, "measured") || !strings.Contains(n, "I(60)/I(120)") {
		t.Errorf("note: %q", n)
	}
}
