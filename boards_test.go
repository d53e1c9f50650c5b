package mcusim

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mcusim/mem"
)

func defaultBoard(t *testing.T, id string) *mem.Board {
	t.Helper()
	boards, err := DefaultBoards()
	if err != nil {
		t.Fatal(err)
	}
	b, err := mem.Find(boards, id)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every board the brief and the MCUNet/MLPerf material name is present with
// plausible values.
func TestDefaultBoardsPlausible(t *testing.T) {
	const kib = 1024
	for _, c := range []struct {
		id        string
		core      mem.Core
		clockMHz  int
		arenaKiB  int
		flashKiB  int
		caches    bool // Cortex-M7 L1 caches
		powerKnow bool
	}{
		{"stm32f746", mem.CortexM7, 216, 320, 1024, true, true},
		{"stm32f767", mem.CortexM7, 216, 512, 2048, true, true},
		{"stm32f769", mem.CortexM7, 216, 512, 2048, true, true},
		{"stm32f765", mem.CortexM7, 216, 512, 1024, true, true},
		{"stm32f412", mem.CortexM4, 100, 256, 1024, false, true},
		{"stm32f410", mem.CortexM4, 100, 32, 128, false, true},
		{"stm32h743", mem.CortexM7, 480, 512, 2048, true, true},
		{"stm32h747", mem.CortexM7, 480, 512, 2048, true, true},
		{"stm32h7a3", mem.CortexM7, 280, 1024, 2048, true, true},
		{"stm32l4r5", mem.CortexM4, 120, 640, 2048, false, true},
		{"stm32u575", mem.CortexM33, 160, 768, 2048, false, true},
		{"nrf5340", mem.CortexM33, 128, 512, 1024, false, true},
		{"ra6m4", mem.CortexM33, 200, 256, 1024, false, false},
		{"psoc62", mem.CortexM4, 150, 1024, 2048, false, false},
	} {
		t.Run(c.id, func(t *testing.T) {
			b := defaultBoard(t, c.id)
			if b.Core != c.core || b.ClockMHz != c.clockMHz {
				t.Errorf("core %s @ %d MHz, want %s @ %d", b.Core, b.ClockMHz, c.core, c.clockMHz)
			}
			if _, size := b.ArenaRegion(); size != c.arenaKiB*kib {
				t.Errorf("ArenaRegion = %d KiB, want %d", size/kib, c.arenaKiB)
			}
			if b.Flash.Size != c.flashKiB*kib {
				t.Errorf("flash = %d KiB, want %d", b.Flash.Size/kib, c.flashKiB)
			}
			if (b.ICacheKiB > 0 && b.DCacheKiB > 0) != c.caches {
				t.Errorf("L1 caches I %d / D %d KiB, want present = %v", b.ICacheKiB, b.DCacheKiB, c.caches)
			}
			if (b.PowerMW > 0) != c.powerKnow {
				t.Errorf("power %v mW, want known = %v", b.PowerMW, c.powerKnow)
			}
			if b.Name == "" || b.MCU == "" || b.FPU == "" || len(b.Sources) == 0 {
				t.Errorf("missing descriptive fields: %+v", b)
			}
			if b.Flash.WaitStates < 0 || b.Flash.WaitStates > 8 {
				t.Errorf("flash wait states %d out of the STM32-like 0..8 range", b.Flash.WaitStates)
			}
			if b.TotalSRAM() < c.arenaKiB*kib {
				t.Errorf("TotalSRAM %d < arena", b.TotalSRAM())
			}
		})
	}
}

// The SRAM / Flash budgets of the MCUNet papers (claims.md §2.1, MCUNet v1 §4.1;
// cortex-m.md §6 "Paper constraints") are the arena regions and flash sizes of
// the database. If this drifts, "fits" checks stop matching the papers.
func TestMCUNetBudgets(t *testing.T) {
	for _, c := range []struct {
		id            string
		sramKB, flash int // as the papers write them: kB of SRAM, MB of flash
	}{
		{"stm32f412", 256, 1}, {"stm32f746", 320, 1}, {"stm32f765", 512, 1}, {"stm32h743", 512, 2},
	} {
		b := defaultBoard(t, c.id)
		if _, size := b.ArenaRegion(); size != c.sramKB*1024 {
			t.Errorf("%s: arena %d KiB, paper budget %d kB", c.id, size/1024, c.sramKB)
		}
		if b.Flash.Size != c.flash<<20 {
			t.Errorf("%s: flash %d KiB, paper budget %d MB", c.id, b.Flash.Size/1024, c.flash)
		}
	}
	// The H743 budget is its AXI-SRAM, not its total SRAM (cortex-m.md §6).
	h := defaultBoard(t, "stm32h743")
	if base, _ := h.ArenaRegion(); base != 0x2400_0000 {
		t.Errorf("stm32h743 arena at %#x, want the AXI-SRAM at 0x24000000", base)
	}
	if k, ok := bankAt(h, 0x2400_0000); !ok || k.Bus != mem.BusAXI || k.WidthBits != 64 {
		t.Errorf("stm32h743 AXI-SRAM bank = %+v", k)
	}
	if k, ok := bankAt(h, 0x2000_0000); !ok || !k.TCM || k.Cacheable {
		t.Errorf("stm32h743 DTCM bank = %+v", k)
	}
}

// bankAt returns the SRAM bank of b that holds addr.
func bankAt(b *Board, addr uint64) (mem.Bank, bool) {
	for _, k := range b.Banks {
		if addr >= k.Base && addr < k.End() {
			return k, true
		}
	}
	return mem.Bank{}, false
}

// Power figures of cortex-m.md §8: measured ranges (board level, MLPerf Tiny) and
// the datasheet-current estimates.
func TestPowerFigures(t *testing.T) {
	for _, c := range []struct {
		id       string
		lo, hi   float64
		estimate bool
	}{
		{"stm32l4r5", 33, 49, false},
		{"stm32u575", 23, 27, false},
		{"stm32h7a3", 121, 167, false},
		{"stm32f746", 300, 340, true}, // ≈0.45 mA/MHz × 216 MHz × 3.3 V
		{"stm32h743", 396, 475, true}, // ≈0.25–0.3 mA/MHz × 480 MHz × 3.3 V
	} {
		b := defaultBoard(t, c.id)
		if b.PowerMW < c.lo || b.PowerMW > c.hi || b.PowerEstimated != c.estimate {
			t.Errorf("%s: power %v mW (estimate %v), want %v–%v (estimate %v)", c.id, b.PowerMW, b.PowerEstimated, c.lo, c.hi, c.estimate)
		}
	}
}

// Every shipped board has a power figure usable at every clock up to its
// maximum, or a stated reason why not (issue 8: "energy unknown (reason)").
func TestEveryBoardPowerOrReason(t *testing.T) {
	boards, err := DefaultBoards()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range boards {
		if b.PowerMW == 0 {
			_, err := b.PowerAt(0)
			if b.PowerUnknown == "" || err == nil || !strings.Contains(err.Error(), b.PowerUnknown) {
				t.Errorf("%s: no power figure and no stated reason (power_unknown); PowerAt: %v", b.ID, err)
			}
			continue
		}
		if b.RunUAPerMHz <= 0 {
			t.Errorf("%s: power %g mW has no datasheet run current to scale it below %d MHz", b.ID, b.PowerMW, b.ClockMHz)
		}
		prev := 0.0
		for f := 1; f <= b.ClockMHz; f++ {
			p, err := b.PowerAt(f)
			if err != nil || p <= prev {
				t.Fatalf("%s: P(%d MHz) = %g (%v); want positive and rising with the clock", b.ID, f, p, err)
			}
			prev = p
		}
		if prev != b.PowerMW {
			t.Errorf("%s: P(f_max) = %g, power_mw %g", b.ID, prev, b.PowerMW)
		}
	}
}

// Board facts (issue 9 item 5): every shipped board states its bus clock
// (bus_divider), its flash read width, its flash latency table and the line
// geometry of its flash accelerator, or the entry says why not.
func TestEveryBoardStatesFlashFacts(t *testing.T) {
	src, err := os.ReadFile("boards.toml")
	if err != nil {
		t.Fatal(err)
	}
	// Documented gaps: the comment in boards.toml gives the reason.
	noTable := map[string]string{"nrf5340": "No wait_state_mhz"}
	noGeometry := map[string]string{"ra6m4": "its size and lines are not recorded"}
	sections := regexp.MustCompile(`(?m)^\[boards\.([a-z0-9_-]+)\]$`).FindAllSubmatchIndex(src, -1)
	boards, err := DefaultBoards()
	if err != nil {
		t.Fatal(err)
	}
	if len(sections) != len(boards) {
		t.Fatalf("%d [boards.<id>] sections, %d boards", len(sections), len(boards))
	}
	for i, m := range sections {
		id := string(src[m[2]:m[3]])
		end := len(src)
		if i+1 < len(sections) {
			end = sections[i+1][0]
		}
		text := string(src[m[0]:end])
		if !regexp.MustCompile(`(?m)^bus_divider = \d+ +# `).MatchString(text) {
			t.Errorf("%s: no cited bus_divider (the bus clock behind the core)", id)
		}
		b, err := mem.Find(boards, id)
		if err != nil {
			t.Fatal(err)
		}
		f := b.Flash
		if f.WidthBits == 0 {
			t.Errorf("%s: no flash width_bits", id)
		}
		if why, ok := noTable[id]; len(f.WaitStateMHz) == 0 && (!ok || !strings.Contains(text, why)) {
			t.Errorf("%s: no wait_state_mhz latency table and no stated reason", id)
		}
		switch f.Accelerator {
		case mem.AccelART:
			if f.LineBytes == 0 || f.ARTILines == 0 {
				t.Errorf("%s: ART without line geometry (line_bytes, art_i_lines)", id)
			}
		case mem.AccelCache:
			if why, ok := noGeometry[id]; (f.CacheKiB == 0 || f.LineBytes == 0 || f.CacheWays == 0) && (!ok || !strings.Contains(text, why)) {
				t.Errorf("%s: flash cache without geometry (cache_kib, line_bytes, cache_ways) and no stated reason", id)
			}
		}
	}
}

// STYLE.md: every number carries its source. In boards.toml that means every
// "key = <number>" line has a comment.
func TestBoardsTOMLNumbersHaveSources(t *testing.T) {
	number := regexp.MustCompile(`^\s*[a-z_]+\s*=\s*[-+]?(0x[0-9A-Fa-f_]+|[0-9][0-9_.eE+-]*)\s*(#.*)?$`)
	for i, line := range strings.Split(string(boardsTOML), "\n") {
		m := number.FindStringSubmatch(line)
		if m != nil && strings.TrimSpace(strings.TrimPrefix(m[2], "#")) == "" {
			t.Errorf("boards.toml:%d: number without a source comment: %s", i+1, strings.TrimSpace(line))
		}
	}
}

func TestDefaultBoardsAreCopies(t *testing.T) {
	a, err := DefaultBoards()
	if err != nil {
		t.Fatal(err)
	}
	a[0].Banks[0].Size = 1
	a[0].ClockMHz = 1
	b, _ := DefaultBoards()
	if b[0].Banks[0].Size == 1 || b[0].ClockMHz == 1 {
		t.Error("DefaultBoards returned shared data")
	}
	src := DefaultBoardsTOML()
	src[0] = '!'
	if bytes.Equal(src, boardsTOML) {
		t.Error("DefaultBoardsTOML returned the embedded slice")
	}
}

func TestLoadBoards(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "mine.toml")
	if err := os.WriteFile(good, DefaultBoardsTOML(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadBoards(good)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := DefaultBoards()
	if len(got) != len(want) {
		t.Errorf("LoadBoards of the shipped file: %d boards, want %d", len(got), len(want))
	}

	bad := filepath.Join(dir, "bad.toml")
	src := strings.Replace(string(DefaultBoardsTOML()), `core = "cortex-m4"`, `core = "cortex-m0"`, 1)
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	line := strings.Count(src[:strings.Index(src, `core = "cortex-m0"`)], "\n") + 1
	_, err = LoadBoards(bad)
	if want := fmt.Sprintf("%s:%d: ", bad, line); err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), `unknown core "cortex-m0"`) {
		t.Errorf("LoadBoards(bad) = %v, want prefix %q", err, want)
	}

	if _, err := LoadBoards(filepath.Join(dir, "missing.toml")); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Errorf("LoadBoards(missing) = %v", err)
	}
}

func ExampleDefaultBoards() {
	boards, err := DefaultBoards()
	if err != nil {
		panic(err)
	}
	b, err := mem.Find(boards, "stm32f746")
	if err != nil {
		panic(err)
	}
	base, size := b.ArenaRegion()
	fmt.Printf("%s: %s @ %d MHz, arena %d KiB at %#x, flash %d KiB, %d wait states\n",
		b.ID, b.Core, b.ClockMHz, size/1024, base, b.Flash.Size/1024, b.Flash.WaitStates)
	// Output:
	// stm32f746: cortex-m7 @ 216 MHz, arena 320 KiB at 0x20000000, flash 1024 KiB, 7 wait states
}
