package wasm_test

import (
	"bytes"
	"context"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"mcusim/engine/codegen/wasm"
)

var update = flag.Bool("update", false, "rewrite testdata/*.wasm (and *.wat, when wasm2wat is on PATH) from the encoder")

// testModules are the modules every test below encodes: golden bytes, wasm-validate, and
// execution under wazero. The .wat files beside the .wasm files are wasm2wat's rendering,
// for reading.
var testModules = []struct {
	name  string
	build func() *wasm.Module
	run   func(t *testing.T, ctx context.Context, r wazero.Runtime)
}{
	{"add", addModule, runAdd},
	{"sum_int8", sumInt8Module, runSumInt8},
	{"data", dataModule, runData},
	{"arena", arenaModule, nil}, // run by runImports, which imports its memory
	{"imports", importsModule, runImports},
	{"bulk", bulkModule, runBulk},
	{"trap", trapModule, runTrap},
	{"requant", requantModule, runRequant},
}

func encode(t *testing.T, build func() *wasm.Module) []byte {
	t.Helper()
	b, err := build().Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tool returns the path of a wabt tool. Without it the test is skipped, except in CI (CI=true),
// where the Makefile's tools target installs wabt and a missing tool is a failure.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not on PATH; CI needs wabt (run `make tools`)", name)
	}
	t.Skipf("%s is not on PATH; install wabt (`make tools` or `apt-get install wabt`) to check the encoded modules", name)
	return ""
}

func TestGolden(t *testing.T) {
	for _, tm := range testModules {
		t.Run(tm.name, func(t *testing.T) {
			got := encode(t, tm.build)
			if again := encode(t, tm.build); !bytes.Equal(got, again) {
				t.Fatal("two encodings of the same module differ")
			}
			path := filepath.Join("testdata", tm.name+".wasm")
			if *update {
				writeGolden(t, path, got)
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run `go test -update` to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s differs from the encoder's output (run `go test -update` if the change is intended)\ngot  % x\nwant % x", path, got, want)
			}
		})
	}
}

func writeGolden(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if wasm2wat, err := exec.LookPath("wasm2wat"); err == nil {
		wat := strings.TrimSuffix(path, ".wasm") + ".wat"
		if out, err := exec.Command(wasm2wat, path, "-o", wat).CombinedOutput(); err != nil {
			t.Fatalf("wasm2wat %s: %v\n%s", path, err, out)
		}
	}
}

func TestWasmValidate(t *testing.T) {
	validate := tool(t, "wasm-validate")
	dir := t.TempDir()
	for _, tm := range testModules {
		t.Run(tm.name, func(t *testing.T) {
			path := filepath.Join(dir, tm.name+".wasm")
			if err := os.WriteFile(path, encode(t, tm.build), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(validate, path).CombinedOutput(); err != nil {
				t.Fatalf("wasm-validate rejects %s: %v\n%s", tm.name, err, out)
			}
		})
	}
}

// TestWazero runs every module under wazero's compiler, and under its interpreter as a
// second opinion, with the default features (api.CoreFeaturesV2).
func TestWazero(t *testing.T) {
	engines := []struct {
		name   string
		config func() wazero.RuntimeConfig
	}{
		{"compiler", wazero.NewRuntimeConfigCompiler},
		{"interpreter", wazero.NewRuntimeConfigInterpreter},
	}
	for _, e := range engines {
		for _, tm := range testModules {
			if tm.run == nil {
				continue
			}
			t.Run(e.name+"/"+tm.name, func(t *testing.T) {
				ctx := context.Background()
				r := wazero.NewRuntimeWithConfig(ctx, e.config())
				defer r.Close(ctx)
				tm.run(t, ctx, r)
			})
		}
	}
}

func instantiate(t *testing.T, ctx context.Context, r wazero.Runtime, build func() *wasm.Module) api.Module {
	t.Helper()
	mod, err := r.Instantiate(ctx, encode(t, build))
	if err != nil {
		t.Fatal(err)
	}
	return mod
}

func call(t *testing.T, ctx context.Context, mod api.Module, name string, args ...int32) int32 {
	t.Helper()
	params := make([]uint64, len(args))
	for i, a := range args {
		params[i] = api.EncodeI32(a)
	}
	res, err := mod.ExportedFunction(name).Call(ctx, params...)
	if err != nil {
		t.Fatalf("%s%v: %v", name, args, err)
	}
	if len(res) != 1 {
		t.Fatalf("%s%v returned %d values, want 1", name, args, len(res))
	}
	return api.DecodeI32(res[0])
}

var (
	i32x1 = []wasm.ValType{wasm.I32}
	i32x2 = []wasm.ValType{wasm.I32, wasm.I32}
	i32x3 = []wasm.ValType{wasm.I32, wasm.I32, wasm.I32}
)

// addModule: add(a, b i32) i32.
func addModule() *wasm.Module {
	m := &wasm.Module{Name: "add"}
	var c wasm.Code
	c.LocalGet(0)
	c.LocalGet(1)
	c.I32Add()
	m.ExportFunc("add", m.AddFunc("add", m.AddType(i32x2, i32x1), nil, &c))
	return m
}

func runAdd(t *testing.T, ctx context.Context, r wazero.Runtime) {
	mod := instantiate(t, ctx, r, addModule)
	tests := []struct{ a, b, want int32 }{
		{2, 3, 5},
		{-7, 7, 0},
		{math.MaxInt32, 1, math.MinInt32}, // wraps
	}
	for _, tt := range tests {
		if got := call(t, ctx, mod, "add", tt.a, tt.b); got != tt.want {
			t.Errorf("add(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// sumInt8Module: sum(ptr, n i32) i32 adds n int8 values starting at ptr, the shape of a
// kernel's inner loop: block { loop { br_if exit; body; br loop } }.
func sumInt8Module() *wasm.Module {
	const ptr, n, i, acc = 0, 1, 2, 3
	m := &wasm.Module{Name: "sum_int8"}
	m.Memory(1, 1)
	m.ExportMemory("memory")
	var c wasm.Code
	c.Block(wasm.Void)
	c.Loop(wasm.Void)
	c.LocalGet(i)
	c.LocalGet(n)
	c.I32GeU()
	c.BrIf(1) // i ≥ n: leave the block
	c.LocalGet(acc)
	c.LocalGet(ptr)
	c.LocalGet(i)
	c.I32Add()
	c.I32Load8S(0, 0)
	c.I32Add()
	c.LocalSet(acc)
	c.LocalGet(i)
	c.I32Const(1)
	c.I32Add()
	c.LocalSet(i)
	c.Br(0) // next iteration
	c.End()
	c.End()
	c.LocalGet(acc)
	m.ExportFunc("sum", m.AddFunc("sum", m.AddType(i32x2, i32x1), []wasm.ValType{wasm.I32, wasm.I32}, &c))
	return m
}

func runSumInt8(t *testing.T, ctx context.Context, r wazero.Runtime) {
	mod := instantiate(t, ctx, r, sumInt8Module)
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 1000)
	var want int32
	for i := range data {
		data[i] = byte(rng.IntN(256))
		want += int32(int8(data[i]))
	}
	const base = 4096
	if !mod.Memory().Write(base, data) {
		t.Fatal("cannot write the input into memory")
	}
	if got := call(t, ctx, mod, "sum", base, int32(len(data))); got != want {
		t.Errorf("sum of 1000 int8 = %d, want %d", got, want)
	}
	if got := call(t, ctx, mod, "sum", base, 0); got != 0 {
		t.Errorf("sum of nothing = %d, want 0", got)
	}
}

// dataModule: three active data segments, an exported memory and load8s(addr i32) i32.
func dataModule() *wasm.Module {
	m := &wasm.Module{Name: "data"}
	m.Memory(1, 2)
	m.ExportMemory("memory")
	m.AddData(0, []byte("mcusim"))
	m.AddData(1000, []byte{0x80, 0x7f, 0xff})
	m.AddData(wasm.PageSize-4, []byte{1, 2, 3, 4})
	var c wasm.Code
	c.LocalGet(0)
	c.I32Load8S(0, 0)
	m.ExportFunc("load8s", m.AddFunc("load8s", m.AddType(i32x1, i32x1), nil, &c))
	return m
}

func runData(t *testing.T, ctx context.Context, r wazero.Runtime) {
	mod := instantiate(t, ctx, r, dataModule)
	mem := mod.ExportedMemory("memory")
	if size := mem.Size(); size != wasm.PageSize {
		t.Errorf("memory size %d, want one page", size)
	}
	for _, seg := range []struct {
		offset uint32
		want   []byte
	}{{0, []byte("mcusim")}, {1000, []byte{0x80, 0x7f, 0xff}}, {wasm.PageSize - 4, []byte{1, 2, 3, 4}}} {
		got, ok := mem.Read(seg.offset, uint32(len(seg.want)))
		if !ok || !bytes.Equal(got, seg.want) {
			t.Errorf("memory at %d = % x, want % x", seg.offset, got, seg.want)
		}
	}
	for addr, want := range map[int32]int32{1000: -128, 1001: 127, 1002: -1, 1003: 0} {
		if got := call(t, ctx, mod, "load8s", addr); got != want {
			t.Errorf("load8s(%d) = %d, want %d", addr, got, want)
		}
	}
}

// arenaModule owns a memory that importsModule imports, as sim's arena will.
func arenaModule() *wasm.Module {
	m := &wasm.Module{Name: "arena"}
	m.Memory(1, 1)
	m.ExportMemory("memory")
	m.AddData(16, []byte("hello"))
	return m
}

// importsModule imports a host function and the arena's memory: run(n i32) i32 calls
// host.tick(i) for i in 0..n-1, then returns the byte at address 16.
func importsModule() *wasm.Module {
	const n, i = 0, 1
	m := &wasm.Module{Name: "imports"}
	tick := m.ImportFunc("host", "tick", m.AddType(i32x1, nil))
	m.ImportMemory("arena", "memory", 1, 1)
	var c wasm.Code
	c.LocalGet(n)
	c.If(wasm.Void)
	c.Loop(wasm.Void)
	c.LocalGet(i)
	c.Call(tick)
	c.LocalGet(i)
	c.I32Const(1)
	c.I32Add()
	c.LocalTee(i)
	c.LocalGet(n)
	c.I32LtU()
	c.BrIf(0)
	c.End()
	c.End()
	c.I32Const(16)
	c.I32Load8U(0, 0)
	m.ExportFunc("run", m.AddFunc("run", m.AddType(i32x1, i32x1), []wasm.ValType{wasm.I32}, &c))
	return m
}

func runImports(t *testing.T, ctx context.Context, r wazero.Runtime) {
	var ticks []uint32
	_, err := r.NewHostModuleBuilder("host").
		NewFunctionBuilder().WithFunc(func(_ context.Context, i uint32) { ticks = append(ticks, i) }).Export("tick").
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	instantiate(t, ctx, r, arenaModule) // named "arena" by its name section
	mod := instantiate(t, ctx, r, importsModule)
	for _, n := range []int32{0, 1, 5} {
		ticks = nil
		if got := call(t, ctx, mod, "run", n); got != 'h' {
			t.Errorf("run(%d) = %d, want %d ('h' from the arena's data)", n, got, 'h')
		}
		var want []uint32
		for i := range uint32(n) {
			want = append(want, i)
		}
		if !slices.Equal(ticks, want) {
			t.Errorf("run(%d) ticked %v, want %v", n, ticks, want)
		}
	}
}

// bulkModule: copy(dst, src, n) and fill(dst, value, n) over an exported memory.
func bulkModule() *wasm.Module {
	m := &wasm.Module{Name: "bulk"}
	m.Memory(1, 1)
	m.ExportMemory("memory")
	typ := m.AddType(i32x3, nil)
	var cp, fill wasm.Code
	for _, c := range []*wasm.Code{&cp, &fill} {
		c.LocalGet(0)
		c.LocalGet(1)
		c.LocalGet(2)
	}
	cp.MemoryCopy()
	fill.MemoryFill()
	m.ExportFunc("copy", m.AddFunc("copy", typ, nil, &cp))
	m.ExportFunc("fill", m.AddFunc("fill", typ, nil, &fill))
	return m
}

func runBulk(t *testing.T, ctx context.Context, r wazero.Runtime) {
	mod := instantiate(t, ctx, r, bulkModule)
	mem := mod.ExportedMemory("memory")
	want := make([]byte, 64)
	for i := range want {
		want[i] = byte(i)
	}
	mem.Write(0, want)
	run := func(name string, args ...uint32) error {
		params := make([]uint64, len(args))
		for i, a := range args {
			params[i] = api.EncodeU32(a)
		}
		_, err := mod.ExportedFunction(name).Call(ctx, params...)
		return err
	}
	if err := run("copy", 4, 0, 32); err != nil { // overlapping: memmove semantics
		t.Fatal(err)
	}
	copy(want[4:36], want[0:32])
	if err := run("fill", 40, 0xa5, 10); err != nil {
		t.Fatal(err)
	}
	for i := 40; i < 50; i++ {
		want[i] = 0xa5
	}
	if got, _ := mem.Read(0, 64); !bytes.Equal(got, want) {
		t.Errorf("memory after copy and fill\ngot  % x\nwant % x", got, want)
	}
	if err := run("fill", wasm.PageSize-1, 0, 2); err == nil || !strings.Contains(err.Error(), "out of bounds memory access") {
		t.Errorf("fill past the end of memory: error %v, want an out of bounds trap", err)
	}
}

// trapModule: run() calls op_conv_3(), which traps; the name section names both in the trace.
func trapModule() *wasm.Module {
	m := &wasm.Module{Name: "kernels"}
	typ := m.AddType(nil, nil)
	var kernel, run wasm.Code
	kernel.Unreachable()
	f := m.AddFunc("op_conv_3", typ, nil, &kernel)
	run.Call(f)
	m.ExportFunc("run", m.AddFunc("run", typ, nil, &run))
	return m
}

func runTrap(t *testing.T, ctx context.Context, r wazero.Runtime) {
	mod := instantiate(t, ctx, r, trapModule)
	_, err := mod.ExportedFunction("run").Call(ctx)
	if err == nil {
		t.Fatal("run did not trap")
	}
	for _, want := range []string{"unreachable", "kernels.op_conv_3()", "kernels.run()"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("trap error does not contain %q:\n%v", want, err)
		}
	}
}

// requantModule exercises i64 arithmetic, if/else with a result, select, sign extension and
// globals:
//
//	mulhi(a, b) = int32((int64(a)*int64(b) + 2^30) >> 31), the rounding doubling high multiply
//	clamp(x, lo, hi), which also counts its calls in the exported mutable i64 global "calls"
//	lane(word, k) = int8 lane k of word, sign-extended
//
// and exports the immutable i32 global "zero_point" = -128.
func requantModule() *wasm.Module {
	m := &wasm.Module{Name: "requant"}
	calls := m.AddGlobal(wasm.I64, true, 0)
	m.ExportGlobal("calls", calls)
	m.ExportGlobal("zero_point", m.AddGlobal(wasm.I32, false, -128))

	var mulhi wasm.Code
	mulhi.LocalGet(0)
	mulhi.I64ExtendI32S()
	mulhi.LocalGet(1)
	mulhi.I64ExtendI32S()
	mulhi.I64Mul()
	mulhi.I64Const(1 << 30)
	mulhi.I64Add()
	mulhi.I64Const(31)
	mulhi.I64ShrS()
	mulhi.I32WrapI64()
	m.ExportFunc("mulhi", m.AddFunc("mulhi", m.AddType(i32x2, i32x1), nil, &mulhi))

	const x, lo, hi = 0, 1, 2
	var clamp wasm.Code
	clamp.GlobalGet(calls)
	clamp.I64Const(1)
	clamp.I64Add()
	clamp.GlobalSet(calls)
	clamp.LocalGet(x)
	clamp.LocalGet(lo)
	clamp.I32LtS()
	clamp.If(wasm.Result(wasm.I32))
	clamp.LocalGet(lo)
	clamp.Else()
	clamp.LocalGet(x)
	clamp.LocalGet(hi)
	clamp.LocalGet(x)
	clamp.LocalGet(hi)
	clamp.I32LeS()
	clamp.Select() // x ≤ hi ? x : hi
	clamp.End()
	m.ExportFunc("clamp", m.AddFunc("clamp", m.AddType(i32x3, i32x1), nil, &clamp))

	var lane wasm.Code
	lane.LocalGet(0)
	lane.LocalGet(1)
	lane.I32Const(3)
	lane.I32Shl()
	lane.I32ShrU()
	lane.I32Extend8S()
	m.ExportFunc("lane", m.AddFunc("lane", m.AddType(i32x2, i32x1), nil, &lane))
	return m
}

func runRequant(t *testing.T, ctx context.Context, r wazero.Runtime) {
	mod := instantiate(t, ctx, r, requantModule)
	for _, ab := range [][2]int32{{0, 0}, {1 << 30, 2}, {-12345, 1518500250}, {math.MaxInt32, math.MaxInt32}, {math.MinInt32, math.MinInt32}, {math.MinInt32, 1}} {
		want := int32((int64(ab[0])*int64(ab[1]) + 1<<30) >> 31)
		if got := call(t, ctx, mod, "mulhi", ab[0], ab[1]); got != want {
			t.Errorf("mulhi(%d, %d) = %d, want %d", ab[0], ab[1], got, want)
		}
	}
	clampTests := []struct{ x, want int32 }{{-200, -128}, {-128, -128}, {5, 5}, {127, 127}, {300, 127}}
	for _, tt := range clampTests {
		if got := call(t, ctx, mod, "clamp", tt.x, -128, 127); got != tt.want {
			t.Errorf("clamp(%d, -128, 127) = %d, want %d", tt.x, got, tt.want)
		}
	}
	if got := mod.ExportedGlobal("calls").Get(); got != uint64(len(clampTests)) {
		t.Errorf("global calls = %d, want %d", got, len(clampTests))
	}
	if got := api.DecodeI32(mod.ExportedGlobal("zero_point").Get()); got != -128 {
		t.Errorf("global zero_point = %d, want -128", got)
	}
	word := int32(-0x7f0180ff) // bytes, low first: 0x01 0x7f 0xfe 0x80
	for k, want := range []int32{1, 127, -2, -128} {
		if got := call(t, ctx, mod, "lane", word, int32(k)); got != want {
			t.Errorf("lane(%#x, %d) = %d, want %d", uint32(word), k, got, want)
		}
	}
}

// TestTypeErrorsLeftToValidators documents the split of work: Encode checks structure and
// indices but not operand types, which wasm-validate and wazero reject.
func TestTypeErrorsLeftToValidators(t *testing.T) {
	build := func() *wasm.Module {
		m := &wasm.Module{}
		var c wasm.Code
		c.I32Const(1)
		c.I64Const(2)
		c.I32Add() // i32 + i64: a type error
		m.AddFunc("bad", m.AddType(nil, i32x1), nil, &c)
		return m
	}
	bin := encode(t, build)
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer r.Close(ctx)
	if _, err := r.CompileModule(ctx, bin); err == nil {
		t.Error("wazero compiled a module that adds an i64 to an i32")
	}
	path := filepath.Join(t.TempDir(), "bad.wasm")
	if err := os.WriteFile(path, bin, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool(t, "wasm-validate"), path).CombinedOutput(); err == nil {
		t.Errorf("wasm-validate accepted a module that adds an i64 to an i32:\n%s", out)
	}
}
