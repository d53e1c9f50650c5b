package isa_test

import (
	"fmt"

	"mcusim/isa"
)

// The CMSIS-NN s8×s16 matrix-multiply inner step (cortex-m.md §4): 16 MACs
// from 2 weight loads, 4 im2col loads, 4 SXTB16 and 8 SMLAD, plus SUBS/BNE.
func ExampleTable_Cycles() {
	step := isa.Mix{isa.Load: 2, isa.LoadPipelined: 4, isa.DSP: 4, isa.MAC: 8, isa.ALU: 1, isa.BranchTaken: 1}
	for _, core := range []string{"cortex-m4", "cortex-m7", "cortex-m33"} {
		t, err := isa.ByName(core)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-10s %.3f cycles/MAC\n", core, t.Cycles(&step, isa.MemCost{})/16)
	}
	// Output:
	// cortex-m4  1.500 cycles/MAC
	// cortex-m7  0.625 cycles/MAC
	// cortex-m33 1.312 cycles/MAC
}
