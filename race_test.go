//go:build race

package mcusim_test

// raceEnabled shortens the concurrency sweep under the race detector, which
// slows the planners tenfold.
const raceEnabled = true
