// Package bench holds mcusim's Go benchmarks (go test -bench . ./bench/) and, in
// later work, the paper-style figures and the claims table. Nothing in the library
// imports it.
package bench
