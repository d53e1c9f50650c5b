package mem

// This file places the regions of a generated module (the arena, the scratch
// buffers, the patch-based input image) in a board's SRAM banks; cost.go
// prices the result.

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// Placement names the SRAM bank each region starts in. Given to
// Board.CostModel, "" means choose automatically and a bank name forces the
// region to start at the first free byte of that bank (it may run on into the
// banks that follow it without a gap). Returned in CostModel, it holds the
// bank each region starts in ("" for an empty region); passing back a
// Placement that was chosen automatically reproduces the layout.
type Placement struct {
	Arena   string `json:"arena,omitempty"`
	Scratch string `json:"scratch,omitempty"`
	Input   string `json:"input,omitempty"`
}

// Span is the part of a placed region that lies in one bank.
type Span struct {
	Bank  string `json:"bank"`
	Base  uint64 `json:"base"`
	Bytes int    `json:"bytes"`
	index int    // of the bank in CostModel.Banks
}

// BankFlash names the on-chip flash in CostModel.Banks: the weights, biases
// and requantization tables of RegionFlash.
const BankFlash = "flash"

// SplitByBank adds t, the traffic of region r, to perBank, which is indexed
// like cm.Banks. RegionFlash traffic goes to BankFlash. An SRAM region that
// spans banks (on the STM32F746 a 242 KiB arena covers DTCM and SRAM1) splits
// its bytes by the share of the region in each bank: uniform access over the
// region, the assumption its byte-weighted stall already makes (ReadStall)
// [ESTIMATE]. The parts are rounded so that they add up to t exactly: the
// i-th span gets ⌊t·c_i/n⌋ − ⌊t·c_(i−1)/n⌋ bytes, where n is the region's size
// and c_i the bytes of its first i spans. It reports false, adding nothing,
// when r is not placed (an empty SRAM region) but t is not zero.
func (cm *CostModel) SplitByBank(r Region, t Traffic, perBank []Traffic) bool {
	if t == (Traffic{}) {
		return true
	}
	if r == RegionFlash {
		perBank[0].Read += t.Read
		perBank[0].Write += t.Write
		return true
	}
	spans := cm.Spans[r]
	if len(spans) == 0 {
		return false
	}
	if len(spans) == 1 {
		perBank[spans[0].index].Read += t.Read
		perBank[spans[0].index].Write += t.Write
		return true
	}
	n := uint64(0)
	for _, s := range spans {
		n += uint64(s.Bytes)
	}
	var c, prevRead, prevWrite uint64
	for _, s := range spans {
		c += uint64(s.Bytes)
		rd, wr := mulDiv(t.Read, c, n), mulDiv(t.Write, c, n)
		perBank[s.index].Read += rd - prevRead
		perBank[s.index].Write += wr - prevWrite
		prevRead, prevWrite = rd, wr
	}
	return true
}

// mulDiv returns ⌊a·b/c⌋ for b ≤ c without overflowing the product.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c) // hi < c because b ≤ c
	return q
}

// regionRequest is one region to place: its size, the bank the caller forced
// ("" = automatic) and whether its data is hot (re-read, stays in the D-cache:
// the scratch buffers), which the automatic choice prices.
type regionRequest struct {
	region Region
	bytes  int
	forced string
	hot    bool
}

// place lays the requested regions out in b's SRAM (CostModel's placement
// rule): forced regions first, so that an automatic arena cannot take the bank
// the user asked for, then the automatic ones where the model charges them
// least. It returns the layout and the pieces of each region (nil for an
// empty one).
func (b *Board) place(regions []regionRequest) (*layout, [NumRegions][]piece, error) {
	lay := newLayout(b)
	var placed [NumRegions][]piece
	for _, forcedPass := range []bool{true, false} {
		for _, r := range regions {
			if (r.forced != "") != forcedPass {
				continue
			}
			var bank int
			if r.forced != "" {
				var err error
				if bank, err = lay.find(r.forced); err != nil {
					return nil, placed, fmt.Errorf("%s placement: %w", r.region, err)
				}
			}
			if r.bytes == 0 {
				continue
			}
			var ps []piece
			var err error
			if r.forced != "" {
				ps, err = lay.placeAt(bank, r.region, r.bytes)
			} else {
				ps, err = lay.placeAuto(r.region, r.bytes, func(ps []piece) float64 {
					rd, wr := b.mixStall(lay.banks, ps, r.hot)
					return rd + wr
				})
			}
			if err != nil {
				return nil, placed, err
			}
			placed[r.region] = ps
		}
	}
	return lay, placed, nil
}

// piece is the part of a placed region in one bank (index into layout.banks).
type piece struct {
	bank  int
	base  uint64
	bytes int
}

// layout tracks the free SRAM while regions are placed. Every region starts at
// the first free byte of a bank and runs on only into untouched banks, so the
// used part of every bank is a prefix of it.
type layout struct {
	board *Board
	banks []Bank // address order
	used  []int  // bytes used at the start of each bank
}

func newLayout(b *Board) *layout {
	banks := b.sortedBanks()
	return &layout{board: b, banks: banks, used: make([]int, len(banks))}
}

// find returns the index of the named bank (exact name, else case-insensitive).
func (l *layout) find(name string) (int, error) {
	if i := slices.IndexFunc(l.banks, func(k Bank) bool { return k.Name == name }); i >= 0 {
		return i, nil
	}
	if i := slices.IndexFunc(l.banks, func(k Bank) bool { return strings.EqualFold(k.Name, name) }); i >= 0 {
		return i, nil
	}
	names := make([]string, len(l.banks))
	for i, k := range l.banks {
		names[i] = k.Name
	}
	return 0, fmt.Errorf("unknown bank %q on %s; banks: %s", name, l.board.ID, strings.Join(names, ", "))
}

// run returns the pieces of a region of n bytes starting at the first free
// byte of bank i and the free bytes available from there (which may be fewer
// than n; the pieces then cover only those).
func (l *layout) run(i, n int) ([]piece, int) {
	var ps []piece
	free := 0
	for j := i; j < len(l.banks); j++ {
		if j > i && (l.used[j] > 0 || l.banks[j].Base != l.banks[j-1].End()) {
			break
		}
		avail := l.banks[j].Size - l.used[j]
		if avail <= 0 {
			break
		}
		if take := min(avail, n-free); take > 0 {
			ps = append(ps, piece{bank: j, base: l.banks[j].Base + uint64(l.used[j]), bytes: take})
		}
		free += avail
	}
	return ps, free
}

func (l *layout) take(ps []piece) {
	for _, p := range ps {
		l.used[p.bank] += p.bytes
	}
}

func (l *layout) placeAt(i int, region Region, n int) ([]piece, error) {
	ps, free := l.run(i, n)
	if free < n {
		return nil, fmt.Errorf("%s of %s %w from bank %s on %s: %s free there, including the banks that follow it without a gap",
			region, sizeString(n), ErrNoFit, l.banks[i].Name, l.board.ID, sizeString(free))
	}
	l.take(ps)
	return ps, nil
}

// busRank orders buses for ties: DTCM, AXI, AHB, then ITCM.
func busRank(b Bus) int {
	switch b {
	case BusDTCM:
		return 0
	case BusAXI:
		return 1
	case BusAHB:
		return 2
	}
	return 3
}

// placeAuto places a region of n bytes where cost is least: first among runs
// that start outside the ITCM, then, when none fits, in the ITCM.
func (l *layout) placeAuto(region Region, n int, cost func([]piece) float64) ([]piece, error) {
	largest, largestAt := 0, -1
	for _, itcm := range []bool{false, true} {
		var best []piece
		bestCost, bestRank := 0.0, 0
		for i, k := range l.banks {
			if (k.Bus == BusITCM) != itcm || l.used[i] >= k.Size {
				continue
			}
			ps, free := l.run(i, n)
			if free > largest {
				largest, largestAt = free, i
			}
			if free < n {
				continue
			}
			c, r := cost(ps), busRank(k.Bus)
			// Banks are visited in address order, so a tie keeps the lower address.
			if best == nil || c < bestCost-1e-12 || (math.Abs(c-bestCost) <= 1e-12 && r < bestRank) {
				best, bestCost, bestRank = ps, c, r
			}
		}
		if best != nil {
			l.take(best)
			return best, nil
		}
	}
	where := "no free SRAM is left"
	if largestAt >= 0 {
		where = fmt.Sprintf("the largest free contiguous run is %s from %s at %s", sizeString(largest), l.banks[largestAt].Name,
			hexAddr(l.banks[largestAt].Base+uint64(l.used[largestAt])))
	}
	return nil, fmt.Errorf("%s of %s %w on %s: %s", region, sizeString(n), ErrNoFit, l.board.ID, where)
}
