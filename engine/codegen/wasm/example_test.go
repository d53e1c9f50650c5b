package wasm_test

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"

	"mcusim/engine/codegen/wasm"
)

// A module with one exported function, encoded and run under wazero.
func Example() {
	m := &wasm.Module{Name: "example"}
	var c wasm.Code
	c.LocalGet(0)
	c.LocalGet(1)
	c.I32Mul()
	i32 := []wasm.ValType{wasm.I32}
	mul := m.AddFunc("mul", m.AddType([]wasm.ValType{wasm.I32, wasm.I32}, i32), nil, &c)
	m.ExportFunc("mul", mul)
	bin, err := m.Encode()
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	mod, err := r.Instantiate(ctx, bin)
	if err != nil {
		panic(err)
	}
	res, err := mod.ExportedFunction("mul").Call(ctx, 6, 7)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(bin), "bytes; 6 × 7 =", res[0])
	// Output: 66 bytes; 6 × 7 = 42
}
