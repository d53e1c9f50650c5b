package mem

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// validBoard is a small, correct board file. The bad inputs below are edits of it.
const validBoard = `# a demo board
[boards.demo]
name = "Demo"
mcu = "DEMO1"
core = "cortex-m7"
fpu = "sp"
clock_mhz = 216
icache_kib = 4
dcache_kib = 4

[[boards.demo.sram]] # bank 0
name = "DTCM"
base = 0x2000_0000
size_kib = 64
bus = "DTCM"
tcm = true

[[boards.demo.sram]] # bank 1
name = "SRAM1"
base = 0x2001_0000
size_kib = 240
bus = "AHB"
tcm = false

[boards.demo.flash]
base = 0x0800_0000
size_kib = 1024
wait_states = 7
accelerator = "ART"
`

func TestParseValid(t *testing.T) {
	boards, err := ParseBoards([]byte(validBoard), "demo.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(boards) != 1 {
		t.Fatalf("got %d boards, want 1", len(boards))
	}
	b := boards[0]
	if b.ID != "demo" || b.Core != CortexM7 || b.FPU != FPUSingle || b.ClockMHz != 216 || b.ICacheKiB != 4 {
		t.Errorf("board fields: %+v", b)
	}
	if len(b.Banks) != 2 || b.Banks[0].Name != "DTCM" || b.Banks[1].Size != 240*1024 {
		t.Fatalf("banks: %+v", b.Banks)
	}
	// Cacheable defaults: TCM never, other banks when the board has a D-cache.
	if b.Banks[0].Cacheable || !b.Banks[1].Cacheable {
		t.Errorf("cacheable defaults: DTCM %v, SRAM1 %v; want false, true", b.Banks[0].Cacheable, b.Banks[1].Cacheable)
	}
	if f := b.Flash; f.Base != 0x0800_0000 || f.Size != 1<<20 || f.WaitStates != 7 || f.Accelerator != AccelART {
		t.Errorf("flash: %+v", f)
	}
	if b.PowerMW != 0 || b.CostOverrides != nil {
		t.Errorf("optional fields not zero: power %v, overrides %v", b.PowerMW, b.CostOverrides)
	}
}

// The optional cost-model keys: the flash latency table and the bus divider.
func TestParseWaitStateTable(t *testing.T) {
	src := strings.Replace(validBoard, `wait_states = 7`, "wait_states = 7\nwait_state_mhz = [30, 60, 90, 120, 150, 180, 210, 216]", 1)
	boards, err := ParseBoards([]byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := boards[0].Flash.WaitStateMHz; fmt.Sprint(got) != "[30 60 90 120 150 180 210 216]" || boards[0].BusDivider != 0 {
		t.Errorf("wait_state_mhz = %v, bus_divider %d", got, boards[0].BusDivider)
	}
	// The table is in flash-clock MHz: with the bus at core/2, 216 MHz is 108.
	src = strings.Replace(validBoard, `wait_states = 7`, "wait_states = 3\nwait_state_mhz = [30, 60, 90, 120]", 1)
	src = strings.Replace(src, `clock_mhz = 216`, "clock_mhz = 216\nbus_divider = 2", 1)
	boards, err = ParseBoards([]byte(src), "")
	if err != nil {
		t.Fatal(err)
	}
	if b := boards[0]; b.BusDivider != 2 || b.FlashWaitStates(216) != 3 || b.FlashWaitStates(120) != 1 || b.FlashWaitStates(121) != 2 {
		t.Errorf("bus_divider %d: WS(216) %d WS(120) %d WS(121) %d", b.BusDivider, b.FlashWaitStates(216), b.FlashWaitStates(120), b.FlashWaitStates(121))
	}
}

func TestParseSortsBoardsAndBanks(t *testing.T) {
	src := `
[boards.zeta]
name = "Z"
mcu = "Z1"
core = "cortex-m4"
fpu = "none"
clock_mhz = 80
sram = [ { name = "HI", base = 0x2001_0000, size_kib = 64, bus = "AHB", tcm = false },
         { name = "LO", base = 0x2000_0000, size_kib = 64, bus = "AHB", tcm = false } ]
flash = { base = 0x0800_0000, size_kib = 256, wait_states = 2, accelerator = "none" }

[boards.alpha]
name = "A"
mcu = "A1"
core = "cortex-m33"
fpu = "sp"
clock_mhz = 160
power_mw = 25.5
power_basis = "estimate"
sources = ["x", "y"]
[[boards.alpha.sram]]
name = "RAM"
base = 0x2000_0000
size_kib = 128
bus = "AHB"
tcm = false
wait_states = 1
[boards.alpha.flash]
base = 0
size_kib = 512
wait_states = 3
accelerator = "cache"
cache_kib = 8
[boards.alpha.cost_overrides]
smlad = 1
ldr = 1.5
`
	boards, err := ParseBoards([]byte(src), "two.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(boards) != 2 || boards[0].ID != "alpha" || boards[1].ID != "zeta" {
		t.Fatalf("want boards sorted by id [alpha zeta], got %v", ids(boards))
	}
	z := boards[1]
	if z.Banks[0].Name != "LO" || z.Banks[1].Name != "HI" {
		t.Errorf("banks not sorted by base: %+v", z.Banks)
	}
	if base, size := z.ArenaRegion(); base != 0x2000_0000 || size != 128*1024 {
		t.Errorf("zeta arena = %#x, %d; want 0x20000000, 131072", base, size)
	}
	a := boards[0]
	if a.PowerMW != 25.5 || !a.PowerEstimated || len(a.Sources) != 2 || a.Banks[0].WaitStates != 1 || a.Flash.CacheKiB != 8 {
		t.Errorf("alpha fields: %+v", a)
	}
	if a.CostOverrides["smlad"] != 1 || a.CostOverrides["ldr"] != 1.5 {
		t.Errorf("cost overrides: %v", a.CostOverrides)
	}
}

func ids(bs []Board) []string {
	var s []string
	for _, b := range bs {
		s = append(s, b.ID)
	}
	return s
}

// badCase edits validBoard (each old → new pair in edits, once) and expects an
// error on the line that contains at (line 1 when at is empty), with phrase in
// the message.
type badCase struct {
	name   string
	edits  [][2]string
	at     string
	phrase string
}

// ed pairs up old, new, old, new, ...
func ed(oldNew ...string) [][2]string {
	var e [][2]string
	for i := 0; i+1 < len(oldNew); i += 2 {
		e = append(e, [2]string{oldNew[i], oldNew[i+1]})
	}
	return e
}

var badCases = []badCase{
	{"malformed TOML", ed(`clock_mhz = 216`, `clock_mhz = = 216`), `clock_mhz = = 216`, "TOML syntax error"},
	{"unterminated string", ed(`mcu = "DEMO1"`, `mcu = "DEMO1`), `mcu = "DEMO1`, "TOML syntax error"},
	{"duplicate key", ed(`fpu = "sp"`, "fpu = \"sp\"\nfpu = \"dp\""), `fpu = "dp"`, "TOML syntax error"},
	{"unknown board key", ed(`clock_mhz = 216`, "clock_mhz = 216\nclock_hz = 216000000"), `clock_hz`, `boards.demo.clock_hz: unknown key`},
	{"unknown bank key", ed(`size_kib = 240`, "size_kib = 240\nsize = 245760"), `size = 245760`, `boards.demo.sram[1].size: unknown key`},
	{"unknown flash key", ed(`wait_states = 7`, "wait_states = 7\nlatency = 7"), `latency = 7`, `boards.demo.flash.latency: unknown key`},
	{"unknown top-level key", ed(`# a demo board`, `version = 2`), `version = 2`, `version: unknown key`},
	{"missing board field", ed("clock_mhz = 216\n", ""), `[boards.demo]`, `boards.demo: missing required key "clock_mhz"`},
	{"missing bank field", ed("size_kib = 64\n", ""), `# bank 0`, `boards.demo.sram[0]: missing required key "size_kib"`},
	{"missing flash", ed("[boards.demo.flash]", "[boards.other]"), `[boards.demo]`, `boards.demo: missing required key "flash"`},
	{"wrong type string for int", ed(`clock_mhz = 216`, `clock_mhz = "216"`), `clock_mhz`, `boards.demo.clock_mhz: want integer, got string`},
	{"wrong type float for int", ed(`size_kib = 240`, `size_kib = 240.0`), `size_kib = 240.0`, `boards.demo.sram[1].size_kib: want integer, got float`},
	{"wrong type bool", ed(`tcm = false`, `tcm = "no"`), `tcm = "no"`, `want boolean, got string`},
	{"wrong type table", ed(`name = "Demo"`, `name = { en = "Demo" }`), `name = { en`, `boards.demo.name: want string, got table`},
	{"negative size", ed(`size_kib = 240`, `size_kib = -240`), `size_kib = -240`, `boards.demo.sram[1].size_kib: must be positive, got -240`},
	{"zero clock", ed(`clock_mhz = 216`, `clock_mhz = 0`), `clock_mhz = 0`, `boards.demo.clock_mhz: must be positive, got 0`},
	{"negative wait states", ed(`wait_states = 7`, `wait_states = -1`), `wait_states = -1`, `must not be negative, got -1`},
	{"negative base", ed(`base = 0x0800_0000`, `base = -8`), `base = -8`, `boards.demo.flash.base: must not be negative`},
	{"overlapping banks", ed(`base = 0x2001_0000`, `base = 0x2000_8000`), `# bank 1`, `bank "SRAM1" [0x2000_8000, 0x2004_4000) overlaps bank "DTCM" [0x2000_0000, 0x2001_0000)`},
	{"flash overlaps SRAM", ed(`base = 0x0800_0000`, `base = 0x2000_0000`), `[boards.demo.flash]`, `flash [0x2000_0000, 0x2010_0000) overlaps SRAM bank "DTCM"`},
	{"bank past 4 GiB", ed(`base = 0x2001_0000`, `base = 0xFFFF_0000`), `# bank 1`, `past the 32-bit address space`},
	{"base beyond 32 bits", ed(`base = 0x2001_0000`, `base = 0x1_0000_0000`), `base = 0x1_0000_0000`, `must be at most 4294967295`},
	{"bad core", ed(`core = "cortex-m7"`, `core = "cortex-m3"`), `core = "cortex-m3"`, `unknown core "cortex-m3"; known cores: cortex-m4, cortex-m7, cortex-m33`},
	{"bad fpu", ed(`fpu = "sp"`, `fpu = "double"`), `fpu = "double"`, `unknown FPU "double"`},
	{"dp fpu on m4", ed("core = \"cortex-m7\"\nfpu = \"sp\"", "core = \"cortex-m4\"\nfpu = \"dp\""), `fpu = "dp"`, `single precision only`},
	{"l1 cache on m33", ed(`core = "cortex-m7"`, `core = "cortex-m33"`), `icache_kib = 4`, `the cortex-m33 has no L1 cache`},
	{"tcm on m4", ed(`core = "cortex-m7"`, `core = "cortex-m4"`), `tcm = true`, `the cortex-m4 has no TCM interface`},
	{"bad bus", ed(`bus = "AHB"`, `bus = "APB"`), `bus = "APB"`, `unknown bus "APB"; known buses: ITCM, DTCM, AXI, AHB`},
	{"tcm flag on AHB bank", ed(`tcm = false`, `tcm = true # edited`), `# edited`, `tcm = true but bus "AHB" is not ITCM or DTCM`},
	{"tcm bus without flag", ed(`tcm = true`, `tcm = false`), `tcm = false`, `bus "DTCM" is a TCM but tcm = false`},
	{"cacheable TCM", ed(`tcm = true`, "tcm = true\ncacheable = true"), `cacheable = true`, `TCM banks are never cached`},
	{"duplicate bank name", ed(`name = "SRAM1"`, `name = "DTCM" # edited`), `# edited`, `bank name "DTCM" is already used by boards.demo.sram[0] (line 11)`},
	{"empty bank name", ed(`name = "SRAM1"`, `name = ""`), `name = ""`, `boards.demo.sram[1].name: must not be empty`},
	{"bad accelerator", ed(`accelerator = "ART"`, `accelerator = "L2"`), `accelerator = "L2"`, `unknown accelerator "L2"`},
	{"cache size without cache", ed(`accelerator = "ART"`, "accelerator = \"ART\"\ncache_kib = 8"), `cache_kib = 8`, `only meaningful with accelerator = "cache"`},
	{"odd width", ed(`wait_states = 7`, "wait_states = 7\nwidth_bits = 100"), `width_bits = 100`, `must be a multiple of 8`},
	{"power without basis", ed(`clock_mhz = 216`, "clock_mhz = 216\npower_mw = 100"), `[boards.demo]`, `power_mw needs power_basis`},
	{"bad power basis", ed(`clock_mhz = 216`, "clock_mhz = 216\npower_mw = 100\npower_basis = \"guess\""), `power_basis`, `unknown power basis "guess"`},
	{"nan power", ed(`clock_mhz = 216`, "clock_mhz = 216\npower_mw = nan\npower_basis = \"estimate\""), `power_mw = nan`, `must be a positive number of milliwatts`},
	{"basis without power", ed(`clock_mhz = 216`, "clock_mhz = 216\npower_basis = \"estimate\""), `power_basis`, `given without power_mw`},
	{"slope without supply", ed(`clock_mhz = 216`, "clock_mhz = 216\nrun_ua_per_mhz = 450\npower_basis = \"datasheet\""), `[boards.demo]`, `run_ua_per_mhz without power_mw needs supply_v`},
	{"supply with power", ed(`clock_mhz = 216`, "clock_mhz = 216\npower_mw = 100\npower_basis = \"measured\"\nrun_ua_per_mhz = 450\nsupply_v = 3.3"), `supply_v`, `boards.demo.supply_v: given with power_mw`},
	{"static without slope", ed(`clock_mhz = 216`, "clock_mhz = 216\npower_mw = 100\npower_basis = \"measured\"\nrun_static_ma = 3"), `run_static_ma`, `given without run_ua_per_mhz`},
	{"negative slope", ed(`clock_mhz = 216`, "clock_mhz = 216\nrun_ua_per_mhz = -4\nsupply_v = 3.3\npower_basis = \"datasheet\""), `run_ua_per_mhz`, `boards.demo.run_ua_per_mhz: must be a positive number of µA per MHz`},
	{"zero supply", ed(`clock_mhz = 216`, "clock_mhz = 216\nrun_ua_per_mhz = 4\nsupply_v = 0\npower_basis = \"datasheet\""), `supply_v`, `boards.demo.supply_v: must be a positive number of volts`},
	{"measured without power", ed(`clock_mhz = 216`, "clock_mhz = 216\nrun_ua_per_mhz = 4\nsupply_v = 3.3\npower_basis = \"measured\""), `power_basis`, `"measured" needs power_mw`},
	{"datasheet with power", ed(`clock_mhz = 216`, "clock_mhz = 216\npower_mw = 100\npower_basis = \"datasheet\""), `power_basis`, `"datasheet" derives the power from run_ua_per_mhz`},
	{"reason with figure", ed(`clock_mhz = 216`, "clock_mhz = 216\npower_mw = 100\npower_basis = \"measured\"\npower_unknown = \"why\""), `power_unknown`, `given with a power figure`},
	{"empty reason", ed(`clock_mhz = 216`, "clock_mhz = 216\npower_unknown = \" \""), `power_unknown`, `must not be empty`},
	{"negative cost override", ed(`accelerator = "ART"`, "accelerator = \"ART\"\n[boards.demo.cost_overrides]\nsmlad = -1"), `smlad = -1`, `boards.demo.cost_overrides.smlad: must be a non-negative number of cycles`},
	{"bad board id", ed(`[boards.demo]`, `[boards.Demo]`), `[boards.Demo]`, `board id "Demo" must be lower case`},
	{"board not a table", ed(`# a demo board`, "[boards]\nbroken = 3"), `broken = 3`, `boards.broken: want table, got integer`},
	{"sources not strings", ed(`clock_mhz = 216`, "clock_mhz = 216\nsources = [\"RM0385\", 7]"), `sources`, `element 1: want string, got integer`},
	{"no sram banks", ed(`[[boards.demo.sram]] # bank 0`, `[[boards.demo.ram]]`, `[[boards.demo.sram]] # bank 1`, `[[boards.demo.ram]]`), `[boards.demo]`, `missing required key "sram"`},
	{"sram not tables", ed("clock_mhz = 216", "clock_mhz = 216\nsram = [1, 2]", `[[boards.demo.sram]] # bank 0`, `[[boards.demo.ram]]`, `[[boards.demo.sram]] # bank 1`, `[[boards.demo.ram]]`),
		`sram = [1, 2]`, `boards.demo.sram: want array of tables, got array`},
	{"itcm alias on m33", ed(
		"core = \"cortex-m7\"\nfpu = \"sp\"\nclock_mhz = 216\nicache_kib = 4\ndcache_kib = 4", "core = \"cortex-m33\"\nfpu = \"sp\"\nclock_mhz = 160",
		"bus = \"DTCM\"\ntcm = true", "bus = \"AHB\"\ntcm = false",
		`accelerator = "ART"`, "accelerator = \"ART\"\nitcm_alias = 0x0020_0000"), `itcm_alias`, `the cortex-m33 has no ITCM path`},
	{"empty file", ed(validBoard, ""), ``, `no boards`},
	{"wait-state table disagrees", ed(`wait_states = 7`, "wait_states = 7\nwait_state_mhz = [30, 60, 90, 120, 150, 180, 216]"),
		`wait_state_mhz`, `boards.demo.flash.wait_state_mhz: gives 6 wait states at clock_mhz 216 (÷ bus_divider 1), but wait_states = 7`},
	{"wait-state table not increasing", ed(`wait_states = 7`, "wait_states = 7\nwait_state_mhz = [30, 30, 90, 120, 150, 180, 210, 216]"),
		`wait_state_mhz`, `entry 1: clocks must increase, got 30 after 30`},
	{"wait-state table too short", ed(`wait_states = 7`, "wait_states = 7\nwait_state_mhz = [30, 60]"),
		`wait_state_mhz`, `ends at 60 MHz, below clock_mhz 216 ÷ bus_divider 1`},
	{"wait-state table past the clock", ed(`wait_states = 7`, "wait_states = 7\nwait_state_mhz = [30, 60, 90, 120, 150, 180, 210, 240, 270]"),
		`wait_state_mhz`, `goes past clock_mhz (1 more clock(s)); list the clocks for 0..wait_states only, 8 entries`},
	{"wait-state table zero clock", ed(`wait_states = 7`, "wait_states = 7\nwait_state_mhz = [0, 60]"),
		`wait_state_mhz`, `entry 0: must be a clock from 1 to 100000 MHz, got 0`},
	{"wait-state table empty", ed(`wait_states = 7`, "wait_states = 7\nwait_state_mhz = []"), `wait_state_mhz`, `needs 1 to 256 entries`},
	{"wait-state table not integers", ed(`wait_states = 7`, "wait_states = 7\nwait_state_mhz = [30, \"60\"]"),
		`wait_state_mhz`, `element 1: want integer, got string`},
	{"wait-state table with bus divider", ed(`clock_mhz = 216`, "clock_mhz = 216\nbus_divider = 2", `wait_states = 7`, "wait_states = 7\nwait_state_mhz = [30, 60, 90, 120, 150, 180, 210, 216]"),
		`wait_state_mhz`, `gives 3 wait states at clock_mhz 216 (÷ bus_divider 2), but wait_states = 7`},
	{"line not a power of two", ed(`accelerator = "ART"`, "accelerator = \"ART\"\nline_bytes = 24"), `line_bytes`, `boards.demo.flash.line_bytes: must be a power of two, got 24`},
	{"line without accelerator", ed(`accelerator = "ART"`, "accelerator = \"none\"\nline_bytes = 16"), `line_bytes`, `only meaningful with accelerator = "ART" or "cache"`},
	{"line narrower than flash", ed(`accelerator = "ART"`, "accelerator = \"ART\"\nwidth_bits = 256\nline_bytes = 16"), `line_bytes`, `a 16-byte line is narrower than one 256-bit flash access`},
	{"art lines without line size", ed(`accelerator = "ART"`, "accelerator = \"ART\"\nart_i_lines = 64"), `art_i_lines`, `needs line_bytes`},
	{"art lines on a cache", ed(`accelerator = "ART"`, "accelerator = \"cache\"\ncache_kib = 8\nline_bytes = 16\nart_d_lines = 8"), `art_d_lines`, `only meaningful with accelerator = "ART"`},
	{"negative art lines", ed(`accelerator = "ART"`, "accelerator = \"ART\"\nline_bytes = 16\nart_i_lines = -1"), `art_i_lines`, `must not be negative, got -1`},
	{"ways without cache", ed(`accelerator = "ART"`, "accelerator = \"ART\"\ncache_ways = 2"), `cache_ways`, `only meaningful with accelerator = "cache"`},
	{"ways without size", ed(`accelerator = "ART"`, "accelerator = \"cache\"\nline_bytes = 16\ncache_ways = 2"), `cache_ways`, `needs line_bytes and cache_kib`},
	{"ways do not divide", ed(`accelerator = "ART"`, "accelerator = \"cache\"\ncache_kib = 1\nline_bytes = 256\ncache_ways = 8"), `cache_ways`, `cache_kib 1 is not a whole number of sets of 8 ways × 256-byte lines`},
	{"zero bus divider", ed(`clock_mhz = 216`, "clock_mhz = 216\nbus_divider = 0"), `bus_divider`, `boards.demo.bus_divider: must be positive, got 0`},
	{"huge bus divider", ed(`clock_mhz = 216`, "clock_mhz = 216\nbus_divider = 17"), `bus_divider`, `must be at most 16, got 17`},
}

// input returns the edited file of a case and the 1-based line holding at.
func (c badCase) input(t *testing.T) (string, int) {
	src := validBoard
	for _, e := range c.edits {
		if !strings.Contains(src, e[0]) {
			t.Fatalf("%s: %q is not in the input", c.name, e[0])
		}
		src = strings.Replace(src, e[0], e[1], 1)
	}
	if c.at == "" {
		return src, 1
	}
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, c.at) {
			return src, i + 1
		}
	}
	t.Fatalf("%s: %q is not in the edited input:\n%s", c.name, c.at, src)
	return "", 0
}

func TestParseBad(t *testing.T) {
	for _, c := range badCases {
		t.Run(c.name, func(t *testing.T) {
			src, line := c.input(t)
			_, err := ParseBoards([]byte(src), "bad.toml")
			if err == nil {
				t.Fatalf("no error for:\n%s", src)
			}
			prefix := fmt.Sprintf("bad.toml:%d: ", line)
			for _, msg := range strings.Split(err.Error(), "\n") {
				if strings.HasPrefix(msg, prefix) && strings.Contains(msg, c.phrase) {
					return
				}
			}
			t.Errorf("want a line starting %q containing %q, got:\n%v\ninput:\n%s", prefix, c.phrase, err, src)
		})
	}
}

// Every message of a multi-error result is a *LineError in line order.
func TestParseCollectsAllErrors(t *testing.T) {
	src := strings.Replace(validBoard, `clock_mhz = 216`, `clock_mhz = -1`, 1)
	src = strings.Replace(src, `bus = "AHB"`, `bus = "PCIe"`, 1)
	src = strings.Replace(src, `core = "cortex-m7"`, `core = "m7"`, 1)
	_, err := ParseBoards([]byte(src), "")
	if err == nil {
		t.Fatal("no error")
	}
	msgs := strings.Split(err.Error(), "\n")
	if len(msgs) != 3 {
		t.Fatalf("want 3 errors, got %d:\n%v", len(msgs), err)
	}
	want := []string{"<input>:5: boards.demo.core", "<input>:7: boards.demo.clock_mhz", "<input>:22: boards.demo.sram[1].bus"}
	for i, w := range want {
		if !strings.HasPrefix(msgs[i], w) {
			t.Errorf("error %d = %q, want prefix %q", i, msgs[i], w)
		}
	}
	var le *LineError
	if !errors.As(err, &le) || le.File != "<input>" || le.Line != 5 {
		t.Errorf("errors.As(*LineError) = %+v", le)
	}
}

// Keys inside inline tables and inline arrays are reported on the line of the
// enclosing key, the nearest line the scanner knows.
func TestParseInlineTableLines(t *testing.T) {
	src := `[boards.x]
name = "X"
mcu = "X1"
core = "cortex-m4"
fpu = "sp"
clock_mhz = 80
sram = [
  { name = "A", base = 0x2000_0000, size_kib = 64, bus = "AHB", tcm = false },
  { name = "B", base = 0x2000_8000, size_kib = 64, bus = "AHB", tcm = false },
]
flash = { base = 0x0800_0000, size_kib = 256, wait_states = 2, accelerator = "none", speed = 3 }
`
	_, err := ParseBoards([]byte(src), "inline.toml")
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`inline.toml:7: boards.x.sram[1]: bank "B"`,
		`inline.toml:11: boards.x.flash.speed: unknown key`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%v", want, err)
		}
	}
}

func TestFind(t *testing.T) {
	boards := []Board{{ID: "stm32f746"}, {ID: "stm32f412"}}
	b, err := Find(boards, " STM32F412 ")
	if err != nil || b != &boards[1] {
		t.Fatalf("Find = %v, %v", b, err)
	}
	_, err = Find(boards, "stm32f4")
	if err == nil || !strings.Contains(err.Error(), `unknown board "stm32f4"; known boards: stm32f412, stm32f746`) {
		t.Errorf("unknown id error = %v", err)
	}
	if _, err := Find(nil, "x"); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty database error = %v", err)
	}
}

// The power keys: a datasheet current at a supply gives PowerMW = V·I(f_max);
// a reason is kept.
func TestParsePower(t *testing.T) {
	src := strings.Replace(validBoard, "clock_mhz = 216", "clock_mhz = 216\nrun_ua_per_mhz = 450\nrun_static_ma = 2\nsupply_v = 3.3\npower_basis = \"datasheet\"", 1)
	boards, err := ParseBoards([]byte(src), "p.toml")
	if err != nil {
		t.Fatal(err)
	}
	b := boards[0]
	if want := 3.3 * (2 + 0.45*216); math.Abs(b.PowerMW-want) > 1e-9 || !b.PowerEstimated || b.PowerBasis != PowerDatasheet {
		t.Errorf("PowerMW %g (basis %q, estimated %v), want %g from the datasheet", b.PowerMW, b.PowerBasis, b.PowerEstimated, want)
	}
	src = strings.Replace(validBoard, "clock_mhz = 216", "clock_mhz = 216\npower_unknown = \"no datasheet\"", 1)
	if boards, err = ParseBoards([]byte(src), "p.toml"); err != nil || boards[0].PowerUnknown != "no datasheet" || boards[0].PowerMW != 0 {
		t.Errorf("power_unknown: %v %+v", err, boards)
	}
}

// The accelerator geometry keys are parsed into Flash.
func TestParseAcceleratorGeometry(t *testing.T) {
	art := strings.Replace(validBoard, `accelerator = "ART"`, "accelerator = \"ART\"\nwidth_bits = 128\nline_bytes = 16\nart_i_lines = 64\nart_d_lines = 8", 1)
	boards, err := ParseBoards([]byte(art), "a.toml")
	if err != nil {
		t.Fatal(err)
	}
	if f := boards[0].Flash; f.LineBytes != 16 || f.ARTILines != 64 || f.ARTDLines != 8 || f.WidthBits != 128 {
		t.Errorf("ART geometry: %+v", f)
	}
	cache := strings.Replace(validBoard, `accelerator = "ART"`, "accelerator = \"cache\"\ncache_kib = 8\nline_bytes = 16\ncache_ways = 2", 1)
	if boards, err = ParseBoards([]byte(cache), "c.toml"); err != nil {
		t.Fatal(err)
	}
	if f := boards[0].Flash; f.CacheKiB != 8 || f.LineBytes != 16 || f.CacheWays != 2 {
		t.Errorf("cache geometry: %+v", f)
	}
}
