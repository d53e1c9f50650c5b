package isa

import (
	"math"
	"strings"
	"testing"
)

func TestConstructorsValidate(t *testing.T) {
	for _, tc := range []struct {
		core string
		new  func() *Table
	}{
		{"cortex-m4", NewCortexM4},
		{"cortex-m7", NewCortexM7},
		{"cortex-m33", NewCortexM33},
	} {
		t.Run(tc.core, func(t *testing.T) {
			tab := tc.new()
			if err := tab.validate(); err != nil {
				t.Fatal(err)
			}
			if tab.Core() != tc.core {
				t.Errorf("Core() = %q, want %q", tab.Core(), tc.core)
			}
			for _, c := range Classes() {
				if _, src := tab.Cost(c); src == "" {
					t.Errorf("class %s has no source", c)
				}
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(t *Table)
		reason string
	}{
		{"hole", func(t *Table) { t.source[DSP], t.cycles[DSP] = "", 0 }, "class dsp is not priced (a hole)"},
		{"negative", func(t *Table) { t.cycles[MAC] = -1 }, "class mac costs -1 cycles"},
		{"NaN", func(t *Table) { t.cycles[Load] = math.NaN() }, "class load costs NaN cycles"},
		{"infinite", func(t *Table) { t.cycles[Div] = math.Inf(1) }, "class div costs +Inf cycles"},
		{"no pipe", func(t *Table) { t.pipe[Store] = pipeUnset }, "class store has no pipe"},
		{"pipe on a single-issue core", func(t *Table) { t.issueWidth = 1 }, `class alu on pipe "any slot" of a single-issue core`},
		{"issue width", func(t *Table) { t.issueWidth = 3 }, "issue width 3"},
		{"pairable loads", func(t *Table) { t.pairableLoads = 1.5 }, "pairable-load fraction 1.5"},
		{"no core", func(t *Table) { t.core = "" }, "no core name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := NewCortexM7()
			tc.edit(tab)
			err := tab.validate()
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("validate() = %v, want an error containing %q", err, tc.reason)
			}
		})
	}
}

func TestBuildPanicsOnProgrammerError(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows []entry
	}{
		{"missing rows", []entry{{ALU, 1, whole, "test"}}},
		{"row twice", []entry{{ALU, 1, whole, "test"}, {ALU, 2, whole, "test"}}},
		{"class out of range", []entry{{Class(NumClasses), 1, whole, "test"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("build did not panic")
				}
			}()
			build("test", 1, 0, tc.rows)
		})
	}
}
