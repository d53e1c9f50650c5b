// Command mcusim estimates peak SRAM, Flash, latency and energy of int8
// networks on Cortex-M boards without hardware. It reaches the project through
// the facade, package mcusim, only.
//
//	mcusim models                      list the built-in zoo
//	mcusim boards                      list the board database
//	mcusim memory --model M [...]      plan memory (layer or patch based)
//	mcusim fit [--models ...]          which models fit which boards
//	mcusim run --model M [...]         run the generated kernels (WASM), bit-exact check
//	mcusim estimate --model M --board B   latency, energy, per-layer cycles
//	mcusim validate                    estimated vs measured latencies, MAPE
//	mcusim calibrate [--write FILE]    refit the calibration table
//	mcusim claims [--json|--md]        published claims beside mcusim's values
//	mcusim check --config mcusim.toml  CI guard on peak SRAM, Flash, latency (exit 1 on failure)
//
// Every verb takes --json and then prints one JSON object on stdout. Results
// go to stdout, everything else to stderr: usage (mcusim <verb> -h, mcusim help
// <verb>, once), the verb list (mcusim alone, exit 2), progress of long work.
// Bad input exits with code 2 and one line on stderr that says what and where.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usagef(format string, a ...any) error { return fmt.Errorf(format, a...) }

// verb is one subcommand: it writes its result to out and, for help and
// progress, to errw (stderr).
type verb struct {
	name, summary string
	run           func(args []string, out, errw io.Writer) error
}

func verbs() []verb {
	return []verb{
		{"models", "list the built-in models with MACs, params and input size", cmdModels},
		{"boards", "list the boards with core, clock, SRAM, Flash and power", cmdBoards},
		{"memory", "plan peak SRAM and Flash of a model (layer- or patch-based)", cmdMemory},
		{"fit", "table of peak SRAM (layer vs patch), Flash and fit for models × boards", cmdFit},
		{"run", "generate the kernels, run them under wazero, check them against the reference", cmdRun},
		{"estimate", "latency, energy and per-layer cycles of a model on a board", cmdEstimate},
		{"validate", "estimated vs measured latency for every published row mcusim can build", cmdValidate},
		{"calibrate", "fit the per-(core, style) factor on the measured rows (make calibrate)", cmdCalibrate},
		{"claims", "published MCUNet/MCUNetV2 figures beside mcusim's, with computed verdicts", cmdClaims},
		{"check", "CI guard: peak SRAM, Flash and latency against budgets and a baseline (exit 1 on failure)", cmdCheck},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mcusim <verb> [flags]   (mcusim <verb> -h for the verb's flags)")
	fmt.Fprintln(w)
	for _, v := range verbs() {
		fmt.Fprintf(w, "  %-8s %s\n", v.name, v.summary)
	}
}

// run is the CLI. Results go to stdout, everything else to stderr: usage and
// help (mcusim, mcusim help, mcusim <verb> -h), progress, and errors — one
// line, exit code 2. Without a verb mcusim prints the verb list and exits 2;
// asked for help it exits 0.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 2 {
			// mcusim help VERB = mcusim VERB -h
			args = []string{args[1], "-h"}
		} else {
			usage(stderr)
			return 0
		}
	}
	for _, v := range verbs() {
		if v.name != args[0] {
			continue
		}
		err := v.run(args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(*checkFailed)):
			// The check ran and found failures (printed on stdout): exit 1.
			fmt.Fprintf(stderr, "mcusim %s: %s\n", v.name, err)
			return 1
		default:
			// Every failure here comes from the user's input (a flag, a model, a
			// board file): one line, exit code 2.
			fmt.Fprintf(stderr, "mcusim %s: %s\n", v.name, oneLine(err.Error()))
			return 2
		}
	}
	fmt.Fprintf(stderr, "mcusim: unknown verb %q; verbs: %s\n", args[0], verbNames())
	return 2
}

func verbNames() string {
	var n []string
	for _, v := range verbs() {
		n = append(n, v.name)
	}
	return strings.Join(n, ", ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// flagSet is a verb's flags: parse errors come back as one-line usage errors,
// and -h prints the usage once, to stderr.
type flagSet struct {
	*flag.FlagSet
	synopsis string
	errw     io.Writer
}

// newFlags makes a verb's flag set; errw receives the usage on -h.
func newFlags(name, synopsis string, errw io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package prints the usage on every error and on -h; the
	// verbs print it themselves, once, and only when asked (parse).
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, synopsis: synopsis, errw: errw}
}

// printUsage writes the verb's synopsis and flags.
func (fs *flagSet) printUsage() {
	fmt.Fprintf(fs.errw, "usage: mcusim %s %s\n\nflags:\n", fs.Name(), fs.synopsis)
	fs.SetOutput(fs.errw)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func (fs *flagSet) parse(args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.printUsage()
			return err
		}
		return usagef("%v (see mcusim %s -h)", err, fs.Name())
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q (see mcusim %s -h)", fs.Arg(0), fs.Name())
	}
	return nil
}

func writeJSON(out io.Writer, v any) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
