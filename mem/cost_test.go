package mem

import (
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

// shippedBoards parses the board database the binary embeds.
func shippedBoards(t *testing.T) []Board {
	t.Helper()
	data, err := os.ReadFile("../boards.toml")
	if err != nil {
		t.Fatal(err)
	}
	boards, err := ParseBoards(data, "boards.toml")
	if err != nil {
		t.Fatal(err)
	}
	return boards
}

func shipped(t *testing.T, id string) *Board {
	t.Helper()
	b, err := Find(shippedBoards(t), id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFlashWaitStates(t *testing.T) {
	for _, c := range []struct {
		board    string
		clockMHz int
		want     int
	}{
		{"stm32f746", 216, 7}, // cortex-m.md §6
		{"stm32f746", 0, 7},   // 0 = the board's maximum
		{"stm32f746", 120, 3}, // 30 MHz per WS: ⌈120/30⌉−1
		{"stm32f746", 121, 4},
		{"stm32f746", 30, 0},
		{"stm32f746", 31, 1},
		{"stm32f746", 240, 8}, // above the rating: proportional, ⌈240·8/216⌉−1
		{"stm32f412", 100, 3}, // cortex-m.md §6: ≤30 0, ≤64 1, ≤90 2, ≤100 3
		{"stm32f412", 64, 1},
		{"stm32f412", 65, 2},
		{"stm32f412", 90, 2},
		{"stm32h743", 480, 4}, // ACLK 240: cortex-m.md §6
		{"stm32h743", 450, 3}, // ACLK 225
		{"stm32h743", 400, 2}, // ACLK 200 (the STZOO H747 clock)
		{"stm32h743", 280, 1},
		{"stm32h7a3", 280, 6}, // cortex-m.md §6: 253–280 MHz
		{"stm32h7a3", 252, 5},
		{"stm32l4r5", 120, 5},
		{"stm32l4r5", 80, 3},
		{"stm32u575", 160, 4},
		{"stm32u575", 100, 3},
		{"nrf5340", 128, 3}, // no table: proportional, ⌈f·4/128⌉−1
		{"nrf5340", 64, 1},
		{"nrf5340", 32, 0},
	} {
		if got := shipped(t, c.board).FlashWaitStates(c.clockMHz); got != c.want {
			t.Errorf("%s.FlashWaitStates(%d) = %d, want %d", c.board, c.clockMHz, got, c.want)
		}
	}
}

// On every shipped board the wait states are the database value at the
// maximum clock, never negative, and never fall as the clock rises.
func TestFlashWaitStatesMonotone(t *testing.T) {
	for _, b := range shippedBoards(t) {
		if got := b.FlashWaitStates(b.ClockMHz); got != b.Flash.WaitStates {
			t.Errorf("%s: %d wait states at %d MHz, database says %d", b.ID, got, b.ClockMHz, b.Flash.WaitStates)
		}
		prev := 0
		for f := 1; f <= 2*b.ClockMHz; f++ {
			ws := b.FlashWaitStates(f)
			if ws < prev {
				t.Errorf("%s: %d wait states at %d MHz after %d below", b.ID, ws, f, prev)
				break
			}
			prev = ws
		}
	}
}

func TestCostModelBadArguments(t *testing.T) {
	b := shipped(t, "stm32f746")
	for _, c := range []struct {
		clock, arena, scratch, input int
		phrase                       string
	}{
		{217, kib(1), 0, 0, "clock 217 MHz is above the stm32f746 maximum of 216 MHz"},
		{-1, kib(1), 0, 0, "must be positive"},
		{0, -1, 0, 0, "arena size -1 bytes: must not be negative"},
		{0, 0, -1, 0, "scratch size -1"},
		{0, 0, 0, -5, "input size -5"},
	} {
		if _, err := b.CostModel(c.clock, c.arena, c.scratch, c.input, Placement{}); err == nil || !strings.Contains(err.Error(), c.phrase) {
			t.Errorf("CostModel(%d, %d, %d, %d): %v, want %q", c.clock, c.arena, c.scratch, c.input, err, c.phrase)
		}
	}
}

// The key property of the model (cortex-m.md §7.4): the clock changes the
// cycles only through the flash wait states. At any clock the SRAM side and
// the placement are those at the maximum clock, and two clocks with the same
// wait states price everything identically.
func TestCostModelClockOnlyThroughWaitStates(t *testing.T) {
	for _, b := range shippedBoards(t) {
		_, run := b.ArenaRegion()
		arena, scratch, input := run/2, kib(2), kib(3)
		top, err := b.CostModel(0, arena, scratch, input, Placement{})
		if err != nil {
			t.Fatalf("%s: %v", b.ID, err)
		}
		byWS := map[int]*CostModel{}
		for f := 1; f <= b.ClockMHz; f++ {
			cm, err := b.CostModel(f, arena, scratch, input, Placement{})
			if err != nil {
				t.Fatalf("%s at %d MHz: %v", b.ID, f, err)
			}
			if cm.ClockMHz != f || cm.FlashWS != b.FlashWaitStates(f) {
				t.Fatalf("%s at %d MHz: model says %d MHz, %d WS", b.ID, f, cm.ClockMHz, cm.FlashWS)
			}
			if !reflect.DeepEqual(cm.Spans, top.Spans) || cm.Placement != top.Placement || !reflect.DeepEqual(cm.WriteStall, top.WriteStall) || cm.ReuseBytes != top.ReuseBytes {
				t.Fatalf("%s at %d MHz: placement or writes depend on the clock", b.ID, f)
			}
			for _, r := range []Region{RegionArena, RegionScratch, RegionInput} {
				if cm.ReadStall[r] != top.ReadStall[r] {
					t.Fatalf("%s at %d MHz: %s read stall %v, %v at the maximum clock", b.ID, f, r, cm.ReadStall[r], top.ReadStall[r])
				}
			}
			if prev, ok := byWS[cm.FlashWS]; ok {
				if !reflect.DeepEqual(prev.ReadStall, cm.ReadStall) {
					t.Fatalf("%s: %d and %d MHz have %d WS but price differently: %v vs %v", b.ID, prev.ClockMHz, f, cm.FlashWS, prev.ReadStall, cm.ReadStall)
				}
			} else {
				byWS[cm.FlashWS] = cm
			}
		}
		// More wait states never make flash cheaper.
		for ws, cm := range byWS {
			for ws2, cm2 := range byWS {
				if ws < ws2 && cm.ReadStall[RegionFlash] > cm2.ReadStall[RegionFlash] {
					t.Errorf("%s: flash stall %v at %d WS > %v at %d WS", b.ID, cm.ReadStall[RegionFlash], ws, cm2.ReadStall[RegionFlash], ws2)
				}
			}
		}
	}
	// The example of the brief: on the F746, 200 and 210 MHz both need 6 WS.
	b := shipped(t, "stm32f746")
	a, _ := b.CostModel(200, kib(200), kib(8), 0, Placement{})
	c, _ := b.CostModel(210, kib(200), kib(8), 0, Placement{})
	if a.FlashWS != 6 || c.FlashWS != 6 || !reflect.DeepEqual(a.ReadStall, c.ReadStall) || !reflect.DeepEqual(a.WriteStall, c.WriteStall) {
		t.Errorf("F746 at 200 / 210 MHz: %d / %d WS, read %v / %v", a.FlashWS, c.FlashWS, a.ReadStall, c.ReadStall)
	}
}

// Every shipped board prices a small module: all regions present, stalls
// finite and non-negative, notes given.
func TestCostModelEveryShippedBoard(t *testing.T) {
	boards := shippedBoards(t)
	if len(boards) < 10 {
		t.Fatalf("only %d boards parsed", len(boards))
	}
	for _, b := range boards {
		for _, sizes := range [][3]int{{kib(16), kib(2), kib(4)}, {kib(16), 0, 0}, {0, 0, 0}} {
			cm, err := b.CostModel(0, sizes[0], sizes[1], sizes[2], Placement{})
			if err != nil {
				t.Errorf("%s %v: %v", b.ID, sizes, err)
				continue
			}
			if cm.ClockMHz != b.ClockMHz || cm.FlashWS != b.Flash.WaitStates {
				t.Errorf("%s: %d MHz %d WS, want %d, %d", b.ID, cm.ClockMHz, cm.FlashWS, b.ClockMHz, b.Flash.WaitStates)
			}
			for r := Region(0); r < NumRegions; r++ {
				for _, m := range [][NumRegions]float64{cm.ReadStall, cm.WriteStall} {
					v := m[r]
					if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
						t.Errorf("%s: %s stall %v", b.ID, r, v)
					}
				}
			}
			if cm.WriteStall[RegionFlash] != 0 {
				t.Errorf("%s: flash write stall %v", b.ID, cm.WriteStall[RegionFlash])
			}
			if len(cm.Notes) < 4 {
				t.Errorf("%s: notes %q", b.ID, cm.Notes)
			}
			for _, n := range cm.Notes {
				if strings.TrimSpace(n) == "" || strings.Contains(n, "%!") {
					t.Errorf("%s: bad note %q", b.ID, n)
				}
			}
		}
	}
}

// The numbers of the model against the ranges they were fitted to
// (cortex-m.md §2 miss penalties [ESTIMATE]) and the brief's formulas.
func TestCostModelValues(t *testing.T) {
	model := func(id string, arena int) *CostModel {
		cm, err := shipped(t, id).CostModel(0, arena, kib(4), 0, Placement{})
		if err != nil {
			t.Fatal(err)
		}
		return cm
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	inRange := func(what string, v, lo, hi float64) {
		t.Helper()
		if v < lo || v > hi {
			t.Errorf("%s = %v, outside the cited %v–%v", what, v, lo, hi)
		}
	}
	// Cortex-M7, F7: flash line fill 5 + 1·(7+1) = 13 cycles per 32 B; SRAM1 8.
	f746 := model("stm32f746", kib(200))
	inRange("F746 flash miss penalty", f746.ReadStall[RegionFlash]*32, 10, 14)
	near("F746 flash stall per byte", f746.ReadStall[RegionFlash], 13.0/32)
	// 64 KiB DTCM at 0 + 136 KiB SRAM1 at 8/32 per byte.
	near("F746 arena (DTCM+SRAM1) stall", f746.ReadStall[RegionArena], 136.0/200*8/32)
	near("F746 scratch stall", f746.ReadStall[RegionScratch], 0)
	inRange("F746 SRAM1 line fill", model("stm32f746", kib(100)).ReadStall[RegionArena]*32*100/36, 6, 10)
	// H743 at core/2: flash 2·(5 + 1·5) = 20; AXI-SRAM 2·8 = 16.
	h743 := model("stm32h743", kib(400))
	inRange("H743 flash miss penalty", h743.ReadStall[RegionFlash]*32, 20, 30)
	inRange("H743 AXI-SRAM line fill", h743.ReadStall[RegionArena]*32, 12, 20)
	near("H743 DTCM arena", model("stm32h743", kib(64)).ReadStall[RegionArena], 0)
	// F412: ART, 3 WS per 16-byte line, half hidden by prefetch; SRAM 0-wait.
	f412 := model("stm32f412", kib(200))
	near("F412 flash", f412.ReadStall[RegionFlash], 3.0/16*0.5)
	near("F412 arena", f412.ReadStall[RegionArena], 0)
	// U575: ICACHE does not hold weights; 4 WS per 128-bit access.
	near("U575 flash", model("stm32u575", kib(200)).ReadStall[RegionFlash], 4.0/16)
	// nRF5340: flash width not recorded → 32-bit accesses.
	near("nRF5340 flash", model("nrf5340", kib(200)).ReadStall[RegionFlash], 3.0/4)
	// Writes are absorbed by the write buffer on 0-wait SRAM and caches.
	for _, cm := range []*CostModel{f746, h743, f412} {
		for r, v := range cm.WriteStall {
			if v != 0 {
				t.Errorf("write stall %s = %v", Region(r), v)
			}
		}
	}
}

// Boards built by hand: banks with wait states, uncached M7 SRAM, no width.
func TestCostModelHandBuilt(t *testing.T) {
	m4 := &Board{ID: "m4ws", Core: CortexM4, ClockMHz: 80,
		Banks: []Bank{{Name: "SLOW", Base: 0x2000_0000, Size: kib(64), Bus: BusAHB, WaitStates: 1}},
		Flash: Flash{Base: 0x0800_0000, Size: kib(256), WaitStates: 3, Accelerator: AccelART}}
	cm, err := m4.CostModel(0, kib(8), 0, 0, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.ReadStall[RegionArena] != 0.25 || cm.WriteStall[RegionArena] != 0.25 {
		t.Errorf("1-WS bank: read %v write %v, want 0.25 per byte", cm.ReadStall[RegionArena], cm.WriteStall[RegionArena])
	}
	// ART without prefetch and without a recorded width: 3 WS per 4-byte word.
	if cm.ReadStall[RegionFlash] != 0.75 {
		t.Errorf("ART without prefetch: %v, want 0.75", cm.ReadStall[RegionFlash])
	}
	// proportional wait states: 80 MHz / 4 = 20 MHz per WS.
	if ws := m4.FlashWaitStates(40); ws != 1 {
		t.Errorf("proportional WS at 40 MHz = %d, want 1", ws)
	}

	m7 := &Board{ID: "m7", Core: CortexM7, ClockMHz: 200, DCacheKiB: 16, BusDivider: 2,
		Banks: []Bank{ // unsorted on purpose
			{Name: "SRAM", Base: 0x2400_0000, Size: kib(128), Bus: BusAXI, Cacheable: false},
			{Name: "DTCM", Base: 0x2000_0000, Size: kib(16), Bus: BusDTCM, TCM: true},
		},
		Flash: Flash{Base: 0x0800_0000, Size: kib(1024), WaitStates: 2, WidthBits: 64}}
	cm, err = m7.CostModel(0, kib(64), kib(1), 0, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	// Uncached: a 2·8-cycle round trip per 32-bit load.
	if got := spanString(cm.Spans[RegionArena]); got != "SRAM 64 KiB" || cm.ReadStall[RegionArena] != 4 {
		t.Errorf("uncached SRAM arena: %q stall %v, want 4", got, cm.ReadStall[RegionArena])
	}
	if got := spanString(cm.Spans[RegionScratch]); got != "DTCM 1 KiB" || cm.ReadStall[RegionScratch] != 0 {
		t.Errorf("scratch: %q stall %v", got, cm.ReadStall[RegionScratch])
	}
	// 64-bit flash: 4 accesses per line: 2·(5 + 4·3) = 34 cycles per 32 B.
	if got := cm.ReadStall[RegionFlash]; math.Abs(got-34.0/32) > 1e-12 {
		t.Errorf("64-bit flash behind the D-cache: %v, want %v", got, 34.0/32)
	}
	if !strings.Contains(strings.Join(cm.Notes, "\n"), "SRAM SRAM is not cacheable") {
		t.Errorf("no note for the uncached bank: %q", cm.Notes)
	}
}

// The cache-reuse closed form (ReadStallReuse): a cache larger than every
// working set leaves only the distinct bytes' misses (zero re-read misses); a
// 0-byte cache charges every read; in between, re-reads miss in proportion
// 1 − C/ws; and the capacity comes from the board facts (M7 D-cache, ART data
// lines, flash cache), never from the clock.
func TestReadStallReuse(t *testing.T) {
	for _, b := range shippedBoards(t) {
		cm, err := b.CostModel(0, 0, 0, 0, Placement{})
		if err != nil {
			t.Fatalf("%s: %v", b.ID, err)
		}
		per := cm.ReadStall[RegionFlash]
		const total, unique = 100000.0, 4000.0
		// A cache larger than every working set: zero re-read misses.
		big := *cm
		big.ReuseBytes[RegionFlash] = 1 << 30
		for _, ws := range []float64{1, 4000, 1 << 20} {
			if got, want := big.ReadStallReuse(RegionFlash, total, unique, ws), unique*per; math.Abs(got-want) > 1e-9*want {
				t.Errorf("%s: cache > working set %g: stall %g, want the distinct bytes' %g", b.ID, ws, got, want)
			}
		}
		// A 0-byte cache: every read pays.
		none := *cm
		none.ReuseBytes[RegionFlash] = 0
		for _, ws := range []float64{1, 4000, 1 << 20} {
			if got, want := none.ReadStallReuse(RegionFlash, total, unique, ws), total*per; math.Abs(got-want) > 1e-9*want {
				t.Errorf("%s: no cache: stall %g, want every byte's %g", b.ID, got, want)
			}
		}
		// In proportion: half the working set fits → half the re-reads miss.
		half := *cm
		half.ReuseBytes[RegionFlash] = 1000
		if got, want := half.ReadStallReuse(RegionFlash, total, unique, 2000), (unique+(total-unique)/2)*per; math.Abs(got-want) > 1e-9*want {
			t.Errorf("%s: working set twice the cache: stall %g, want %g", b.ID, got, want)
		}
		// Unique bytes beyond the total (a step reading part of its weights)
		// cost the total, never more.
		if got := none.ReadStallReuse(RegionFlash, 10, 20, 20); math.Abs(got-10*per) > 1e-12 {
			t.Errorf("%s: 10 bytes read cost %g, want %g", b.ID, got, 10*per)
		}
		var want int
		switch {
		case b.Core == CortexM7:
			want = b.DCacheKiB * 1024
		case b.Flash.Accelerator == AccelART:
			want = b.Flash.ARTDLines * b.Flash.LineBytes
		case b.Flash.Accelerator == AccelCache:
			want = b.Flash.CacheKiB * 1024
		}
		if cm.ReuseBytes[RegionFlash] != want {
			t.Errorf("%s: flash reuse capacity %d B, board facts give %d", b.ID, cm.ReuseBytes[RegionFlash], want)
		}
	}
	if c := shipped(t, "stm32f746"); c.DCacheKiB != 4 {
		t.Errorf("stm32f746 D-cache %d KiB, cortex-m.md §6 says 4", c.DCacheKiB)
	}
}
