package tflite

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateCrafted = flag.Bool("update-crafted", false, "rewrite testdata/crafted/*.tflite from the builders")

// craftedModels are hand-built .tflite files: seeds, and files that once
// crashed, hung or misled mcusim. They are written to testdata/crafted so that the CLI's bad-input tests
// (cmd/mcusim) and the fuzz corpora can use them; TestCraftedModels keeps the
// files equal to what these builders produce.
var craftedModels = map[string]func() []byte{
	// The parser tests' hand-built models, as seeds for the fuzz targets that
	// go past the parser (the root package's FuzzPlanEstimate and FuzzRun).
	"small.tflite":   func() []byte { return smallModel().bytes() },
	"all_ops.tflite": func() []byte { return allOpsModel(5).bytes() },
	// Only QUANTIZE, RESHAPE and DEQUANTIZE: lowering leaves no step.
	"no_compute.tflite": func() []byte {
		m := newModel()
		m.tensor("x", tFloat32, []int32{1, 4, 4, 2}, nil, nil)
		m.tensor("q", tInt8, []int32{1, 4, 4, 2}, nil, q8(0.1, 5))
		m.tensor("shape", tInt32, []int32{2}, int32Bytes(1, 32), nil)
		m.tensor("r", tInt8, []int32{1, 32}, nil, q8(0.1, 5))
		m.tensor("y", tFloat32, []int32{1, 32}, nil, nil)
		m.op(opQuantize, 0, nil, []int32{0}, []int32{1})
		m.op(opReshape, 0, nil, []int32{1, 2}, []int32{3})
		m.op(opDequantize, 0, nil, []int32{3}, []int32{4})
		m.inputs, m.outputs = []int32{0}, []int32{4}
		return m.bytes()
	},
	// A 1×1 convolution whose input has batch 1,000,000.
	"batch_1e6.tflite": func() []byte {
		return convModel(1000000, 8, 8, 0.5, 0.25)
	},
	// An activation scale of 3e38: the conv's effective multiplier overflows
	// the range TFLite's QuantizeMultiplier accepts.
	"scale_3e38.tflite": func() []byte {
		return convModel(1, 8, 8, 3e38, 0.25)
	},
	// A 1×1 convolution to a 2048×2048×12 output (48 MiB of int8), beyond the
	// TinyEngine planner's 10 MiB address space.
	"too_large.tflite": func() []byte {
		return convModel(1, 2048, 2048, 0.5, 0.25)
	},
}

// convModel is input [n,h,w,3] int8 → 1×1 CONV_2D with 12 output channels.
func convModel(n, h, w int32, inScale, outScale float32) []byte {
	m := newModel()
	m.tensor("input", tInt8, []int32{n, h, w, 3}, nil, q8(inScale, -1))
	m.tensor("conv/w", tInt8, []int32{12, 1, 1, 3}, bytes.Repeat([]byte{1, 2, 3}, 12), q8(0.01, 0))
	m.tensor("conv/b", tInt32, []int32{12}, int32Bytes(make([]int32, 12)...), nil)
	m.tensor("conv", tInt8, []int32{n, h, w, 12}, nil, q8(outScale, -128))
	m.op(opConv2D, optConv2D, fbTable{convPadding: int8(paddingValid), convStrideW: int32(1), convStrideH: int32(1)},
		[]int32{0, 1, 2}, []int32{3})
	m.inputs, m.outputs = []int32{0}, []int32{3}
	return m.bytes()
}

// TestCraftedModels keeps testdata/crafted equal to the builders
// (go test ./models/tflite -run TestCraftedModels -update-crafted rewrites it).
func TestCraftedModels(t *testing.T) {
	for name, build := range craftedModels {
		path := filepath.Join("testdata", "crafted", name)
		b := build()
		if *updateCrafted {
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		have, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./models/tflite -run TestCraftedModels -update-crafted)", err)
		}
		if !bytes.Equal(have, b) {
			t.Errorf("%s differs from its builder (go test ./models/tflite -run TestCraftedModels -update-crafted)", path)
		}
	}
}
