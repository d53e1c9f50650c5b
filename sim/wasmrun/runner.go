// Package wasmrun runs generated kernels: it compiles a codegen.Compiled module
// with wazero, writes the input, executes the schedule and reads outputs,
// per-block execution counts and per-region memory traffic back. Package sim
// prices those counts; this package only executes.
package wasmrun

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"mcusim/engine/codegen"
	"mcusim/mem"
)

// Runner compiles and runs generated modules. Compiled code is cached (in memory,
// or in a directory when one is given), so running the same module again costs
// no compilation. A Runner is safe for concurrent use.
type Runner struct {
	cache    wazero.CompilationCache
	rt       wazero.Runtime
	hostOnce sync.Once
	hostErr  error

	mu       sync.Mutex
	compiled map[[32]byte]wazero.CompiledModule // by SHA-256 of the module
}

// NewRunner makes a runner with wazero's optimising compiler. cacheDir, if not
// empty, keeps compiled code across processes.
func NewRunner(ctx context.Context, cacheDir string) (*Runner, error) {
	var cache wazero.CompilationCache
	if cacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cacheDir)
		if err != nil {
			return nil, fmt.Errorf("compilation cache %s: %v", cacheDir, err)
		}
		cache = c
	} else {
		cache = wazero.NewCompilationCache()
	}
	cfg := wazero.NewRuntimeConfigCompiler().WithCompilationCache(cache)
	return &Runner{cache: cache, rt: wazero.NewRuntimeWithConfig(ctx, cfg), compiled: map[[32]byte]wazero.CompiledModule{}}, nil
}

// Close releases the runtime, the compiled modules and the cache.
func (r *Runner) Close(ctx context.Context) error {
	err := r.rt.Close(ctx)
	return errors.Join(err, r.cache.Close(ctx))
}

// Precompile compiles a module without running it (the compilation cache then
// makes Run start at once).
func (r *Runner) Precompile(ctx context.Context, c *codegen.Compiled) error {
	_, err := r.compile(ctx, c.Wasm)
	return err
}

// compile returns the compiled module for bin, compiling it once per runner.
func (r *Runner) compile(ctx context.Context, bin []byte) (wazero.CompiledModule, error) {
	key := sha256.Sum256(bin)
	r.mu.Lock()
	defer r.mu.Unlock()
	if cm, ok := r.compiled[key]; ok {
		return cm, nil
	}
	cm, err := r.rt.CompileModule(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("compiling the generated module: %v", err)
	}
	r.compiled[key] = cm
	return cm, nil
}

// Result is one execution.
type Result struct {
	// Outputs are the network outputs as the kernels produced them (the int8
	// side of a folded DEQUANTIZE), one per graph output.
	Outputs [][]byte
	// Counts[i] is how often block i (Compiled.Blocks) ran.
	Counts []uint64
	// Bytes is the memory traffic per region, from each block's static access
	// description times its count; every region some block names is marked
	// accessed.
	Bytes          mem.RegionTraffic
	BlocksExecuted uint64
	Compile        time.Duration
	Wall           time.Duration
}

// ClobberError is a failed ownership check in verify mode: an operator touched
// an arena byte that belongs to another live buffer, a freed byte, or a byte
// outside the arena.
type ClobberError struct {
	Operator, Access, Want, Found string
	Address                       int
}

func (e *ClobberError) Error() string {
	return fmt.Sprintf("clobber: %s %s arena offset %d as %s, but the byte belongs to %s", e.Operator, e.Access, e.Address, e.Want, e.Found)
}

// Run executes c once on the given inputs (raw bytes of each graph input tensor,
// in its own element type).
func (r *Runner) Run(ctx context.Context, c *codegen.Compiled, inputs [][]byte) (*Result, error) {
	if len(inputs) != len(c.Inputs) {
		return nil, fmt.Errorf("model %s takes %d inputs, got %d", c.Graph.Name, len(c.Inputs), len(inputs))
	}
	res := &Result{}
	t0 := time.Now()
	cm, err := r.compile(ctx, c.Wasm)
	if err != nil {
		return nil, err
	}
	res.Compile = time.Since(t0)
	if err := r.hostModule(ctx); err != nil {
		return nil, err
	}
	hostCtx := context.WithValue(ctx, compiledKey{}, c)
	mod, err := r.rt.InstantiateModule(hostCtx, cm, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		return nil, fmt.Errorf("instantiating the generated module: %v", err)
	}
	defer mod.Close(ctx)
	memory := mod.Memory()
	for i, s := range c.Inputs {
		b, err := codegen.ToKernelInput(c.Graph, s, inputs[i])
		if err != nil {
			return nil, err
		}
		if !memory.Write(s.Offset, b) {
			return nil, fmt.Errorf("input %d does not fit the module memory", i)
		}
	}
	run := mod.ExportedFunction("run")
	t1 := time.Now()
	_, err = run.Call(hostCtx)
	res.Wall = time.Since(t1)
	if err != nil {
		return nil, r.explain(c, memory, err)
	}
	for _, s := range c.Outputs {
		b, ok := memory.Read(s.Offset, uint32(s.Bytes))
		if !ok {
			return nil, fmt.Errorf("output outside the module memory")
		}
		res.Outputs = append(res.Outputs, append([]byte(nil), b...))
	}
	res.Counts = make([]uint64, len(c.Blocks))
	for i, b := range c.Blocks {
		v, _ := memory.ReadUint64Le(c.Layout.Counters + uint32(8*i))
		res.Counts[i] = v
		res.BlocksExecuted += v
		for _, a := range b.Access {
			res.Bytes.Add(a.Region, v, uint64(a.Read), uint64(a.Write))
		}
	}
	return res, nil
}

// opFrame matches the first generated operator frame of a wazero stack trace.
var opFrame = regexp.MustCompile(`\.op(\d+)_[A-Z_0-9]+\(`)

// compiledKey carries the running module's description to host_op.
type compiledKey struct{}

// hostModule instantiates the "env" module with host_op once per runtime.
func (r *Runner) hostModule(ctx context.Context) error {
	r.hostOnce.Do(func() {
		_, r.hostErr = r.rt.NewHostModuleBuilder("env").
			NewFunctionBuilder().
			WithFunc(func(ctx context.Context, m api.Module, step uint32) {
				c, _ := ctx.Value(compiledKey{}).(*codegen.Compiled)
				if c == nil {
					panic("host_op called outside Runner.Run")
				}
				buf, ok := m.Memory().Read(0, m.Memory().Size())
				if !ok {
					panic("host_op: memory not readable")
				}
				if err := c.HostOp(int(step), buf); err != nil {
					panic(err)
				}
			}).
			Export("host_op").
			Instantiate(ctx)
	})
	return r.hostErr
}

// explain turns a trap into an error naming the operator; a failed ownership
// check becomes a ClobberError.
func (r *Runner) explain(c *codegen.Compiled, mem api.Memory, err error) error {
	rec, _ := mem.Read(c.Layout.Trap, 32)
	u := func(off int) int { return int(int32(binary.LittleEndian.Uint32(rec[off:]))) }
	// The innermost generated operator function in wazero's stack trace (the
	// name section names them op<i>_<KIND>); in verify mode the driver also
	// records the running step.
	step := -1
	if m := opFrame.FindStringSubmatch(err.Error()); m != nil {
		step, _ = strconv.Atoi(m[1])
	} else if c.Verify {
		step = u(0)
	}
	op := "the driver"
	if step >= 0 && step < len(c.StepName) {
		op = c.StepName[step]
	}
	if c.Verify && (u(8) != 0 || u(12) != 0) {
		name := func(tag int) string {
			switch {
			case tag == 0:
				return "no live buffer (freed)"
			case tag == 0xffff:
				return "nothing (outside the arena)"
			case tag-1 < len(c.Buffers):
				return fmt.Sprintf("buffer %d (%s)", tag-1, c.Buffers[tag-1])
			}
			return fmt.Sprintf("tag %d", tag)
		}
		access := "loads"
		if u(16) == 1 {
			access = "stores"
		}
		return &ClobberError{Operator: op, Access: access, Address: u(4), Want: name(u(8)), Found: name(u(12))}
	}
	// wazero appends its stack trace (which names the generated operator
	// function) on further lines; they are joined so that errors stay on one
	// line (FuzzRun: a host SOFTMAX refusing a float32 output).
	parts := strings.Split(err.Error(), "\n")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	msg := strings.Join(parts, "; ")
	return fmt.Errorf("%s trapped: %s", op, msg)
}
