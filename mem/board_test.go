package mem

import "testing"

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

func TestBankAtAndFlash(t *testing.T) {
	b := Board{
		Banks: []Bank{{Name: "DTCM", Base: 0x2000_0000, Size: kib(64)}, {Name: "SRAM1", Base: 0x2001_0000, Size: kib(240)}},
		Flash: Flash{Base: 0x0800_0000, Size: kib(1024), ITCMAlias: 0x0020_0000},
	}
	for _, c := range []struct {
		addr uint64
		bank string
	}{{0x2000_0000, "DTCM"}, {0x2000_FFFF, "DTCM"}, {0x2001_0000, "SRAM1"}, {0x2004_BFFF, "SRAM1"}, {0x2004_C000, ""}, {0, ""}} {
		k, ok := b.BankAt(c.addr)
		if ok != (c.bank != "") || k.Name != c.bank {
			t.Errorf("BankAt(%#x) = %q, %v; want %q", c.addr, k.Name, ok, c.bank)
		}
	}
	if b.TotalSRAM() != kib(304) {
		t.Errorf("TotalSRAM = %d", b.TotalSRAM())
	}
	for addr, want := range map[uint64]bool{0x0800_0000: true, 0x080F_FFFF: true, 0x0810_0000: false, 0x0020_0000: true, 0x002F_FFFF: true, 0x0030_0000: false, 0: false} {
		if got := b.Flash.Contains(addr); got != want {
			t.Errorf("Flash.Contains(%#x) = %v, want %v", addr, got, want)
		}
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
