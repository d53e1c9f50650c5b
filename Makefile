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

# Tools the tests call outside Go (Debian packages), installed when missing.
tools:
	@/usr/bin/python3 -c 'import pyarmnn' >/dev/null 2>&1 || { S=$$([ "$$(id -u)" = 0 ] || echo sudo); $$S apt-get update && $$S env DEBIAN_FRONTEND=noninteractive apt-get install -y python3-pyarmnn; }
	@command -v wasm-validate >/dev/null || { S=$$([ "$$(id -u)" = 0 ] || echo sudo); $$S apt-get update && $$S env DEBIAN_FRONTEND=noninteractive apt-get install -y wabt; }

# Refit the cycle model's per-(core, style) factor on the measured rows of
# ../shared/data/mcunet/reported_results.csv and rewrite the committed table.
calibrate:
	$(GO) run ./cmd/mcusim calibrate --write sim/calibration_table.go
	gofmt -w sim/calibration_table.go

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./bench/

# Short fuzzing of every parser (seed corpora come from ../shared/data).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) -fuzzminimizetime 0 ./models/tflite/
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./models/mcunetjson/
	$(GO) test -run '^$$' -fuzz FuzzParseBoards -fuzztime $(FUZZTIME) ./mem/
