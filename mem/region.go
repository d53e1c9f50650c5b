package mem

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Region is a part of a generated module's memory map that accesses are
// charged to. The kernels declare which region each block touches; the cost
// model prices a byte in each region by the banks it is placed in.
type Region uint8

// Memory regions. Flash holds weights, biases and requantization tables; Arena
// is the planned SRAM activation arena; Scratch the im2col/plane (sbuf) and
// kernel (kbuf) buffers; Input the full input image of a patch-based schedule
// (outside the arena, as in MCUNetV2 §3.1).
const (
	RegionFlash Region = iota
	RegionArena
	RegionScratch
	RegionInput
	// NumRegions is the number of regions: per-region figures are arrays of
	// this length indexed by Region.
	NumRegions
)

var regionNames = [NumRegions]string{"flash", "arena", "scratch", "input"}

// String is the region's name as reports print it ("flash", "arena", ...).
func (r Region) String() string {
	if r < NumRegions {
		return regionNames[r]
	}
	return "region?"
}

// Traffic is bytes read and written in one memory region.
type Traffic struct {
	Read  uint64 `json:"read"`
	Write uint64 `json:"written"`
}

// RegionTraffic is the traffic of one run per region, indexed by Region, with
// the regions some block accesses marked: a region can be accessed and move
// no byte when its blocks never execute. The executed run (sim/wasmrun) and the
// closed form (engine/count) both report it.
type RegionTraffic struct {
	Traffic  [NumRegions]Traffic
	Accessed [NumRegions]bool
}

// Add records n executions of an access that reads and writes the given
// bytes of region r per execution.
func (t *RegionTraffic) Add(r Region, n, read, write uint64) {
	t.Accessed[r] = true
	t.Traffic[r].Read += n * read
	t.Traffic[r].Write += n * write
}

// MarshalJSON writes the accessed regions as one object keyed by region name,
// in name order: {"arena":{"read":…,"written":…},"flash":…}.
func (t RegionTraffic) MarshalJSON() ([]byte, error) {
	m := make(map[string]Traffic, NumRegions)
	for r := range NumRegions {
		if t.Accessed[r] {
			m[r.String()] = t.Traffic[r]
		}
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON writes; an unknown region name is an
// error.
func (t *RegionTraffic) UnmarshalJSON(b []byte) error {
	var m map[string]Traffic
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*t = RegionTraffic{}
	for name, tr := range m {
		r := Region(slices.Index(regionNames[:], name))
		if r >= NumRegions {
			return fmt.Errorf("unknown memory region %q; regions: %s", name, strings.Join(regionNames[:], ", "))
		}
		t.Traffic[r], t.Accessed[r] = tr, true
	}
	return nil
}
