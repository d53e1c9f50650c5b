package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"mcusim"
)

func cmdModels(args []string, out, errw io.Writer) error {
	fs := newFlags("models", "[--json]", errw)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.parse(args); err != nil {
		return err
	}
	rows, err := mcusim.Models()
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(out, map[string]any{"models": rows,
			"parametric": mcusim.ParametricModels})
	}
	tw := tabwriter.NewWriter(out, 2, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "name\tinput\tMACs\tparams\tdescription")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%.1fM\t%.2fM\t%s\n", r.Name, r.Input, float64(r.MACs)/1e6, float64(r.Params)/1e6, r.Description)
	}
	tw.Flush()
	fmt.Fprintln(out, "\nparametric: mbv2-w<W>-r<R> (MobileNetV2), proxyless-w<W>-r<R> (ProxylessNAS-Mobile), e.g. mbv2-w0.5-r128;")
	fmt.Fprintln(out, "files: any .tflite or MCUNet/ProxylessNAS .json config by path")
	return nil
}

type boardRow struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Core      string  `json:"core"`
	ClockMHz  int     `json:"clock_mhz"`
	SRAMBytes int     `json:"sram_bytes"`
	ArenaMax  int     `json:"arena_region_bytes"`
	Flash     int     `json:"flash_bytes"`
	FlashWS   int     `json:"flash_wait_states"`
	ICacheKiB int     `json:"icache_kib"`
	DCacheKiB int     `json:"dcache_kib"`
	PowerMW   float64 `json:"power_mw,omitempty"` // at clock_mhz
	// PowerBasis, RunUAPerMHz, RunStaticMA and SupplyV give P(f) at other
	// clocks (mem.Board.PowerAt); PowerUnknown says why there is no figure.
	PowerBasis   string    `json:"power_basis,omitempty"`
	RunUAPerMHz  float64   `json:"run_ua_per_mhz,omitempty"`
	RunStaticMA  float64   `json:"run_static_ma,omitempty"`
	SupplyV      float64   `json:"supply_v,omitempty"`
	PowerUnknown string    `json:"power_unknown,omitempty"`
	BusDivider   int       `json:"bus_divider"`
	FlashFacts   flashInfo `json:"flash"`
	Banks        []bank    `json:"banks"`
}

// flashInfo is the flash interface of a board: read width, latency table and
// accelerator geometry (0 or empty when not recorded).
type flashInfo struct {
	WidthBits    int    `json:"width_bits"`
	WaitStateMHz []int  `json:"wait_state_mhz,omitempty"`
	Accelerator  string `json:"accelerator"`
	Prefetch     bool   `json:"prefetch"`
	LineBytes    int    `json:"line_bytes,omitempty"`
	ARTILines    int    `json:"art_i_lines,omitempty"`
	ARTDLines    int    `json:"art_d_lines,omitempty"`
	CacheKiB     int    `json:"cache_kib,omitempty"`
	CacheWays    int    `json:"cache_ways,omitempty"`
}

type bank struct {
	Name string `json:"name"`
	Base string `json:"base"`
	Size int    `json:"size"`
	Bus  string `json:"bus"`
	TCM  bool   `json:"tcm"`
}

func cmdBoards(args []string, out, errw io.Writer) error {
	fs := newFlags("boards", "[--boards FILE] [--json]", errw)
	asJSON := fs.Bool("json", false, "print one JSON object")
	path := fs.String("boards", "", "board database TOML file (default: the built-in boards.toml)")
	if err := fs.parse(args); err != nil {
		return err
	}
	boards, err := mcusim.Boards(*path)
	if err != nil {
		return err
	}
	var rows []boardRow
	for i := range boards {
		b := &boards[i]
		_, arena := b.ArenaRegion()
		r := boardRow{ID: b.ID, Name: b.Name, Core: string(b.Core), ClockMHz: b.ClockMHz,
			SRAMBytes: b.TotalSRAM(), ArenaMax: arena, Flash: b.Flash.Size, FlashWS: b.Flash.WaitStates,
			ICacheKiB: b.ICacheKiB, DCacheKiB: b.DCacheKiB, PowerMW: b.PowerMW,
			PowerBasis: b.PowerBasis, RunUAPerMHz: b.RunUAPerMHz, RunStaticMA: b.RunStaticMA, SupplyV: b.SupplyV,
			PowerUnknown: b.PowerUnknown, BusDivider: max(b.BusDivider, 1)}
		f := b.Flash
		r.FlashFacts = flashInfo{WidthBits: f.WidthBits, WaitStateMHz: f.WaitStateMHz, Accelerator: string(f.Accelerator),
			Prefetch: f.Prefetch, LineBytes: f.LineBytes, ARTILines: f.ARTILines, ARTDLines: f.ARTDLines,
			CacheKiB: f.CacheKiB, CacheWays: f.CacheWays}
		for _, k := range b.Banks {
			r.Banks = append(r.Banks, bank{Name: k.Name, Base: fmt.Sprintf("0x%08x", k.Base), Size: k.Size, Bus: string(k.Bus), TCM: k.TCM})
		}
		rows = append(rows, r)
	}
	if *asJSON {
		return writeJSON(out, map[string]any{"boards": rows})
	}
	tw := tabwriter.NewWriter(out, 2, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tcore\tMHz\tSRAM\tarena region\tFlash\tWS\tI/D cache\tpower\tname")
	for _, r := range rows {
		power := "-"
		if r.PowerMW > 0 {
			power = fmt.Sprintf("%.0f mW", r.PowerMW)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d KiB\t%d KiB\t%d KiB\t%d\t%d/%d KiB\t%s\t%s\n", r.ID, r.Core, r.ClockMHz,
			r.SRAMBytes/1024, r.ArenaMax/1024, r.Flash/1024, r.FlashWS, r.ICacheKiB, r.DCacheKiB, power, r.Name)
	}
	tw.Flush()
	return nil
}

// Default models and boards of `mcusim fit` (and `make demo`): the MCUNet zoo on
// the papers' three boards (MCUNet §4.1: F412 256 kB, F746 320 kB, H743 512 kB).
var (
	fitModels = []string{"mcunet-in0", "mcunet-in1", "mcunet-in2", "mcunet-in3", "mcunet-in4", "mcunet-vww1", "mbv2-w0.35-r144", "proxyless-w0.3-r176", "mbv2-w1.0-r224"}
	fitBoards = []string{"stm32f412", "stm32f746", "stm32h743"}
)

func cmdFit(args []string, out, errw io.Writer) error {
	fs := newFlags("fit", "[--models M1,M2,...] [--board B1,B2,...] [--boards FILE] [--planner P] [--json [--progress]]", errw)
	modelList := fs.String("models", strings.Join(fitModels, ","), "comma-separated models (zoo names or paths)")
	boardList := fs.String("board", "", "comma-separated board ids (default: "+strings.Join(fitBoards, ",")+", or every board of --boards FILE)")
	planner := fs.String("planner", mcusim.PlannerTinyEngine, "memory planner: analytic or tinyengine (patch schedules need one of them)")
	path := fs.String("boards", "", "board database TOML file (default: the built-in boards.toml)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	progress := fs.Bool("progress", false, "report progress on stderr even with --json")
	var input string
	registerInput(fs.FlagSet, &input)
	if err := fs.parse(args); err != nil {
		return err
	}
	boards, err := mcusim.Boards(*path)
	if err != nil {
		return err
	}
	ids := splitList(*boardList)
	if len(ids) == 0 {
		ids = fitBoards
		if *path != "" {
			// A user's board file: its boards are the ones asked about.
			ids = nil
			for _, b := range boards {
				ids = append(ids, b.ID)
			}
		}
	}
	var chosen []*mcusim.Board
	for _, id := range ids {
		b, err := mcusim.FindBoardIn(boards, id)
		if err != nil {
			return err
		}
		chosen = append(chosen, b)
	}
	var graphs []*mcusim.Graph
	for _, name := range splitList(*modelList) {
		g, err := mcusim.LoadModel(name)
		if err != nil {
			return err
		}
		graphs = append(graphs, g)
	}
	rows, err := mcusim.FitTable(graphs, chosen, mcusim.FitTableOptions{Planner: *planner, InputSource: input,
		Progress: newProgress(errw, "fit", "models", !*asJSON || *progress).report})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(out, map[string]any{"rows": rows})
	}
	fmt.Fprintf(out, "peak SRAM under the %s planner, layer-based vs the best patch-based schedule (--auto).\n", *planner)
	fmt.Fprintln(out, "Flash = weights + bias + scale (code not included). Per board: layer-based / patch-based verdict,")
	fmt.Fprintln(out, "SRAM budget = the board's largest contiguous SRAM region.")
	if len(rows) > 0 {
		how := "the whole input frame is in SRAM in both schedules"
		if rows[0].InputSource == mcusim.InputStream {
			how = "the input arrives in rows: both schedules count only the rows or patch window a step needs, not the frame"
		}
		fmt.Fprintf(out, "Input convention --input-source %s, the same for both peaks: %s.\n", rows[0].InputSource, how)
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 2, 0, 2, ' ', 0)
	fmt.Fprint(tw, "model\tlayer peak\tpatch peak\tbest patch schedule\tFlash")
	for _, b := range chosen {
		_, sram := b.ArenaRegion()
		fmt.Fprintf(tw, "\t%s (%dK/%dK)", b.ID, sram/1024, b.Flash.Size/1024)
	}
	fmt.Fprintln(tw)
	for i := 0; i < len(rows); i += len(chosen) {
		r := rows[i]
		sched := "none better than layer"
		if r.Patch != nil {
			sched = fmt.Sprintf("%dx%d, split-op %d, %+.0f%% MACs", r.Patch.Patches, r.Patch.Patches, r.Patch.SplitOp, 100*r.Patch.MACsOverheadTotal)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s", r.Model, kib(r.LayerPeak), kib(r.PatchPeak), sched, kib(r.Flash))
		for _, br := range rows[i : i+len(chosen)] {
			fmt.Fprintf(tw, "\t%s / %s", br.LayerFit.Verdict, br.PatchFit.Verdict)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
