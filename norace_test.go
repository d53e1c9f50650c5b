//go:build !race

package mcusim_test

const raceEnabled = false
