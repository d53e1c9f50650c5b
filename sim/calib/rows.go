// Package calib owns the measured latencies mcusim is judged on: it reads the
// published rows (shared/data/mcunet/reported_results.csv), fits the cycle
// model's factor per (core, kernel style) on the rows marked for fitting, and
// validates the model on every row it can build, reporting in-sample and
// held-out errors apart (leave-one-out, leave-one-board-out,
// leave-one-engine-version-out).
//
// calib does not know where graphs come from: the caller passes a Resolver
// (the facade passes mcusim.LoadModel), so neither sim nor calib imports the
// model zoo. The fitted table is committed as sim/calibration_table.go
// (WriteTable, `make calibrate`) and read by sim's pricer.
package calib

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"mcusim/engine/kernels"
	"mcusim/models"
)

// Row is one published latency.
type Row struct {
	Source    string  `json:"source"`
	Board     string  `json:"board"`  // the CSV's board label, e.g. STM32F746
	Engine    string  `json:"engine"` // the CSV's engine column: an engine and its version
	Model     string  `json:"model"`  // model name as the resolver knows it
	LatencyMS float64 `json:"measured_ms"`
	// BoardID is the boards.toml id of Board ("" when the board is not in the
	// database) and Style the kernel style the engine column is compared with
	// ("" when the engine is not modelled).
	BoardID string `json:"board_id,omitempty"`
	Style   string `json:"style,omitempty"`
	// Fit marks the engine columns the calibration is fitted on; every other
	// row is held out.
	Fit bool `json:"fit_column"`
	// Skip says why the row is not simulated ("" when it is).
	Skip string `json:"skip,omitempty"`
}

// The label maps below are the only place where the CSV's free-text labels
// meet mcusim's names.

// engineStyles maps the engine columns of reported_results.csv to kernel styles.
// TFLM@713b6ed runs TFLM's portable reference kernels (≈44 cycles/MAC,
// cortex-m.md §7.1) and the "CMSIS-NN v2.0.0" column is CMSIS-NN kernels under
// the TFLM interpreter. TFLM v2.1.0 (≈12 cycles/MAC) and the 2021 TF-Lite column
// used an undocumented optimised build, so they are not modelled.
var engineStyles = map[string]string{
	"TinyEngine(2022-08)": kernels.StyleTinyEngine.String(),
	"TinyEngine (2021)":   kernels.StyleTinyEngine.String(),
	"CMSIS-NN-v2.0.0":     kernels.StyleCMSISNN.String(),
	"TFLM@713b6ed":        kernels.StyleTFLMRef.String(),
}

// fitEngines are the columns the factors are fitted on: TinyEngine's 2022
// release and the single CMSIS-NN and reference-TFLM columns, all on the
// STM32F746. The 2021 TinyEngine rows are an earlier release (30–50% more
// cycles per MAC on the same board, cortex-m.md §7.2) and the only rows on the
// F412 and H743: they are held out, a check across releases and boards.
var fitEngines = map[string]bool{"TinyEngine(2022-08)": true, "CMSIS-NN-v2.0.0": true, "TFLM@713b6ed": true}

// boardIDs maps the CSV's board labels to boards.toml ids.
var boardIDs = map[string]string{"STM32F746": "stm32f746", "STM32F412": "stm32f412", "STM32H743": "stm32h743"}

// modelName maps a README model label to a model name: "mcunet-5fps (in1)" →
// "mcunet-in1". Fig. 4's models have no published layer list (claims.md §2.2)
// and keep their labels; the resolver does not know them.
func modelName(s string) string {
	if i := strings.Index(s, "(in"); i >= 0 && strings.HasSuffix(s, ")") {
		return "mcunet-" + s[i+1:len(s)-1]
	}
	return s
}

// maxCSVBytes bounds what ReadReported reads: the shipped file is 40 KB.
const maxCSVBytes = 16 << 20

// ReadReported reads the latency rows of a reported_results.csv file (columns
// source, board, engine, model, metric, value, unit). OOM entries and other
// metrics are dropped; rows transcribed twice are kept once. Rows on boards
// or engines mcusim does not model have an empty BoardID or Style; Observe
// skips them with the reason.
func ReadReported(path string) ([]Row, error) { return readFile(path, readReported) }

func readReported(in io.Reader, path string) ([]Row, error) {
	var rows []Row
	seen := map[string]bool{}
	err := eachRecord(in, path, []string{"source", "board", "engine", "model", "metric", "value", "unit"}, func(cell func(string) string) {
		if cell("metric") != "latency" || cell("unit") != "ms" {
			return
		}
		v, err := strconv.ParseFloat(cell("value"), 64)
		if err != nil || v <= 0 {
			return // OOM
		}
		row := Row{Source: cell("source"), Board: cell("board"), Engine: cell("engine"), Model: modelName(cell("model")), LatencyMS: v}
		key := row.Board + "|" + row.Engine + "|" + row.Model + "|" + cell("value")
		if seen[key] {
			return // the README table is transcribed twice in places
		}
		seen[key] = true
		row.BoardID = boardIDs[row.Board]
		row.Style = engineStyles[row.Engine]
		row.Fit = fitEngines[row.Engine]
		rows = append(rows, row)
	})
	return rows, err
}

// readFile opens a CSV file and parses at most maxCSVBytes of it.
func readFile[T any](path string, parse func(io.Reader, string) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(io.LimitReader(f, maxCSVBytes), path)
}

// eachRecord reads a CSV whose header names at least the required columns and
// calls each for every record with a getter of cells by column name.
func eachRecord(in io.Reader, path string, required []string, each func(cell func(string) string)) error {
	r := csv.NewReader(in)
	head, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, c := range required {
		if _, ok := col[c]; !ok {
			return fmt.Errorf("%s: no column %q", path, c)
		}
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		each(func(name string) string { return rec[col[name]] })
	}
}

// Resolver returns the graph of a model named in a row. It returns nil and no
// error for a model without a layer list (the row is then skipped); an error
// stops the run.
type Resolver func(model string) (*models.Graph, error)

// resolve looks up the graph of every row on a known board, once per model,
// and gives each row that cannot be simulated its reason: the board, then the
// model's layer list, then the engine.
func resolve(rows []Row, res Resolver) (map[string]*models.Graph, error) {
	graphs := map[string]*models.Graph{}
	known := map[string]bool{}
	for i := range rows {
		r := &rows[i]
		if r.BoardID == "" {
			r.Skip = "board not in the database"
			continue
		}
		if _, done := known[r.Model]; !done {
			g, err := res(r.Model)
			if err != nil {
				return nil, fmt.Errorf("%s %s %s: %v", r.Board, r.Engine, r.Model, err)
			}
			known[r.Model] = g != nil
			if g != nil {
				graphs[r.Model] = g
			}
		}
		switch {
		case !known[r.Model]:
			r.Skip = "no layer list for " + r.Model + " (not published)"
		case r.Style == "":
			r.Skip = "engine not modelled (" + r.Engine + ")"
		}
	}
	return graphs, nil
}
