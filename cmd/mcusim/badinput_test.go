//go:build unix

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"mcusim/internal/datatest"
)

// crafted is a hand-built model of models/tflite/testdata/crafted (kept equal
// to its builder by that package's TestCraftedModels).
func crafted(name string) string {
	return filepath.Join("..", "..", "models", "tflite", "testdata", "crafted", name)
}

// TestBadInputs runs each class of bad input that once crashed, hung or misled
// mcusim and demands exit code 2, nothing on stdout and one line on stderr that
// says what is wrong.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	special := func(name string, mk func(p string) error) string {
		p := filepath.Join(dir, name)
		if err := mk(p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := func(p string) error { return syscall.Mkfifo(p, 0o600) }
	zero := func(p string) error { return os.Symlink("/dev/zero", p) }
	sparse := func(p string) error {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Truncate(1 << 30) // 1 GiB, no blocks on disk
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no compute: memory", []string{"memory", "--model", crafted("no_compute.tflite")}, "has no compute operator"},
		{"no compute: run", []string{"run", "--model", crafted("no_compute.tflite")}, "has no compute operator"},
		{"no compute: estimate", []string{"estimate", "--model", crafted("no_compute.tflite"), "--board", "stm32f746"}, "has no compute operator"},
		{"batch 1e6: memory", []string{"memory", "--model", crafted("batch_1e6.tflite")}, "has batch 1000000"},
		{"batch 1e6: run", []string{"run", "--model", crafted("batch_1e6.tflite")}, "re-export the model with batch size 1"},
		{"scale 3e38: run", []string{"run", "--model", crafted("scale_3e38.tflite")}, "outside the range of TFLite's QuantizeMultiplier"},
		{"too large: memory", []string{"memory", "--model", crafted("too_large.tflite")}, "10 MiB is the address space of mcusim's TinyEngine planner"},
		{"too large: estimate", []string{"estimate", "--model", crafted("too_large.tflite"), "--board", "stm32h743"}, "raise it with --arena-limit"},
		{"arena limit negative", []string{"memory", "--model", "mcunet-vww1", "--arena-limit", "-1"}, "--arena-limit must be"},
		{"/dev/zero model", []string{"memory", "--model", special("zero.tflite", zero)}, "must be a regular file, not a character device"},
		{"FIFO model", []string{"memory", "--model", special("fifo.tflite", fifo)}, "must be a regular file, not a named pipe"},
		{"1 GiB sparse model", []string{"memory", "--model", special("sparse.tflite", sparse)}, "size limit of 64 MiB (tflite.MaxFileBytes)"},
		{"/dev/zero JSON", []string{"memory", "--model", special("zero.json", zero)}, "must be a regular file, not a character device"},
		{"FIFO JSON", []string{"memory", "--model", special("fifo.json", fifo)}, "must be a regular file, not a named pipe"},
		{"1 GiB sparse JSON", []string{"memory", "--model", special("sparse.json", sparse)}, "size limit of 4 MiB (mcunetjson.MaxFileBytes)"},
		{"/dev/zero boards", []string{"boards", "--boards", special("zero.toml", zero)}, "must be a regular file, not a character device"},
		{"FIFO boards", []string{"boards", "--boards", special("fifo.toml", fifo)}, "must be a regular file, not a named pipe"},
		{"1 GiB sparse boards", []string{"boards", "--boards", special("sparse.toml", sparse)}, "size limit of 4 MiB (mem.MaxBoardsFileBytes)"},
		{"/dev/zero input", []string{"run", "--model", "mcunet-vww1", "--input", "/dev/zero"}, "must be a regular file, not a character device"},
		{"FIFO input", []string{"run", "--model", "mcunet-vww1", "--input", special("fifo.bin", fifo)}, "must be a regular file, not a named pipe"},
		{"1 GiB sparse input", []string{"run", "--model", "mcunet-vww1", "--input", special("sparse.bin", sparse)}, "size limit of 64 MiB (models.MaxActivationBytes)"},
		{"bits on a tflite", []string{"memory", "--model", crafted("too_large.tflite"), "--bits", "4"}, "--bits applies to MCUNet .json configs only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(c.args...)
			if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.want) {
				t.Errorf("mcusim %s\nexit %d, stdout %q\nstderr %q\nwant exit 2, no stdout, one line containing %q",
					strings.Join(c.args, " "), code, out, errOut, c.want)
			}
			t.Logf("%s | exit %d | %s", strings.Join(c.args, " "), code, strings.TrimSpace(errOut))
		})
	}
	// The limit of the planner can be raised: the same model plans with 64 MiB.
	if code, _, errOut := runCLI("memory", "--model", crafted("too_large.tflite"), "--arena-limit", "64"); code != 0 {
		t.Errorf("memory --arena-limit 64: exit %d: %s", code, errOut)
	}
}

// TestBits: an MCUNet JSON model's bit width is printed with its reason, and
// --bits overrides the file-name rule.
func TestBits(t *testing.T) {
	p := datatest.Require(t, "mcunet", "mcunet-256kb-1mb-int4_imagenet.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"memory", "--model", p}, `bits      4 (MCUNet JSON has no bit-width field: the file name contains "int4"`},
		{[]string{"memory", "--model", p, "--bits", "8"}, "bits      8 (MCUNet JSON has no bit-width field: set with --bits)"},
	} {
		code, out, errOut := runCLI(c.args...)
		if code != 0 || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d (%s), output lacks %q:\n%s", c.args, code, errOut, c.want, out)
		}
	}
	if code, _, errOut := runCLI("memory", "--model", p, "--bits", "5"); code != 2 || !strings.Contains(errOut, "--bits must be 8 or 4") {
		t.Errorf("--bits 5: exit %d, %q", code, errOut)
	}
	code, out, _ := runCLI("memory", "--model", p, "--json")
	var m map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil || m["bits"] != 4.0 {
		t.Errorf("memory --json: exit %d, bits %v", code, m["bits"])
	}
}
