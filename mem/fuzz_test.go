package mem

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParseBoards checks that no input makes ParseBoards panic, that every error
// is located on a line of the input, and that every board it accepts keeps the
// invariants the cycle model relies on.
func FuzzParseBoards(f *testing.F) {
	shipped, err := os.ReadFile("../boards.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(shipped)
	f.Add([]byte(validBoard))
	for _, c := range badCases {
		src := validBoard
		for _, e := range c.edits {
			src = strings.Replace(src, e[0], e[1], 1)
		}
		f.Add([]byte(src))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		boards, err := ParseBoards(data, "f.toml")
		if err != nil {
			lines := strings.Count(string(data), "\n") + 1
			for _, e := range unjoin(err) {
				var le *LineError
				if !errors.As(e, &le) {
					t.Fatalf("error without a line: %v", e)
				}
				if le.Line < 1 || le.Line > lines {
					t.Fatalf("error on line %d of a %d-line input: %v", le.Line, lines, le)
				}
			}
			return
		}
		for i := range boards {
			b := &boards[i]
			if b.ClockMHz <= 0 || b.Flash.Size <= 0 || len(b.Banks) == 0 {
				t.Fatalf("accepted an implausible board: %+v", b)
			}
			for j, k := range b.Banks {
				if k.Size <= 0 || k.End() > 1<<32 {
					t.Fatalf("%s: bad bank %+v", b.ID, k)
				}
				if j > 0 && k.Base < b.Banks[j-1].End() {
					t.Fatalf("%s: banks unsorted or overlapping: %+v", b.ID, b.Banks)
				}
			}
			if _, size := b.ArenaRegion(); size <= 0 || size > b.TotalSRAM() {
				t.Fatalf("%s: arena %d of total %d", b.ID, size, b.TotalSRAM())
			}
			// The cost model starts from the database's wait states.
			if ws := b.FlashWaitStates(0); ws != b.Flash.WaitStates {
				t.Fatalf("%s: FlashWaitStates(max) = %d, wait_states = %d", b.ID, ws, b.Flash.WaitStates)
			}
			if _, err := b.CostModel(0, 1, 0, 0, Placement{}); err != nil {
				t.Fatalf("%s: CostModel of a 1-byte arena: %v", b.ID, err)
			}
		}
	})
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
