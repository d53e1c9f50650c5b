package tflite

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mcusim/models/datadir"
)

// FuzzParse checks that Parse never panics and that every error is one line
// with the "tflite: <name>: " prefix. The seed corpus is every .tflite of the
// shared data folder plus the hand-built test models (the only seeds when the
// folder is missing). Run it with -fuzzminimizetime 0: by default the fuzzer
// minimizes every new interesting input, which for inputs derived from the
// multi-megabyte seeds takes up to a minute each and stalls fuzzing (a few dozen
// executions in two minutes instead of tens of thousands per second):
//
//	go test -run XXX -fuzz FuzzParse -fuzztime 120s -fuzzminimizetime 0 ./models/tflite/
func FuzzParse(f *testing.F) {
	f.Add(smallModel().bytes())
	f.Add(allOpsModel(5).bytes())
	if root, err := datadir.Find(); err == nil {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(path) != ".tflite" {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			f.Add(data)
			return nil
		})
		if err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Parse(data, "fuzz")
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "tflite: fuzz: ") || strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("malformed error %q", msg)
			}
			if g != nil {
				t.Fatal("non-nil graph with an error")
			}
			return
		}
		if err := g.Validate(); err != nil {
			t.Fatalf("returned graph does not validate: %v", err)
		}
		_, _ = g.MACs(), g.Params()
		for _, op := range g.Ops {
			_ = g.OpMACs(op)
		}
	})
}
