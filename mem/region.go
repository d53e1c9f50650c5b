package mem

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
