# mcusim — make demo (the main job on the built-in zoo and boards), make test (all tests).
# Only Go is required; the race detector is used when a C compiler is present.

GO       ?= go
RACE     := $(shell command -v gcc >/dev/null 2>&1 && echo -race)
FUZZTIME ?= 20s

.PHONY: demo test vet bench fuzz build tools calibrate

build:
	$(GO) build ./...

demo:
	$(GO) run ./cmd/mcusim fit

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

test: tools vet
	CGO_ENABLED=$(if $(RACE),1,0) $(GO) test $(RACE) -count=1 ./...
	@# The race detector slows the pure-Go reference executor tenfold, so the
	@# sweep that runs every model end to end skips large models under -race;
	@# run it once more in full without the detector.
	$(if $(RACE),$(GO) test -count=1 -run 'TestRunAllModels|TestCountMatchesRun' ./sim/wasmrun/)
	$(if $(RACE),$(GO) test -count=1 -run 'TestTFLiteOracle' .)

# Tools the tests call outside Go, installed when missing: wabt (wasm-validate)
# from Debian, and the TFLite oracle (tools/tflite-oracle): Node.js and npm from
# Debian, then the pinned npm packages (package-lock.json) with install scripts
# disabled — tfjs-tflite-node ships libtensorflowlite_c prebuilt, koffi its FFI
# binary in a per-platform package, so nothing is compiled.
tools:
	@command -v wasm-validate >/dev/null || { S=$$([ "$$(id -u)" = 0 ] || echo sudo); $$S apt-get update && $$S env DEBIAN_FRONTEND=noninteractive apt-get install -y wabt; }
	@{ command -v node && command -v npm; } >/dev/null || { S=$$([ "$$(id -u)" = 0 ] || echo sudo); $$S apt-get update && $$S env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; }
	@[ -f tools/tflite-oracle/node_modules/.package-lock.json ] && cmp -s tools/tflite-oracle/package-lock.json tools/tflite-oracle/.installed-lock || { cd tools/tflite-oracle && npm ci --ignore-scripts --no-audit --no-fund && cp package-lock.json .installed-lock; }
	@node -e 'require("./tools/tflite-oracle/node_modules/koffi")' || { echo "koffi's prebuilt binary does not load"; exit 1; }

# Refit the cycle model's per-(core, style) factor on the measured rows of
# ../shared/data/mcunet/reported_results.csv and rewrite the committed table.
calibrate:
	$(GO) run ./cmd/mcusim calibrate --write sim/calibration_table.go
	gofmt -w sim/calibration_table.go

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./bench/

# Short fuzzing of every parser and of the paths past the parser (seed corpora
# come from ../shared/data and the crafted models). Minimisation is off: it
# stalls fuzzing on inputs derived from large seeds (see FuzzParse).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 ./models/tflite/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 ./models/mcunetjson/
	$(GO) test -run '^$$' -fuzz '^FuzzParseBoards$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 ./mem/
	$(GO) test -run '^$$' -fuzz '^FuzzPlanEstimate$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 .
	$(GO) test -run '^$$' -fuzz '^FuzzRun$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 0 .
