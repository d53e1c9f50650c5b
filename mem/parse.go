package mem

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// LineError is one problem in a board file. Its text is "file:line: what", the
// form compilers use, so that editors and CI logs link to the line.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg }

// MaxBoardsFileBytes caps the size of a board database. The built-in
// boards.toml describes 14 boards in about 30 KiB; 4 MiB holds thousands and
// keeps a wrong or sparse huge file from being parsed.
const MaxBoardsFileBytes = 4 << 20

// ParseBoards reads a board database in the boards.toml format (the schema is
// documented at the top of the shipped boards.toml) and returns the boards
// sorted by ID, each with its banks sorted by base address.
//
// filename is used only in error messages; "" reads as "<input>". A TOML syntax
// error is returned as a single *LineError. Otherwise every problem found is
// reported — unknown keys, missing or mistyped keys, out-of-range numbers,
// unknown core, FPU, bus or accelerator names, overlapping banks, flash over
// SRAM — each as a *LineError, joined with errors.Join and ordered by line.
// ParseBoards never panics, whatever the input.
func ParseBoards(data []byte, filename string) ([]Board, error) {
	if len(data) > MaxBoardsFileBytes {
		return nil, fmt.Errorf("%s: %d bytes is over mcusim's board database size limit of %d MiB (mem.MaxBoardsFileBytes)", filename, len(data), MaxBoardsFileBytes>>20)
	}
	if filename == "" {
		filename = "<input>"
	}
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &LineError{File: filename, Line: max(pe.Position.Line, 1), Msg: "TOML syntax error: " + pe.Message}
		}
		return nil, &LineError{File: filename, Line: 1, Msg: "TOML: " + err.Error()}
	}
	p := &parser{file: filename, lines: indexLines(string(data))}
	boards := p.document(doc)
	if len(p.errs) > 0 {
		sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
		errs := make([]error, len(p.errs))
		for i, e := range p.errs {
			errs[i] = e
		}
		if len(errs) == 1 {
			return nil, errs[0]
		}
		return nil, errors.Join(errs...)
	}
	return boards, nil
}

// Find returns the board with the given ID (case-insensitive) from boards; the
// pointer refers into the slice. An unknown ID is an error that lists the known
// ones.
func Find(boards []Board, id string) (*Board, error) {
	want := strings.ToLower(strings.TrimSpace(id))
	for i := range boards {
		if boards[i].ID == want {
			return &boards[i], nil
		}
	}
	ids := make([]string, len(boards))
	for i := range boards {
		ids[i] = boards[i].ID
	}
	sort.Strings(ids)
	if len(ids) == 0 {
		return nil, fmt.Errorf("unknown board %q: the board database is empty", id)
	}
	return nil, fmt.Errorf("unknown board %q; known boards: %s", id, strings.Join(ids, ", "))
}

// kind is the TOML type a schema field takes.
type kind int

const (
	kindString  kind = iota + 1
	kindInt          // TOML integer
	kindNumber       // TOML integer or float
	kindBool         //
	kindStrings      // array of strings
	kindInts         // array of integers
	kindTable        //
	kindTables       // array of tables: [[x]] or [{...}, ...]
)

var kindNames = map[kind]string{kindString: "string", kindInt: "integer", kindNumber: "number",
	kindBool: "boolean", kindStrings: "array of strings", kindInts: "array of integers", kindTable: "table", kindTables: "array of tables"}

type field struct {
	name     string
	kind     kind
	required bool
}

// The schema. The order is the order of the "known keys" lists in error messages.
var (
	boardFields = []field{
		{"name", kindString, true}, {"mcu", kindString, true}, {"dev_board", kindString, false},
		{"core", kindString, true}, {"fpu", kindString, true}, {"clock_mhz", kindInt, true},
		{"bus_divider", kindInt, false},
		{"icache_kib", kindInt, false}, {"dcache_kib", kindInt, false},
		{"power_mw", kindNumber, false}, {"power_basis", kindString, false},
		{"supply_v", kindNumber, false}, {"run_ua_per_mhz", kindNumber, false}, {"run_static_ma", kindNumber, false},
		{"power_unknown", kindString, false},
		{"sources", kindStrings, false}, {"notes", kindString, false},
		{"sram", kindTables, true}, {"flash", kindTable, true}, {"cost_overrides", kindTable, false},
	}
	bankFields = []field{
		{"name", kindString, true}, {"base", kindInt, true}, {"size_kib", kindInt, true},
		{"bus", kindString, true}, {"tcm", kindBool, true}, {"wait_states", kindInt, false},
		{"width_bits", kindInt, false}, {"cacheable", kindBool, false},
	}
	flashFields = []field{
		{"base", kindInt, true}, {"size_kib", kindInt, true}, {"wait_states", kindInt, true},
		{"accelerator", kindString, true}, {"prefetch", kindBool, false}, {"cache_kib", kindInt, false},
		{"width_bits", kindInt, false}, {"itcm_alias", kindInt, false}, {"wait_state_mhz", kindInts, false},
		{"line_bytes", kindInt, false}, {"art_i_lines", kindInt, false}, {"art_d_lines", kindInt, false},
		{"cache_ways", kindInt, false},
	}
)

// Limits that keep every size an int on any platform and every address inside
// the 32-bit Cortex-M address space.
const (
	maxAddress   = 0xFFFF_FFFF
	maxSizeKiB   = 1 << 20 // 1 GiB
	maxClockMHz  = 100_000
	maxWait      = 255
	maxCacheKiB  = 1 << 16
	maxDivider   = 16
	maxLineBytes = 256
	maxLines     = 1 << 12
	maxWays      = 64
	maxPowerMW   = 1e6
	maxSupplyV   = 12
	maxUAPerMHz  = 1e5 // 100 mA per MHz
	maxStaticMA  = 1e5
)

var boardID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

type parser struct {
	file  string
	lines *lineIndex
	errs  []*LineError
}

func (p *parser) errorf(k keyPath, format string, args ...any) {
	p.errs = append(p.errs, &LineError{File: p.file, Line: p.lines.line(k), Msg: k.String() + ": " + fmt.Sprintf(format, args...)})
}

func (p *parser) document(doc map[string]any) []Board {
	for _, k := range sortedKeys(doc) {
		if k != "boards" {
			p.errs = append(p.errs, &LineError{File: p.file, Line: p.lines.line(keyPath{k}),
				Msg: keyPath{k}.String() + ": unknown key; the file holds only [boards.<id>] tables"})
		}
	}
	raw, ok := doc["boards"]
	if !ok {
		p.errs = append(p.errs, &LineError{File: p.file, Line: 1, Msg: "no boards: the file needs at least one [boards.<id>] table"})
		return nil
	}
	path := keyPath{"boards"}
	tables, ok := raw.(map[string]any)
	if !ok {
		p.errorf(path, "want table, got %s", typeName(raw))
		return nil
	}
	if len(tables) == 0 {
		p.errorf(path, "no boards: the file needs at least one [boards.<id>] table")
		return nil
	}
	var boards []Board
	for _, id := range sortedKeys(tables) {
		if b, ok := p.board(path.child(id), id, tables[id]); ok {
			boards = append(boards, b)
		}
	}
	return boards
}

// board checks and converts one [boards.<id>] table. It reports false when the
// table had errors.
func (p *parser) board(path keyPath, id string, raw any) (Board, bool) {
	nerr := len(p.errs)
	t, ok := raw.(map[string]any)
	if !ok {
		p.errorf(path, "want table, got %s", typeName(raw))
		return Board{}, false
	}
	if !boardID.MatchString(id) {
		p.errorf(path, "board id %q must be lower case letters, digits, '-' and '_', starting with a letter or digit", id)
	}
	p.checkFields(path, t, boardFields)

	b := Board{ID: id}
	b.Name = p.nonEmpty(path, t, "name")
	b.MCU = p.nonEmpty(path, t, "mcu")
	b.DevBoard, _ = t["dev_board"].(string)
	b.Notes, _ = t["notes"].(string)
	if s, ok := t["sources"].([]any); ok {
		for _, v := range s {
			if str, ok := v.(string); ok {
				b.Sources = append(b.Sources, str)
			}
		}
	}

	if s, ok := t["core"].(string); ok {
		b.Core = Core(s)
		if !slices.Contains(Cores, b.Core) {
			p.errorf(path.child("core"), "unknown core %q; known cores: %s", s, joinNames(Cores))
		}
	}
	if s, ok := t["fpu"].(string); ok {
		b.FPU = FPU(s)
		switch {
		case !slices.Contains(FPUs, b.FPU):
			p.errorf(path.child("fpu"), "unknown FPU %q; known: %s", s, joinNames(FPUs))
		case b.FPU == FPUDouble && b.Core != CortexM7 && slices.Contains(Cores, b.Core):
			p.errorf(path.child("fpu"), "a %s FPU is single precision only; \"dp\" needs a cortex-m7", b.Core)
		}
	}
	if v, ok := p.intIn(path, t, "clock_mhz", 1, maxClockMHz); ok {
		b.ClockMHz = int(v)
	}
	if v, ok := p.intIn(path, t, "bus_divider", 1, maxDivider); ok {
		b.BusDivider = int(v)
	}
	for _, c := range []struct {
		key string
		dst *int
	}{{"icache_kib", &b.ICacheKiB}, {"dcache_kib", &b.DCacheKiB}} {
		v, ok := p.intIn(path, t, c.key, 0, maxCacheKiB)
		if !ok {
			continue
		}
		*c.dst = int(v)
		if v > 0 && b.Core != CortexM7 && slices.Contains(Cores, b.Core) {
			p.errorf(path.child(c.key), "the %s has no L1 cache; a vendor cache in front of the flash is flash.accelerator = \"cache\" with flash.cache_kib", b.Core)
		}
	}
	p.power(path, t, &b)
	b.CostOverrides = p.costOverrides(path.child("cost_overrides"), t["cost_overrides"])

	banks, bankPaths := p.banks(path, t, &b)
	b.Banks = banks
	if f, ok := t["flash"].(map[string]any); ok {
		b.Flash = p.flash(path.child("flash"), f, &b, bankPaths)
	}
	return b, len(p.errs) == nerr
}

// power reads the power keys: power_mw at clock_mhz (board-level measurement
// or estimate) and/or the datasheet's run-mode current as a function of clock
// (run_ua_per_mhz, run_static_ma at supply_v), or power_unknown (why there is
// no figure). See Board.PowerAt for how they combine.
func (p *parser) power(path keyPath, t map[string]any, b *Board) {
	num := func(key string, zeroOK bool, hi float64, what string) (float64, bool) {
		v, ok := number(t[key])
		if !ok {
			return 0, false // missing, or mistyped and already reported
		}
		if math.IsNaN(v) || v < 0 || (v == 0 && !zeroOK) || v > hi {
			p.errorf(path.child(key), "must be a positive number of %s up to %g, got %v", what, hi, v)
			return 0, false
		}
		return v, true
	}
	basis, hasBasis := t["power_basis"].(string)
	powerMW, hasPower := num("power_mw", false, maxPowerMW, "milliwatts (omit the key when the power is unknown)")
	slope, hasSlope := num("run_ua_per_mhz", false, maxUAPerMHz, "µA per MHz")
	static, hasStatic := num("run_static_ma", true, maxStaticMA, "mA")
	supply, hasSupply := num("supply_v", false, maxSupplyV, "volts")
	unknown, hasUnknown := t["power_unknown"].(string)
	b.PowerUnknown = strings.TrimSpace(unknown)
	if hasUnknown && b.PowerUnknown == "" {
		p.errorf(path.child("power_unknown"), "must not be empty: say why the board has no power figure")
	}
	if hasUnknown && (hasPower || hasSlope) {
		p.errorf(path.child("power_unknown"), "given with a power figure (power_mw or run_ua_per_mhz); keep one")
	}
	if hasStatic && !hasSlope {
		p.errorf(path.child("run_static_ma"), "given without run_ua_per_mhz (the datasheet's run-mode current slope)")
	}
	if hasSupply && hasPower {
		p.errorf(path.child("supply_v"), "given with power_mw: the supply only turns run_ua_per_mhz into a power when power_mw is absent (with power_mw the current gives the shape along the clock, not the level)")
	}
	if hasSupply && !hasSlope {
		p.errorf(path.child("supply_v"), "given without run_ua_per_mhz (the supply the run-mode currents are drawn at)")
	}
	if hasSlope && !hasPower && !hasSupply {
		if _, present := t["supply_v"]; !present {
			p.errorf(path, "run_ua_per_mhz without power_mw needs supply_v (the supply the datasheet's currents are given at)")
		}
	}
	if hasSlope {
		b.RunUAPerMHz, b.RunStaticMA, b.SupplyV = slope, static, supply
	}
	if !hasPower && !hasSlope {
		if hasBasis {
			p.errorf(path.child("power_basis"), "given without power_mw or run_ua_per_mhz")
		}
		return
	}
	switch {
	case !hasBasis:
		if _, present := t["power_basis"]; !present {
			what := "power_mw"
			if !hasPower {
				what = "run_ua_per_mhz"
			}
			p.errorf(path, "%s needs power_basis = %q (board-level measurement), %q or %q", what, PowerMeasured, PowerDatasheet, PowerEstimate)
		}
		return
	case basis == PowerMeasured && !hasPower:
		p.errorf(path.child("power_basis"), "%q needs power_mw, the measured power at clock_mhz", basis)
	case basis == PowerDatasheet && hasPower:
		p.errorf(path.child("power_basis"), "%q derives the power from run_ua_per_mhz at supply_v; a power_mw is %q or %q", basis, PowerMeasured, PowerEstimate)
	case basis != PowerMeasured && basis != PowerDatasheet && basis != PowerEstimate:
		p.errorf(path.child("power_basis"), "unknown power basis %q; want %q, %q or %q", basis, PowerMeasured, PowerDatasheet, PowerEstimate)
		return
	}
	b.PowerBasis = basis
	b.PowerEstimated = basis != PowerMeasured
	b.PowerMW = powerMW
	if !hasPower && b.ClockMHz > 0 {
		b.PowerMW = b.SupplyV * b.runCurrentMA(b.ClockMHz)
	}
}

func (p *parser) costOverrides(path keyPath, raw any) map[string]float64 {
	t, ok := raw.(map[string]any)
	if !ok || len(t) == 0 {
		return nil
	}
	out := make(map[string]float64, len(t))
	for _, k := range sortedKeys(t) {
		v, ok := number(t[k])
		switch {
		case !ok:
			p.errorf(path.child(k), "want number (cycles), got %s", typeName(t[k]))
		case math.IsNaN(v) || math.IsInf(v, 0) || v < 0:
			p.errorf(path.child(k), "must be a non-negative number of cycles, got %v", v)
		default:
			out[k] = v
		}
	}
	return out
}

// banks checks the [[boards.<id>.sram]] array and returns the valid banks in
// address order with the key path of each (for error messages about pairs).
func (p *parser) banks(path keyPath, t map[string]any, b *Board) ([]Bank, map[string]keyPath) {
	raw, ok := t["sram"]
	if !ok {
		return nil, nil // missing, already reported
	}
	arr, ok := tableArray(raw)
	if !ok {
		return nil, nil // mistyped, already reported
	}
	sramPath := path.child("sram")
	if len(arr) == 0 {
		p.errorf(sramPath, "needs at least one [[%s]] bank", sramPath)
		return nil, nil
	}
	var banks []Bank
	paths := map[string]keyPath{} // bank name → its path
	for i, bt := range arr {
		bp := sramPath.index(i)
		nerr := len(p.errs)
		p.checkFields(bp, bt, bankFields)
		k := Bank{Name: p.nonEmpty(bp, bt, "name")}
		if k.Name != "" {
			if prev, dup := paths[k.Name]; dup {
				p.errorf(bp.child("name"), "bank name %q is already used by %s (line %d)", k.Name, prev, p.lines.line(prev))
			} else {
				paths[k.Name] = bp
			}
		}
		base, okBase := p.intIn(bp, bt, "base", 0, maxAddress)
		size, okSize := p.intIn(bp, bt, "size_kib", 1, maxSizeKiB)
		if okBase && okSize {
			k.Base, k.Size = uint64(base), int(size)*1024
			if k.End() > maxAddress+1 {
				p.errorf(bp, "bank %q ends at %#x, past the 32-bit address space", k.Name, k.End())
			}
		}
		if s, ok := bt["bus"].(string); ok {
			k.Bus = Bus(s)
			if !slices.Contains(Buses, k.Bus) {
				p.errorf(bp.child("bus"), "unknown bus %q; known buses: %s", s, joinNames(Buses))
			}
		}
		if tcm, ok := bt["tcm"].(bool); ok {
			k.TCM = tcm
			switch {
			case tcm && slices.Contains(Buses, k.Bus) && !k.Bus.IsTCM():
				p.errorf(bp.child("tcm"), "tcm = true but bus %q is not ITCM or DTCM", k.Bus)
			case !tcm && k.Bus.IsTCM():
				p.errorf(bp.child("tcm"), "bus %q is a TCM but tcm = false", k.Bus)
			case tcm && b.Core != CortexM7 && slices.Contains(Cores, b.Core):
				p.errorf(bp.child("tcm"), "the %s has no TCM interface; only the cortex-m7 has ITCM/DTCM", b.Core)
			}
		}
		if v, ok := p.intIn(bp, bt, "wait_states", 0, maxWait); ok {
			k.WaitStates = int(v)
		}
		if v, ok := p.widthBits(bp, bt); ok {
			k.WidthBits = v
		}
		k.Cacheable = !k.TCM && b.DCacheKiB > 0
		if c, ok := bt["cacheable"].(bool); ok {
			switch {
			case c && k.TCM:
				p.errorf(bp.child("cacheable"), "TCM banks are never cached (Cortex-M7 TRM §5.9)")
			case c && b.DCacheKiB == 0:
				p.errorf(bp.child("cacheable"), "the board has no L1 D-cache (dcache_kib = 0)")
			}
			k.Cacheable = c
		}
		if len(p.errs) == nerr {
			banks = append(banks, k)
		}
	}
	sort.SliceStable(banks, func(i, j int) bool { return banks[i].Base < banks[j].Base })
	// Sweep in address order, remembering the bank that reaches furthest: any
	// bank starting below its end overlaps it.
	far := -1
	for i, k := range banks {
		if far >= 0 && k.Base < banks[far].End() {
			p.overlap(paths[k.Name], k, paths[banks[far].Name], banks[far])
		}
		if far < 0 || k.End() > banks[far].End() {
			far = i
		}
	}
	return banks, paths
}

// overlap reports two overlapping banks on the line of the one defined later.
func (p *parser) overlap(pa keyPath, a Bank, pb keyPath, b Bank) {
	if p.lines.line(pa) < p.lines.line(pb) {
		pa, a, pb, b = pb, b, pa, a
	}
	p.errorf(pa, "bank %q %s overlaps bank %q %s (%s, line %d)", a.Name, span(a.Base, a.End()), b.Name, span(b.Base, b.End()), pb, p.lines.line(pb))
}

func (p *parser) flash(path keyPath, t map[string]any, b *Board, bankPaths map[string]keyPath) Flash {
	p.checkFields(path, t, flashFields)
	var f Flash
	base, okBase := p.intIn(path, t, "base", 0, maxAddress)
	size, okSize := p.intIn(path, t, "size_kib", 1, maxSizeKiB)
	if okBase && okSize {
		f.Base, f.Size = uint64(base), int(size)*1024
		if f.End() > maxAddress+1 {
			p.errorf(path, "flash ends at %#x, past the 32-bit address space", f.End())
			okBase = false
		}
	}
	wsOK := false
	if v, ok := p.intIn(path, t, "wait_states", 0, maxWait); ok {
		f.WaitStates, wsOK = int(v), true
	}
	f.WaitStateMHz = p.waitStateTable(path.child("wait_state_mhz"), t["wait_state_mhz"], b, f.WaitStates, wsOK)
	if s, ok := t["accelerator"].(string); ok {
		f.Accelerator = Accelerator(s)
		if !slices.Contains(Accelerators, f.Accelerator) {
			p.errorf(path.child("accelerator"), "unknown accelerator %q; known: %s", s, joinNames(Accelerators))
		}
	}
	f.Prefetch, _ = t["prefetch"].(bool)
	if v, ok := p.intIn(path, t, "cache_kib", 0, maxCacheKiB); ok {
		f.CacheKiB = int(v)
		if f.Accelerator != AccelCache {
			p.errorf(path.child("cache_kib"), "only meaningful with accelerator = %q", AccelCache)
		}
	}
	if v, ok := p.widthBits(path, t); ok {
		f.WidthBits = v
	}
	p.accelGeometry(path, t, &f)
	alias, okAlias := p.intIn(path, t, "itcm_alias", 1, maxAddress)
	if okAlias {
		f.ITCMAlias = uint64(alias)
		if b.Core != CortexM7 && slices.Contains(Cores, b.Core) {
			p.errorf(path.child("itcm_alias"), "the %s has no ITCM path", b.Core)
		}
		if okSize && f.ITCMAlias+uint64(f.Size) > maxAddress+1 {
			p.errorf(path.child("itcm_alias"), "the alias ends past the 32-bit address space")
			okAlias = false
		}
	}
	if !okBase || !okSize {
		return f
	}
	for _, k := range b.Banks {
		if f.Base < k.End() && k.Base < f.End() {
			p.errorf(path, "flash %s overlaps SRAM bank %q %s (%s, line %d)", span(f.Base, f.End()), k.Name, span(k.Base, k.End()), bankPaths[k.Name], p.lines.line(bankPaths[k.Name]))
		}
		if okAlias && f.ITCMAlias < k.End() && k.Base < f.ITCMAlias+uint64(f.Size) {
			p.errorf(path.child("itcm_alias"), "flash alias %s overlaps SRAM bank %q %s (%s, line %d)", span(f.ITCMAlias, f.ITCMAlias+uint64(f.Size)), k.Name, span(k.Base, k.End()), bankPaths[k.Name], p.lines.line(bankPaths[k.Name]))
		}
	}
	return f
}

// accelGeometry reads the line geometry of the flash accelerator: line_bytes
// with art_i_lines / art_d_lines for an ART, or with cache_ways for a cache
// (whose cache_kib must then be a whole number of sets).
func (p *parser) accelGeometry(path keyPath, t map[string]any, f *Flash) {
	if v, ok := p.intIn(path, t, "line_bytes", 4, maxLineBytes); ok {
		switch {
		case v&(v-1) != 0:
			p.errorf(path.child("line_bytes"), "must be a power of two, got %d", v)
		case f.Accelerator != AccelART && f.Accelerator != AccelCache:
			p.errorf(path.child("line_bytes"), "only meaningful with accelerator = %q or %q", AccelART, AccelCache)
		case f.WidthBits > 0 && int(v)*8 < f.WidthBits:
			p.errorf(path.child("line_bytes"), "a %d-byte line is narrower than one %d-bit flash access (width_bits)", v, f.WidthBits)
		default:
			f.LineBytes = int(v)
		}
	}
	for _, c := range []struct {
		key string
		dst *int
	}{{"art_i_lines", &f.ARTILines}, {"art_d_lines", &f.ARTDLines}} {
		v, ok := p.intIn(path, t, c.key, 0, maxLines)
		switch {
		case !ok:
		case f.Accelerator != AccelART:
			p.errorf(path.child(c.key), "only meaningful with accelerator = %q", AccelART)
		case f.LineBytes == 0:
			p.errorf(path.child(c.key), "needs line_bytes (the size of one ART line)")
		default:
			*c.dst = int(v)
		}
	}
	v, ok := p.intIn(path, t, "cache_ways", 1, maxWays)
	switch {
	case !ok:
	case f.Accelerator != AccelCache:
		p.errorf(path.child("cache_ways"), "only meaningful with accelerator = %q", AccelCache)
	case f.LineBytes == 0 || f.CacheKiB == 0:
		p.errorf(path.child("cache_ways"), "needs line_bytes and cache_kib")
	case f.CacheKiB*1024%(f.LineBytes*int(v)) != 0:
		p.errorf(path.child("cache_ways"), "cache_kib %d is not a whole number of sets of %d ways × %d-byte lines", f.CacheKiB, v, f.LineBytes)
	default:
		f.CacheWays = int(v)
	}
}

// waitStateTable checks a wait_state_mhz array: positive, strictly increasing
// clocks, and consistent with wait_states at clock_mhz ÷ bus_divider, ending
// there (entry wait_states is the first one at or above that clock and the
// last). It returns nil for a missing or bad table.
func (p *parser) waitStateTable(path keyPath, raw any, b *Board, ws int, wsOK bool) []int {
	arr, ok := raw.([]any)
	if !ok {
		return nil // missing, or mistyped and already reported
	}
	if len(arr) == 0 || len(arr) > maxWait+1 {
		p.errorf(path, "needs 1 to %d entries (the highest clock in MHz at 0, 1, 2… wait states), got %d", maxWait+1, len(arr))
		return nil
	}
	steps := make([]int, len(arr))
	for i, e := range arr {
		v, isInt := e.(int64)
		switch {
		case !isInt:
			return nil // mistyped, already reported
		case v < 1 || v > maxClockMHz:
			p.errorf(path, "entry %d: must be a clock from 1 to %d MHz, got %d", i, maxClockMHz, v)
			return nil
		case i > 0 && int(v) <= steps[i-1]:
			p.errorf(path, "entry %d: clocks must increase, got %d after %d", i, v, steps[i-1])
			return nil
		}
		steps[i] = int(v)
	}
	if b.ClockMHz <= 0 || !wsOK {
		return steps // clock_mhz or wait_states is bad, already reported
	}
	div := max(b.BusDivider, 1)
	at := slices.IndexFunc(steps, func(m int) bool { return b.ClockMHz <= m*div })
	switch {
	case at < 0:
		p.errorf(path, "ends at %d MHz, below clock_mhz %d ÷ bus_divider %d", steps[len(steps)-1], b.ClockMHz, div)
	case at != ws:
		p.errorf(path, "gives %d wait states at clock_mhz %d (÷ bus_divider %d), but wait_states = %d", at, b.ClockMHz, div, ws)
	case at != len(steps)-1:
		p.errorf(path, "goes past clock_mhz (%d more clock(s)); list the clocks for 0..wait_states only, %d entries", len(steps)-1-at, ws+1)
	default:
		return steps
	}
	return nil
}

// checkFields reports unknown keys, missing required keys and values of the
// wrong TOML type in table t.
func (p *parser) checkFields(path keyPath, t map[string]any, schema []field) {
	for _, k := range sortedKeys(t) {
		i := slices.IndexFunc(schema, func(f field) bool { return f.name == k })
		if i < 0 {
			names := make([]string, len(schema))
			for j, f := range schema {
				names[j] = f.name
			}
			p.errorf(path.child(k), "unknown key; known keys here: %s", strings.Join(names, ", "))
			continue
		}
		p.checkType(path.child(k), t[k], schema[i].kind)
	}
	for _, f := range schema {
		if _, ok := t[f.name]; f.required && !ok {
			p.errorf(path, "missing required key %q", f.name)
		}
	}
}

func (p *parser) checkType(path keyPath, v any, want kind) {
	ok := false
	switch want {
	case kindString:
		_, ok = v.(string)
	case kindInt:
		_, ok = v.(int64)
	case kindNumber:
		_, ok = number(v)
	case kindBool:
		_, ok = v.(bool)
	case kindTable:
		_, ok = v.(map[string]any)
	case kindTables:
		_, ok = tableArray(v)
	case kindInts:
		arr, isArr := v.([]any)
		if !isArr {
			break
		}
		for i, e := range arr {
			if _, isInt := e.(int64); !isInt {
				p.errorf(path, "element %d: want integer, got %s", i, typeName(e))
				return
			}
		}
		ok = true
	case kindStrings:
		arr, isArr := v.([]any)
		if !isArr {
			break
		}
		for i, e := range arr {
			if _, isStr := e.(string); !isStr {
				p.errorf(path, "element %d: want string, got %s", i, typeName(e))
				return
			}
		}
		ok = true
	}
	if !ok {
		p.errorf(path, "want %s, got %s", kindNames[want], typeName(v))
	}
}

// nonEmpty returns the string at key, reporting an empty one. A missing or
// mistyped key was reported by checkFields.
func (p *parser) nonEmpty(path keyPath, t map[string]any, key string) string {
	s, ok := t[key].(string)
	if ok && strings.TrimSpace(s) == "" {
		p.errorf(path.child(key), "must not be empty")
	}
	return s
}

// intIn returns the integer at key if it is present, an integer, and within
// [lo, hi]; a value outside is reported.
func (p *parser) intIn(path keyPath, t map[string]any, key string, lo, hi int64) (int64, bool) {
	v, ok := t[key].(int64)
	if !ok {
		return 0, false
	}
	switch {
	case v < lo && lo == 1:
		p.errorf(path.child(key), "must be positive, got %d", v)
	case v < lo && lo == 0:
		p.errorf(path.child(key), "must not be negative, got %d", v)
	case v < lo:
		p.errorf(path.child(key), "must be at least %d, got %d", lo, v)
	case v > hi:
		p.errorf(path.child(key), "must be at most %d, got %d", hi, v)
	default:
		return v, true
	}
	return 0, false
}

func (p *parser) widthBits(path keyPath, t map[string]any) (int, bool) {
	v, ok := p.intIn(path, t, "width_bits", 8, 1024)
	if ok && v%8 != 0 {
		p.errorf(path.child("width_bits"), "must be a multiple of 8, got %d", v)
		return 0, false
	}
	return int(v), ok
}

// tableArray accepts both spellings of an array of tables: [[x]] headers decode
// to []map[string]any, an inline array of inline tables to []any.
func tableArray(v any) ([]map[string]any, bool) {
	switch a := v.(type) {
	case []map[string]any:
		return a, true
	case []any:
		out := make([]map[string]any, len(a))
		for i, e := range a {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			out[i] = m
		}
		return out, true
	}
	return nil, false
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// typeName names the TOML type of a decoded value for error messages.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case map[string]any:
		return "table"
	case []map[string]any:
		return "array of tables"
	case []any:
		return "array"
	case nil:
		return "nothing"
	}
	return "date-time"
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func joinNames[T ~string](names []T) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = string(n)
	}
	return strings.Join(s, ", ")
}

// span formats an address range as [0x2000_0000, 0x2001_0000).
func span(lo, hi uint64) string { return "[" + hexAddr(lo) + ", " + hexAddr(hi) + ")" }

// hexAddr formats an address the way boards.toml writes it: 0x2000_0000.
func hexAddr(a uint64) string {
	s := fmt.Sprintf("%08X", a)
	var b strings.Builder
	b.WriteString("0x")
	for i := range len(s) {
		if i > 0 && (len(s)-i)%4 == 0 {
			b.WriteByte('_')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
