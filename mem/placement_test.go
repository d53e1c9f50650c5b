package mem

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// spanString renders spans as "DTCM 64 KiB + SRAM1 136 KiB".
func spanString(spans []Span) string {
	s := make([]string, len(spans))
	for i, p := range spans {
		s[i] = p.Bank + " " + sizeString(p.Bytes)
	}
	return strings.Join(s, " + ")
}

func TestCostModelPlacement(t *testing.T) {
	for _, c := range []struct {
		board                 string
		arena, scratch, input int
		arenaIn               string // spans of the arena
		scratchIn, inputIn    string
	}{
		// STM32F746: DTCM 64 + SRAM1 240 + SRAM2 16 KiB touch (cortex-m.md §6).
		{"stm32f746", kib(64), 0, 0, "DTCM 64 KiB", "", ""},
		{"stm32f746", kib(32), kib(4), 0, "DTCM 32 KiB", "DTCM 4 KiB", ""},
		{"stm32f746", kib(64), kib(4), kib(20), "DTCM 64 KiB", "SRAM1 4 KiB", "SRAM1 20 KiB"},
		{"stm32f746", kib(200), kib(8), 0, "DTCM 64 KiB + SRAM1 136 KiB", "SRAM1 8 KiB", ""},
		{"stm32f746", kib(320), 0, 0, "DTCM 64 KiB + SRAM1 240 KiB + SRAM2 16 KiB", "", ""},
		// Nothing but the ITCM is left for the input: the last resort.
		{"stm32f746", kib(316), kib(4), kib(10), "DTCM 64 KiB + SRAM1 240 KiB + SRAM2 12 KiB", "SRAM2 4 KiB", "ITCM-RAM 10 KiB"},
		// STM32H743: DTCM 128 KiB alone, AXI-SRAM 512 KiB alone, D2 SRAM1–3 288 KiB.
		{"stm32h743", kib(400), kib(8), kib(30), "AXI-SRAM 400 KiB", "DTCM 8 KiB", "DTCM 30 KiB"},
		{"stm32h743", kib(128), 0, 0, "DTCM 128 KiB", "", ""},
		{"stm32h743", kib(100), kib(8), 0, "DTCM 100 KiB", "DTCM 8 KiB", ""},
		// AXI-SRAM and D2 SRAM are priced alike: the tie goes to AXI.
		{"stm32h743", kib(200), 0, 0, "AXI-SRAM 200 KiB", "", ""},
		{"stm32h743", kib(512), kib(16), 0, "AXI-SRAM 512 KiB", "DTCM 16 KiB", ""},
		// STM32F412: one 256 KiB SRAM.
		{"stm32f412", kib(200), kib(8), kib(30), "SRAM 200 KiB", "SRAM 8 KiB", "SRAM 30 KiB"},
		// STM32L4R5: SRAM1+SRAM2+SRAM3 touch; all 0-wait, lower address first.
		{"stm32l4r5", kib(300), 0, 0, "SRAM1 192 KiB + SRAM2 64 KiB + SRAM3 44 KiB", "", ""},
	} {
		b := shipped(t, c.board)
		cm, err := b.CostModel(0, c.arena, c.scratch, c.input, Placement{})
		if err != nil {
			t.Errorf("%s arena %d scratch %d input %d: %v", c.board, c.arena, c.scratch, c.input, err)
			continue
		}
		for _, r := range []struct {
			region Region
			want   string
		}{
			{RegionArena, c.arenaIn}, {RegionScratch, c.scratchIn}, {RegionInput, c.inputIn},
		} {
			if got := spanString(cm.Spans[r.region]); got != r.want {
				t.Errorf("%s arena %s scratch %s input %s: %s in %q, want %q", c.board,
					sizeString(c.arena), sizeString(c.scratch), sizeString(c.input), r.region, got, r.want)
			}
		}
		// Placement names the bank each region starts in.
		for _, r := range []struct {
			region Region
			got    string
		}{
			{RegionArena, cm.Placement.Arena}, {RegionScratch, cm.Placement.Scratch}, {RegionInput, cm.Placement.Input},
		} {
			want := ""
			if s := cm.Spans[r.region]; len(s) > 0 {
				want = s[0].Bank
			}
			if r.got != want {
				t.Errorf("%s: Placement of %s = %q, want %q", c.board, r.region, r.got, want)
			}
		}
	}
}

// Spans are contiguous, inside their banks, disjoint across regions, and add
// up to the region sizes.
func TestCostModelSpansConsistent(t *testing.T) {
	for _, b := range shippedBoards(t) {
		_, run := b.ArenaRegion()
		arena := run / 2
		cm, err := b.CostModel(0, arena, kib(2), kib(3), Placement{})
		if err != nil {
			t.Errorf("%s: %v", b.ID, err)
			continue
		}
		type iv struct{ lo, hi uint64 }
		var all []iv
		for region, want := range map[Region]int{RegionArena: arena, RegionScratch: kib(2), RegionInput: kib(3)} {
			n := 0
			for i, s := range cm.Spans[region] {
				bi := slices.IndexFunc(b.Banks, func(k Bank) bool { return s.Base >= k.Base && s.Base < k.End() })
				ok := bi >= 0
				var k Bank
				if ok {
					k = b.Banks[bi]
				}
				if !ok || k.Name != s.Bank || s.Base+uint64(s.Bytes) > k.End() || s.Bytes <= 0 {
					t.Errorf("%s %s: span %+v outside bank %+v", b.ID, region, s, k)
				}
				if prev := cm.Spans[region]; i > 0 && prev[i-1].Base+uint64(prev[i-1].Bytes) != s.Base {
					t.Errorf("%s %s: spans not contiguous: %+v", b.ID, region, prev)
				}
				n += s.Bytes
				all = append(all, iv{s.Base, s.Base + uint64(s.Bytes)})
			}
			if n != want {
				t.Errorf("%s %s: spans hold %d bytes, want %d", b.ID, region, n, want)
			}
		}
		for i := range all {
			for j := range i {
				if all[i].lo < all[j].hi && all[j].lo < all[i].hi {
					t.Errorf("%s: regions overlap: %+v", b.ID, cm.Spans)
				}
			}
		}
	}
}

// Passing back an automatic Placement reproduces the layout.
func TestCostModelPlacementRoundTrip(t *testing.T) {
	for _, b := range shippedBoards(t) {
		_, run := b.ArenaRegion()
		auto, err := b.CostModel(0, run*3/4, kib(1), kib(2), Placement{})
		if err != nil {
			t.Errorf("%s: %v", b.ID, err)
			continue
		}
		again, err := b.CostModel(0, run*3/4, kib(1), kib(2), auto.Placement)
		if err != nil {
			t.Errorf("%s forced %+v: %v", b.ID, auto.Placement, err)
			continue
		}
		if !reflect.DeepEqual(auto.Spans, again.Spans) || !reflect.DeepEqual(auto.ReadStall, again.ReadStall) {
			t.Errorf("%s: forced %+v gives %v, automatic gave %v", b.ID, auto.Placement, again.Spans, auto.Spans)
		}
	}
}

func TestCostModelForcedPlacement(t *testing.T) {
	f746 := shipped(t, "stm32f746")
	// Forcing SRAM1 keeps the arena out of DTCM (names match case-insensitively).
	cm, err := f746.CostModel(0, kib(100), kib(4), 0, Placement{Arena: "sram1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := spanString(cm.Spans[RegionArena]); got != "SRAM1 100 KiB" || cm.Placement.Arena != "SRAM1" {
		t.Errorf("forced SRAM1: arena in %q (%q)", got, cm.Placement.Arena)
	}
	if got := spanString(cm.Spans[RegionScratch]); got != "DTCM 4 KiB" {
		t.Errorf("forced SRAM1: scratch in %q, want the free DTCM", got)
	}
	if cm.ReadStall[RegionArena] != 0.25 {
		t.Errorf("arena in SRAM1 read stall %v, want 0.25", cm.ReadStall[RegionArena])
	}
	// A forced region is placed before the automatic ones.
	cm, err = f746.CostModel(0, kib(200), kib(4), 0, Placement{Scratch: "DTCM"})
	if err != nil {
		t.Fatal(err)
	}
	if got := spanString(cm.Spans[RegionArena]); got != "DTCM 60 KiB + SRAM1 140 KiB" {
		t.Errorf("scratch forced into DTCM: arena in %q", got)
	}
	if s := cm.Spans[RegionScratch]; len(s) != 1 || s[0].Base != 0x2000_0000 {
		t.Errorf("scratch forced into DTCM: %+v", s)
	}
	// A forced region runs on into the banks that follow without a gap.
	cm, err = f746.CostModel(0, kib(100), 0, 0, Placement{Arena: "DTCM"})
	if err != nil {
		t.Fatal(err)
	}
	if got := spanString(cm.Spans[RegionArena]); got != "DTCM 64 KiB + SRAM1 36 KiB" {
		t.Errorf("forced DTCM 100 KiB: %q", got)
	}
	// The ITCM takes data when named.
	cm, err = f746.CostModel(0, kib(100), 0, kib(8), Placement{Input: "ITCM-RAM"})
	if err != nil {
		t.Fatal(err)
	}
	if got := spanString(cm.Spans[RegionInput]); got != "ITCM-RAM 8 KiB" || cm.ReadStall[RegionInput] != 0 {
		t.Errorf("input forced into ITCM: %q, stall %v", got, cm.ReadStall[RegionInput])
	}

	for _, c := range []struct {
		name                  string
		arena, scratch, input int
		pl                    Placement
		noFit                 bool
		phrase                string
	}{
		{"unknown bank", kib(10), 0, 0, Placement{Arena: "SRAM3"}, false,
			`arena placement: unknown bank "SRAM3" on stm32f746; banks: ITCM-RAM, DTCM, SRAM1, SRAM2`},
		{"unknown bank for an empty region", kib(10), 0, 0, Placement{Input: "AXI"}, false, `input placement: unknown bank "AXI"`},
		{"too big for the last bank", kib(20), 0, 0, Placement{Arena: "SRAM2"}, true,
			"arena of 20 KiB does not fit in SRAM from bank SRAM2 on stm32f746: 16 KiB free there"},
		{"too big for the run", kib(400), 0, 0, Placement{Arena: "DTCM"}, true, "320 KiB free there"},
		{"bank already full", kib(64), kib(1), 0, Placement{Arena: "DTCM", Scratch: "DTCM"}, true,
			"scratch of 1 KiB does not fit in SRAM from bank DTCM on stm32f746: 0 KiB free there"},
		{"ITCM too small", kib(10), 0, kib(17), Placement{Input: "ITCM-RAM"}, true, "input of 17 KiB does not fit"},
	} {
		_, err := f746.CostModel(0, c.arena, c.scratch, c.input, c.pl)
		if err == nil || !strings.Contains(err.Error(), c.phrase) || errors.Is(err, ErrNoFit) != c.noFit {
			t.Errorf("%s: error %v, want one containing %q (ErrNoFit %v)", c.name, err, c.phrase, c.noFit)
		}
	}
}

func TestCostModelNoFit(t *testing.T) {
	for _, c := range []struct {
		board                 string
		arena, scratch, input int
		phrase                string
	}{
		{"stm32f746", kib(321), 0, 0, "arena of 321 KiB does not fit in SRAM on stm32f746: the largest free contiguous run is 320 KiB from DTCM at 0x2000_0000"},
		{"stm32f746", kib(320), kib(17), 0, "scratch of 17 KiB does not fit in SRAM on stm32f746: the largest free contiguous run is 16 KiB from ITCM-RAM"},
		{"stm32h743", kib(513), 0, 0, "arena of 513 KiB does not fit in SRAM on stm32h743: the largest free contiguous run is 512 KiB from AXI-SRAM"},
		{"stm32f412", kib(256) + 1, 0, 0, "arena of 262145 B does not fit in SRAM on stm32f412"},
		{"stm32f412", kib(200), kib(30), kib(30), "input of 30 KiB does not fit in SRAM on stm32f412: the largest free contiguous run is 26 KiB"},
	} {
		_, err := shipped(t, c.board).CostModel(0, c.arena, c.scratch, c.input, Placement{})
		if !errors.Is(err, ErrNoFit) || !strings.Contains(err.Error(), c.phrase) {
			t.Errorf("%s %d/%d/%d: error %v, want ErrNoFit containing %q", c.board, c.arena, c.scratch, c.input, err, c.phrase)
		}
	}
	if _, err := (&Board{ID: "empty", ClockMHz: 100}).CostModel(0, 1, 0, 0, Placement{}); !errors.Is(err, ErrNoFit) || !strings.Contains(err.Error(), "no free SRAM") {
		t.Errorf("board without banks: %v", err)
	}
}

// A region's traffic goes to its banks in proportion to its share of each
// (uniform access), in whole bytes that add up to the region's traffic.
func TestSplitByBank(t *testing.T) {
	f746 := shipped(t, "stm32f746")
	// 242 KiB arena: DTCM 64 KiB + SRAM1 178 KiB; scratch in SRAM1; no input.
	cm, err := f746.CostModel(0, kib(242), kib(4), 0, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(cm.Banks, ","), "flash,ITCM-RAM,DTCM,SRAM1,SRAM2"; got != want {
		t.Fatalf("banks %s, want %s", got, want)
	}
	if got := spanString(cm.Spans[RegionArena]); got != "DTCM 64 KiB + SRAM1 178 KiB" {
		t.Fatalf("arena in %s", got)
	}
	per := make([]Traffic, len(cm.Banks))
	// 242 000 bytes read: DTCM ⌊242000·64/242⌋ = 64000, SRAM1 the rest; 1001
	// written: DTCM ⌊1001·64/242⌋ = 264, SRAM1 737.
	if !cm.SplitByBank(RegionArena, Traffic{Read: 242000, Write: 1001}, per) {
		t.Fatal("arena not placed")
	}
	if !cm.SplitByBank(RegionFlash, Traffic{Read: 5000}, per) || !cm.SplitByBank(RegionScratch, Traffic{Read: 7, Write: 3}, per) {
		t.Fatal("flash or scratch not placed")
	}
	want := []Traffic{{5000, 0}, {0, 0}, {64000, 264}, {178000 + 7, 737 + 3}, {0, 0}}
	if !reflect.DeepEqual(per, want) {
		t.Errorf("per bank %v, want %v", per, want)
	}
	// Traffic in a region that was not placed is refused; none is no-op.
	if cm.SplitByBank(RegionInput, Traffic{Read: 1}, per) || !cm.SplitByBank(RegionInput, Traffic{}, per) {
		t.Error("input region: want false for traffic, true for none")
	}
	// Conservation and proportion on every board, odd sizes included.
	for _, b := range shippedBoards(t) {
		_, run := b.ArenaRegion()
		cm, err := b.CostModel(0, run-13, 0, 0, Placement{})
		if err != nil {
			t.Errorf("%s: %v", b.ID, err)
			continue
		}
		for _, tr := range []Traffic{{1, 0}, {3, 7}, {999_999_937, 123_457}, {1 << 62, 1 << 40}} {
			per := make([]Traffic, len(cm.Banks))
			cm.SplitByBank(RegionArena, tr, per)
			var sum Traffic
			for _, s := range cm.Spans[RegionArena] {
				got := per[slices.Index(cm.Banks, s.Bank)]
				exact := float64(tr.Read) * float64(s.Bytes) / float64(run-13)
				if math.Abs(float64(got.Read)-exact) > 1+1e-12*exact {
					t.Errorf("%s %s: %d bytes read of %d, proportional share %.1f", b.ID, s.Bank, got.Read, tr.Read, exact)
				}
			}
			for _, p := range per {
				sum.Read += p.Read
				sum.Write += p.Write
			}
			if sum != tr {
				t.Errorf("%s: banks add up to %v, region had %v", b.ID, sum, tr)
			}
		}
	}
}
