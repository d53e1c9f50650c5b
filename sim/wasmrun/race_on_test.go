//go:build race

package wasmrun_test

// raceEnabled: the race detector slows the pure-Go reference executor about
// tenfold, so the full-model sweep runs without it (make test runs it again
// without -race).
const raceEnabled = true
