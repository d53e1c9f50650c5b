// Package mem models the memory side of a Cortex-M board: the SRAM banks and
// their address map, the flash with its accelerator, and the board database
// (boards.toml) that describes them, with each board's power (power.go). For a
// generated module it places the regions (Region: arena, scratch, input) in
// the banks (placement.go), prices a byte in each region in stall cycles and
// splits a region's traffic over its banks (cost.go, placement.go).
//
// The numbers themselves live in boards.toml, each with its source in a comment;
// the field semantics below follow shared/reference/cortex-m.md §6 (boards) and
// §8 (energy and power).
package mem

import (
	"fmt"
	"maps"
	"slices"
	"sort"
)

// Core names the CPU core of a board. The cycle model for each core lives in
// package isa; mem only needs the name to check the memory features a core can
// have (TCMs and L1 caches exist on the Cortex-M7 only).
type Core string

// The cores mcusim models (cortex-m.md §1–§3).
const (
	CortexM4  Core = "cortex-m4"
	CortexM7  Core = "cortex-m7"
	CortexM33 Core = "cortex-m33"
)

// Cores lists the supported cores in the order the error messages print them.
var Cores = []Core{CortexM4, CortexM7, CortexM33}

// FPU is the floating-point unit of a core. The Cortex-M4 (FPv4-SP) and the
// Cortex-M33 (FPv5-SP) are single precision only; the Cortex-M7 may have a
// double-precision FPv5 (cortex-m.md §1, §2, §6).
type FPU string

// FPU kinds.
const (
	FPUNone   FPU = "none"
	FPUSingle FPU = "sp"
	FPUDouble FPU = "dp"
)

// FPUs lists the accepted FPU names.
var FPUs = []FPU{FPUNone, FPUSingle, FPUDouble}

// Bus is the interconnect a bank sits on. TCMs are zero-wait at core clock and
// bypass the caches; AXI-SRAM on the STM32H7 runs at half the core clock; AHB
// banks are slaves of the vendor bus matrix (cortex-m.md §2 "Memory side", §6).
type Bus string

// Buses.
const (
	BusITCM Bus = "ITCM"
	BusDTCM Bus = "DTCM"
	BusAXI  Bus = "AXI"
	BusAHB  Bus = "AHB"
)

// Buses lists the accepted bus names.
var Buses = []Bus{BusITCM, BusDTCM, BusAXI, BusAHB}

// IsTCM reports whether the bus is a tightly coupled memory interface.
func (b Bus) IsTCM() bool { return b == BusITCM || b == BusDTCM }

// Accelerator is the vendor logic between the core and the flash that hides
// flash wait states: ST's ART accelerator (prefetch plus a few instruction and
// data lines, F4/F7/L4), a plain cache (the STM32U5 ICACHE, nRF5340 CACHE), or
// nothing (STM32H7, where the Cortex-M7 L1 caches do that job). cortex-m.md §6.
type Accelerator string

// Flash accelerators.
const (
	AccelNone  Accelerator = "none"
	AccelART   Accelerator = "ART"
	AccelCache Accelerator = "cache"
)

// Accelerators lists the accepted accelerator names.
var Accelerators = []Accelerator{AccelART, AccelCache, AccelNone}

// Bank is one SRAM bank: a contiguous address range on one bus.
type Bank struct {
	Name string
	Base uint64 // first address
	Size int    // bytes
	Bus  Bus
	// TCM is true for ITCM/DTCM banks: 0 wait states at core clock, never cached
	// and unaffected by other bus traffic (M7TRM §5.1, cortex-m.md §2).
	TCM bool
	// WaitStates are extra cycles per access beyond the bus's own latency; 0 for
	// every SRAM in the shipped database.
	WaitStates int
	// WidthBits is the data path width (64 for the M7 TCMs and the H7 AXI-SRAM),
	// 0 when not recorded; a cycle model should then assume 32.
	WidthBits int
	// Cacheable reports whether the core's L1 D-cache can hold lines of this
	// bank. Unless boards.toml says otherwise it is true for every non-TCM bank
	// on a board with a D-cache (TCM accesses bypass the caches, M7TRM §5.9).
	Cacheable bool
}

// End returns the first address after the bank.
func (b Bank) End() uint64 { return b.Base + uint64(b.Size) }

// Flash is the on-chip flash that holds code and weights.
type Flash struct {
	Base uint64
	Size int // bytes
	// WaitStates at the board's maximum clock (the reference manual's flash
	// latency table; cortex-m.md §6).
	WaitStates  int
	Accelerator Accelerator
	Prefetch    bool // a prefetch buffer is present and enabled
	// CacheKiB is the size of an AccelCache accelerator, 0 when not recorded.
	CacheKiB int
	// WidthBits is the number of bits one flash access returns (128 on the
	// STM32F412, cortex-m.md §6), 0 when not recorded.
	WidthBits int
	// ITCMAlias is the second address of the flash on the Cortex-M7 ITCM path
	// (0x0020_0000 on the STM32F7), where the ART accelerator serves it; at
	// Base the flash is read over AXIM through the L1 caches instead
	// (cortex-m.md §6). 0 when the part has no such alias.
	ITCMAlias uint64
	// LineBytes is the line size of the accelerator (one ART line, or one line
	// of a flash cache), 0 when not recorded. ARTILines and ARTDLines are the
	// instruction and data lines of an ART accelerator (64 × 16 B and 8 × 16 B
	// on the STM32F4); CacheWays is the associativity of a flash cache. 0 when
	// not recorded.
	LineBytes int
	ARTILines int
	ARTDLines int
	CacheWays int
	// WaitStateMHz is the reference manual's flash latency table: entry i is
	// the highest flash-interface clock (core clock ÷ Board.BusDivider) in MHz
	// at which i wait states suffice. It ends at the board's maximum clock, so
	// it has WaitStates+1 entries. Nil when not recorded; Board.FlashWaitStates
	// then scales WaitStates proportionally.
	WaitStateMHz []int
}

// End returns the first address after the flash.
func (f Flash) End() uint64 { return f.Base + uint64(f.Size) }

// Board is one entry of the board database.
type Board struct {
	ID       string // the [boards.<id>] key, used by --board
	Name     string
	MCU      string
	DevBoard string // evaluation board(s) the entry describes; may be empty
	Core     Core
	FPU      FPU
	ClockMHz int // maximum core clock
	// BusDivider is core clock ÷ the clock of the bus behind the Cortex-M7
	// AXIM (flash and SRAM line fills, flash wait-state table): 2 on the
	// STM32H743/H747, whose 64-bit AXI runs at core/2 (cortex-m.md §6). 0 or 1
	// means the bus runs at the core clock.
	BusDivider int
	// Banks are the SRAM banks sorted by base address. They never overlap.
	Banks []Bank
	Flash Flash
	// ICacheKiB and DCacheKiB are the core's own L1 caches (Cortex-M7 only, 0
	// elsewhere; M7TRM §5.9). Vendor caches in front of the flash are
	// Flash.Accelerator instead.
	ICacheKiB int
	DCacheKiB int
	// PowerMW is the power drawn during inference at ClockMHz, 0 when unknown:
	// boards.toml's power_mw, or supply_v × the datasheet run current at
	// ClockMHz. At other clocks use PowerAt.
	PowerMW float64
	// PowerBasis says where PowerMW comes from: PowerMeasured (board level,
	// MLPerf Tiny energy ÷ latency, cortex-m.md §8), PowerDatasheet (the MCU
	// alone, from the datasheet's run-mode current) or PowerEstimate; "" when
	// unknown. PowerEstimated is PowerBasis != PowerMeasured.
	PowerBasis     string
	PowerEstimated bool
	// SupplyV, RunUAPerMHz and RunStaticMA are the datasheet's run-mode current
	// I(f) = RunStaticMA + RunUAPerMHz·f/1000 mA at SupplyV volts (0 when not
	// recorded). PowerAt scales a measured PowerMW along I(f).
	SupplyV     float64
	RunUAPerMHz float64
	RunStaticMA float64
	// PowerUnknown says why a board has no power figure ("" when it has one or
	// the file gives no reason).
	PowerUnknown string
	// CostOverrides maps instruction-class names to cycles for this board's
	// core. Package isa interprets the names; mem checks only that the values
	// are non-negative numbers. Nil when boards.toml has none.
	CostOverrides map[string]float64
	Sources       []string
	Notes         string
}

// TotalSRAM returns the sum of all SRAM bank sizes in bytes, TCMs included.
func (b *Board) TotalSRAM() int {
	n := 0
	for _, k := range b.Banks {
		n += k.Size
	}
	return n
}

// ArenaRegion returns the largest address-contiguous SRAM region, merging banks
// that touch (one ends where the next begins). A tensor arena must be contiguous,
// so this, not TotalSRAM, is what a model's peak memory has to fit in. It matches
// the SRAM budgets of the MCUNet papers: 320 kB on the STM32F746 (DTCM 64 +
// SRAM1 240 + SRAM2 16, one run from 0x2000_0000), 256 kB on the STM32F412 and
// 512 kB on the STM32H743 (its AXI-SRAM) — cortex-m.md §6 "Paper constraints".
// Ties go to the lower address. A board without banks returns (0, 0).
func (b *Board) ArenaRegion() (base uint64, size int) {
	banks := b.sortedBanks()
	for i := 0; i < len(banks); {
		runBase, runSize := banks[i].Base, banks[i].Size
		j := i + 1
		for j < len(banks) && banks[j].Base == banks[j-1].End() {
			runSize += banks[j].Size
			j++
		}
		if runSize > size {
			base, size = runBase, runSize
		}
		i = j
	}
	return base, size
}

// sortedBanks returns the banks in address order. Parsed boards are already
// sorted; a hand-built Board may not be.
func (b *Board) sortedBanks() []Bank {
	if sort.SliceIsSorted(b.Banks, func(i, j int) bool { return b.Banks[i].Base < b.Banks[j].Base }) {
		return b.Banks
	}
	s := slices.Clone(b.Banks)
	sort.SliceStable(s, func(i, j int) bool { return s[i].Base < s[j].Base })
	return s
}

// Clone returns a deep copy, so that a caller may change a board from a shared
// database without affecting other users.
func (b *Board) Clone() Board {
	c := *b
	c.Banks = slices.Clone(b.Banks)
	c.Flash.WaitStateMHz = slices.Clone(b.Flash.WaitStateMHz)
	c.Sources = slices.Clone(b.Sources)
	c.CostOverrides = maps.Clone(b.CostOverrides)
	return c
}

// String returns a one-line summary such as
// "stm32f746: STM32F746 (32F746G-DISCO), cortex-m7 @ 216 MHz, SRAM 336 KiB (arena 320 KiB), flash 1024 KiB".
func (b *Board) String() string {
	_, arena := b.ArenaRegion()
	return fmt.Sprintf("%s: %s, %s @ %d MHz, SRAM %d KiB (arena %d KiB), flash %d KiB",
		b.ID, b.Name, b.Core, b.ClockMHz, b.TotalSRAM()/1024, arena/1024, b.Flash.Size/1024)
}
