// Package datadir locates the shared data folder (../shared/data beside the
// checkout) that holds the real models and measured tables. The files are read in
// place and never copied into the project. The test helpers that read from it
// (Require, Files, ReadCSV) are in internal/datatest, so that code linked into the
// CLI does not import testing.
package datadir

import (
	"fmt"
	"os"
	"path/filepath"
)

// Env is the environment variable that overrides the data folder location.
const Env = "MCUSIM_DATA"

// Find returns the data folder: $MCUSIM_DATA if set, otherwise ../shared/data
// relative to the module root (the first ancestor of the working directory that
// holds go.mod).
func Find() (string, error) {
	if d := os.Getenv(Env); d != "" {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return "", fmt.Errorf("%s=%s is not a directory", Env, d)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			d := filepath.Join(dir, "..", "shared", "data")
			if st, err := os.Stat(d); err == nil && st.IsDir() {
				return filepath.Clean(d), nil
			}
			return "", fmt.Errorf("shared data folder not found at %s (set %s to its location)", filepath.Clean(d), Env)
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no go.mod above %s, cannot locate ../shared/data (set %s)", wd, Env)
		}
	}
}
