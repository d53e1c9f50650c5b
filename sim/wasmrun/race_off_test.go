//go:build !race

package wasmrun_test

const raceEnabled = false
