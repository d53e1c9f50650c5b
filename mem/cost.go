package mem

// This file is the memory side of the cycle model (DESIGN.md "Cycle model"):
// the extra core cycles per byte that a generated module pays on top of the
// zero-wait-state instruction costs of package isa, per region of the module
// (flash weights, arena, scratch, input). The caller multiplies them by the
// bytes each block moves to get isa.MemCost.
//
// Every number below names its source. cortex-m.md is
// shared/reference/cortex-m.md; [ESTIMATE] marks a modelling guess, to be
// calibrated against the measured tables of cortex-m.md §7.
//
// Clock invariance (cortex-m.md §7.4: cycles agree across boards of one core,
// "predict cycles, then divide by the clock"): all stalls are counted in core
// cycles with a fixed core:bus ratio (Board.BusDivider), so a CostModel depends
// on the clock only through the flash wait states.

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrNoFit is wrapped by CostModel errors for a region that does not fit in
// SRAM; callers report it as out of memory.
var ErrNoFit = errors.New("does not fit in SRAM")

// CostModel prices memory accesses for one generated module on one board at
// one clock.
type CostModel struct {
	ClockMHz int
	FlashWS  int // flash wait states at ClockMHz
	// ReadStall and WriteStall are extra core cycles per byte read or written,
	// indexed by Region; every region has an entry. A region that
	// spans banks is charged the byte-weighted mix of its banks (uniform
	// access over the region assumed [ESTIMATE]).
	ReadStall  [NumRegions]float64
	WriteStall [NumRegions]float64
	// ReuseBytes is, per region, the capacity of the cache that keeps the
	// region's re-read data (the Cortex-M7 L1 D-cache in front of Flash, the
	// data lines of an ART accelerator, a flash cache); 0 = nothing is kept
	// and every read pays ReadStall. ReadStallReuse uses it.
	ReuseBytes [NumRegions]int
	// Placement names the bank each SRAM region starts in; Spans lists the
	// banks it covers, in address order (nil for an empty region).
	Placement Placement
	Spans     [NumRegions][]Span
	// Banks names the banks that per-bank figures (SplitByBank) are indexed
	// by: BankFlash first, then the board's SRAM banks in address order.
	Banks []string
	// Notes holds one line per modelling assumption, with its source.
	Notes []string
}

// Model parameters. Sources: cortex-m.md §2 "Memory side" (M7TRM §5.1, §5.9)
// and §6 (boards).
const (
	// m7LineBytes is the Cortex-M7 L1 cache line (M7TRM §5.9, cortex-m.md §2).
	m7LineBytes = 32
	// m7FlashFixed is the bus cycles of a D-cache line fill from flash beyond
	// the flash accesses themselves (AXIM request, bus matrix, four 64-bit
	// beats, overlapped with the critical word) [ESTIMATE]. With a penalty of
	// BusDivider·(m7FlashFixed + accesses per line·(WS+1)) it gives 13 cycles
	// on the F7 (7 WS, 256-bit flash, bus = core), inside cortex-m.md §2's
	// ≈10–14, and 20 on the H743 (4 WS, bus = core/2), inside ≈20–30.
	m7FlashFixed = 5.0
	// m7SRAMFill is the bus cycles of a D-cache line fill from AXI/AHB SRAM
	// [ESTIMATE]: the midpoint of cortex-m.md §2's ≈6–10 on the F7 (bus = core
	// clock); ×2 on the H743 (bus = core/2) gives 16, the midpoint of ≈12–20.
	m7SRAMFill = 8.0
	// artPrefetchHiding is the fraction of the flash wait states the ART
	// prefetch buffer hides on sequential weight reads [ESTIMATE]. On the
	// STM32F4 the prefetch serves the I-code bus and data reads go through
	// the ART's few data lines (cortex-m.md §6, geometry [UNVERIFIED]), so this
	// is a calibration parameter, not a datum.
	artPrefetchHiding = 0.5
	// wordBytes is the access width assumed when width_bits is not recorded
	// (Bank.WidthBits, Flash.WidthBits: "a cycle model should then assume 32").
	wordBytes = 4
)

// FlashWaitStates returns the flash wait states at a core clock; clockMHz <= 0
// means the board's maximum. With a wait_state_mhz table (the reference
// manual's flash latency table, in flash-interface MHz = core ÷ BusDivider)
// the answer is the first entry at or above the clock. Without one, or above
// the table (clocks past the board's rating), the wait states scale with the
// clock: ⌈f·(WS_max+1)/f_max⌉ − 1, which gives WS_max at f_max [ESTIMATE].
func (b *Board) FlashWaitStates(clockMHz int) int {
	f := clockMHz
	if f <= 0 {
		f = b.ClockMHz
	}
	div := max(b.BusDivider, 1)
	steps := b.Flash.WaitStateMHz
	for i, m := range steps {
		if f <= m*div {
			return i
		}
	}
	if b.ClockMHz <= 0 {
		return max(b.Flash.WaitStates, len(steps))
	}
	ws := math.Ceil(float64(f)*float64(b.Flash.WaitStates+1)/float64(b.ClockMHz)) - 1
	ws = math.Min(math.Max(ws, float64(len(steps))), math.MaxInt32)
	return int(ws)
}

// CostModel prices memory for one generated module on board b at clockMHz
// (0 = the board's maximum): it places the arena, the scratch buffers and the
// patch-based input image in SRAM and returns the stall per byte of each
// region. Sizes are in bytes; an empty region is not placed and costs 0.
//
// Placement: regions named in pl are placed first, at the first free byte of
// the named bank; then the others, in the order arena, scratch, input. An
// automatic region goes where the model charges it least; ties go to the
// preferred bus — DTCM (0-wait, uncached), AXI (the H7 AXI-SRAM: 64-bit, D1
// domain), AHB (vendor bus-matrix SRAM; on the H7 behind the D1→D2/D3 bridges)
// — then to the lower address. A region may run on from one bank into the
// next when they touch (ArenaRegion's rule), so on the STM32F746 a 200 KiB
// arena covers DTCM and SRAM1. ITCM-RAM is the instruction TCM, where linker
// scripts put code and vectors: it takes data only when pl names it or when
// nothing else fits.
//
// The error wraps ErrNoFit when a region does not fit; it names the bank or
// the largest free run. A clock above the board's maximum, a negative size or
// an unknown bank name (the error lists the banks) are errors too.
func (b *Board) CostModel(clockMHz, arenaBytes, scratchBytes, inputBytes int, pl Placement) (*CostModel, error) {
	f := clockMHz
	switch {
	case f == 0:
		f = b.ClockMHz
	case f < 0:
		return nil, fmt.Errorf("clock %d MHz: must be positive (0 = the board's maximum)", clockMHz)
	case f > b.ClockMHz:
		return nil, fmt.Errorf("clock %d MHz is above the %s maximum of %d MHz", clockMHz, b.ID, b.ClockMHz)
	}
	if f <= 0 {
		return nil, fmt.Errorf("board %s has no clock_mhz", b.ID)
	}
	regions := []regionRequest{
		{RegionArena, arenaBytes, pl.Arena, false},
		{RegionScratch, scratchBytes, pl.Scratch, true},
		{RegionInput, inputBytes, pl.Input, false},
	}
	for _, r := range regions {
		if r.bytes < 0 {
			return nil, fmt.Errorf("%s size %d bytes: must not be negative", r.region, r.bytes)
		}
	}

	ws := b.FlashWaitStates(f)
	cm := &CostModel{
		ClockMHz: f,
		FlashWS:  ws,
	}
	flashRead, flashNote := b.flashStall(ws)
	cm.ReadStall[RegionFlash] = flashRead
	var reuseNote string
	cm.ReuseBytes[RegionFlash], reuseNote = b.flashReuse()
	cm.WriteStall[RegionFlash] = 0 // the module never writes flash
	cm.Notes = append(cm.Notes, b.clockNote(f, ws), flashNote, reuseNote)

	lay, placed, err := b.place(regions)
	if err != nil {
		return nil, err
	}
	cm.Banks = make([]string, 1+len(lay.banks))
	cm.Banks[0] = BankFlash
	for i, k := range lay.banks {
		cm.Banks[1+i] = k.Name
	}

	for _, r := range regions {
		ps := placed[r.region]
		cm.ReadStall[r.region], cm.WriteStall[r.region] = b.mixStall(lay.banks, ps, r.hot)
		if len(ps) == 0 {
			continue
		}
		start := lay.banks[ps[0].bank].Name
		switch r.region {
		case RegionArena:
			cm.Placement.Arena = start
		case RegionScratch:
			cm.Placement.Scratch = start
		case RegionInput:
			cm.Placement.Input = start
		}
		spans := make([]Span, len(ps))
		parts := make([]string, len(ps))
		for i, p := range ps {
			k := lay.banks[p.bank]
			spans[i] = Span{Bank: k.Name, Base: p.base, Bytes: p.bytes, index: 1 + p.bank}
			parts[i] = fmt.Sprintf("%s %s", k.Name, sizeString(p.bytes))
		}
		cm.Spans[r.region] = spans
		how := "chosen: least stall, then DTCM > AXI > AHB > ITCM, then lower address"
		if r.forced != "" {
			how = "forced"
		}
		note := fmt.Sprintf("%s: %s at %s in %s (%s)", r.region, sizeString(r.bytes), hexAddr(ps[0].base), strings.Join(parts, " + "), how)
		if len(ps) > 1 {
			note += "; charged the byte-weighted mix of its banks, uniform access assumed [ESTIMATE]"
		}
		cm.Notes = append(cm.Notes, note)
	}
	cm.Notes = append(cm.Notes, b.sramNotes()...)
	return cm, nil
}

// clockNote says where the wait states come from.
func (b *Board) clockNote(f, ws int) string {
	div := max(b.BusDivider, 1)
	src := fmt.Sprintf("wait_states = %d at %d MHz, scaled as ⌈f·(WS+1)/f_max⌉−1 [ESTIMATE]", b.Flash.WaitStates, b.ClockMHz)
	if steps := b.Flash.WaitStateMHz; len(steps) > 0 && f <= steps[len(steps)-1]*div {
		src = fmt.Sprintf("the wait_state_mhz latency table of boards.toml at %d MHz flash clock (core ÷ %d)", (f+div-1)/div, div)
	}
	return fmt.Sprintf("clock %d MHz (board maximum %d): flash %d wait states, from %s; "+
		"stalls are core cycles at a fixed core:bus ratio of %d:1, so the clock changes cycles only through the wait states (cortex-m.md §7.4)",
		f, b.ClockMHz, ws, src, div)
}

// flashStall returns the extra cycles per byte of a sequential weight read
// from flash at ws wait states, and the note that explains it.
func (b *Board) flashStall(ws int) (float64, string) {
	fl := b.Flash
	if b.Core == CortexM7 {
		// Weights are read at the flash's AXIM address (0x0800_0000 on ST
		// parts) through the L1 D-cache: one miss per 32-byte line.
		div := float64(max(b.BusDivider, 1))
		width := accessBytes(fl.WidthBits)
		perLine := math.Ceil(m7LineBytes / width) // flash accesses per line fill
		penalty := div * (m7FlashFixed + perLine*float64(ws+1))
		stall := penalty / m7LineBytes
		return stall, fmt.Sprintf("flash: weights read over AXIM through the %d KiB L1 D-cache, one miss per %d-byte line (M7TRM §5.9); "+
			"miss penalty = bus divider %g × (%g fixed bus cycles [ESTIMATE] + %g flash access(es) of %d bits × (WS+1)) = %g cycles at %d WS, "+
			"i.e. %g + %g·WS, fitted to cortex-m.md §2 [ESTIMATE: F7 ≈10–14 at 7 WS, H7 at core/2 ≈20–30] → %.4g cycles per byte; "+
			"charged per miss: the reuse closed form (flash reuse below) decides which reads miss; the ART on the ITCM flash alias is not used for data",
			b.DCacheKiB, m7LineBytes, div, m7FlashFixed, perLine, int(width*8), penalty, ws, div*(m7FlashFixed+perLine), div*perLine, stall)
	}
	line := accessBytes(fl.WidthBits)
	widthSrc := fmt.Sprintf("width_bits %d", fl.WidthBits)
	if fl.WidthBits == 0 {
		widthSrc = "width not recorded: one 32-bit word per access [ESTIMATE]"
	}
	switch fl.Accelerator {
	case AccelART:
		hide := 0.0
		hideSrc := "no prefetch: nothing hidden"
		if fl.Prefetch {
			hide = artPrefetchHiding
			hideSrc = fmt.Sprintf("prefetch hides %g [ESTIMATE]", hide)
		}
		stall := float64(ws) / line * (1 - hide)
		return stall, fmt.Sprintf("flash: weights streamed through the ART accelerator: %d WS per %g-byte flash line (%s) × (1 − %g; %s) = %.4g cycles per byte (cortex-m.md §6)",
			ws, line, widthSrc, hide, hideSrc, stall)
	default:
		what := "no flash accelerator"
		if fl.Accelerator == AccelCache {
			what = "a flash cache on the code bus (cortex-m.md §6: STM32U5 ICACHE); a miss"
		}
		stall := float64(ws) / line
		return stall, fmt.Sprintf("flash: %s; weights pay %d WS per %g-byte flash access (%s) = %.4g cycles per byte read that misses",
			what, ws, line, widthSrc, stall)
	}
}

// flashReuse is the capacity that keeps re-read Flash data, with its note.
func (b *Board) flashReuse() (int, string) {
	fl := b.Flash
	const form = "; a loop that reads total bytes, unique of them distinct, re-reading a working set ws: " +
		"unique bytes miss once, re-reads miss with probability max(0, 1 − C/ws) (all hit when ws ≤ C; " +
		"in proportion otherwise) [ESTIMATE: a sweep larger than the cache keeps about C of its bytes]"
	switch {
	case b.Core == CortexM7:
		c := b.DCacheKiB * 1024
		return c, fmt.Sprintf("flash reuse: weights re-read from the %d KiB L1 D-cache (C = %d B, 32-byte lines, 4-way, M7TRM §5.9; cortex-m.md §2)%s", b.DCacheKiB, c, form)
	case fl.Accelerator == AccelART:
		c := fl.ARTDLines * fl.LineBytes
		return c, fmt.Sprintf("flash reuse: the ART accelerator's %d data lines of %d B keep re-read weights (C = %d B, boards.toml art_d_lines × line_bytes)%s", fl.ARTDLines, fl.LineBytes, c, form)
	case fl.Accelerator == AccelCache:
		c := fl.CacheKiB * 1024
		return c, fmt.Sprintf("flash reuse: the %d KiB flash cache on the code bus also serves data reads of flash addresses (C = %d B, boards.toml cache_kib) [ESTIMATE: shared with the kernels' code]%s", fl.CacheKiB, c, form)
	}
	return 0, "flash reuse: no cache in front of flash, every weight byte read pays the wait states"
}

// ReadStallReuse is the stall, in core cycles, of a loop that reads total
// bytes of region r of which unique are distinct, re-reading a working set of
// ws bytes (the closed form of flashReuse's note): every distinct byte misses
// once; a re-read hits when ws fits the region's cache (ReuseBytes) and
// otherwise misses with probability 1 − C/ws. With no cache every byte read
// pays ReadStall, as a region without reuse does.
func (cm *CostModel) ReadStallReuse(r Region, total, unique, ws float64) float64 {
	per := cm.ReadStall[r]
	if per == 0 || total <= 0 {
		return 0
	}
	first := math.Min(math.Max(unique, 0), total)
	miss := 1.0
	if c := float64(cm.ReuseBytes[r]); c > 0 {
		miss = 0
		if ws > c {
			miss = 1 - c/ws
		}
	}
	return (first + (total-first)*miss) * per
}

// bankStall returns the extra cycles per byte read and written in bank k, for
// streamed data (each byte read once per pass) or hot data (re-read, cached).
func (b *Board) bankStall(k Bank, hot bool) (read, write float64) {
	width := accessBytes(k.WidthBits)
	if b.Core != CortexM7 {
		// Cortex-M4/M33: no data cache; a bank with wait states delays every
		// access, a sustained store stream included (one write-buffer entry
		// hides one store, not a stream) [ESTIMATE]. 0-wait SRAM costs nothing
		// beyond the isa issue cycles.
		s := float64(k.WaitStates) / width
		return s, s
	}
	div := float64(max(b.BusDivider, 1))
	switch {
	case k.TCM:
		// 0-wait at core clock, uncached (M7TRM §5.1, cortex-m.md §2).
		return 0, 0
	case k.Cacheable:
		if hot {
			// Small, re-read buffers stay in the D-cache [ESTIMATE].
			return 0, 0
		}
		// One line fill per 32 bytes read; stores go to the write buffer and
		// the write-back D-cache (cortex-m.md §2 gives no write penalty).
		perLine := m7LineBytes / width
		return div * (m7SRAMFill + float64(k.WaitStates)*perLine) / m7LineBytes, 0
	default:
		// Uncached non-TCM bank: every 32-bit load is a bus round trip, as
		// long as a line fill [ESTIMATE]; stores are buffered.
		return div * (m7SRAMFill + float64(k.WaitStates)) / wordBytes, 0
	}
}

// mixStall is the byte-weighted mean stall of a region laid out as ps.
func (b *Board) mixStall(banks []Bank, ps []piece, hot bool) (read, write float64) {
	n := 0
	for _, p := range ps {
		r, w := b.bankStall(banks[p.bank], hot)
		read += r * float64(p.bytes)
		write += w * float64(p.bytes)
		n += p.bytes
	}
	if n == 0 {
		return 0, 0
	}
	return read / float64(n), write / float64(n)
}

// sramNotes describes the SRAM side of the model.
func (b *Board) sramNotes() []string {
	if b.Core != CortexM7 {
		notes := []string{"SRAM: 0-wait banks add no stall; the load/store issue cycles are in package isa (cortex-m.md: zero-wait-state memory unless stated); " +
			"writes likewise; the scratch buffers are priced as their bank"}
		for _, k := range b.Banks {
			if k.WaitStates > 0 {
				r, _ := b.bankStall(k, false)
				notes = append(notes, fmt.Sprintf("SRAM %s: %d wait states per %g-byte access, reads and writes → %.4g cycles per byte [ESTIMATE]", k.Name, k.WaitStates, accessBytes(k.WidthBits), r))
			}
		}
		return append(notes, fetchNote)
	}
	div := float64(max(b.BusDivider, 1))
	notes := []string{
		"SRAM: DTCM/ITCM add no stall (0-wait at core clock, uncached, M7TRM §5.1, cortex-m.md §2)",
		fmt.Sprintf("SRAM: cacheable AXI/AHB banks pay one %d-byte D-cache line fill per line read, %g·%g = %g cycles "+
			"[ESTIMATE: %g bus cycles, midpoint of cortex-m.md §2's F7 SRAM1 ≈6–10; H7 AXI-SRAM ≈12–20 at core/2] → %.4g cycles per byte; "+
			"every arena and input byte read is charged as a first touch",
			m7LineBytes, div, m7SRAMFill, div*m7SRAMFill, m7SRAMFill, div*m7SRAMFill/m7LineBytes),
		"writes: 0 stall — stores drain through the write buffer into the write-back D-cache or the TCM (cortex-m.md §2 gives no write penalty) [ESTIMATE]",
		"scratch (im2col, depthwise plane and kernel buffers): small and re-read, it stays in the D-cache: 0 stall in TCM or cacheable SRAM [ESTIMATE]",
	}
	for _, k := range b.Banks {
		if !k.TCM && !k.Cacheable {
			r, _ := b.bankStall(k, false)
			notes = append(notes, fmt.Sprintf("SRAM %s is not cacheable: each 32-bit load is a bus round trip of %g cycles → %.4g cycles per byte [ESTIMATE]", k.Name, div*(m7SRAMFill+float64(k.WaitStates)), r))
		}
	}
	return append(notes, fetchNote)
}

const fetchNote = "instruction fetch: 0 stall — the kernels' inner loops stay in the I-cache / ART / flash cache [ESTIMATE]"

func accessBytes(widthBits int) float64 {
	if widthBits < 8 {
		return wordBytes
	}
	return float64(widthBits / 8)
}

// sizeString prints a byte count as KiB when it is a whole number of KiB.
func sizeString(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}
