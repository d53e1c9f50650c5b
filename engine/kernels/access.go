package kernels

import (
	"mcusim/mem"
)

// Access is the static memory traffic of one execution of a block: bytes read
// and written in one memory region.
type Access struct {
	Region      mem.Region
	Read, Write int
}
