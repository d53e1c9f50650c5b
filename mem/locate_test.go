package mem

import "testing"

func TestIndexLines(t *testing.T) {
	src := `# header comment
top = 1
[boards.a]
name = "A" # a comment with [brackets] and key = value
notes = """
not_a_key = 1
[not.a.table]
"""
list = [
  "x = 1",
  [2, 3],
]
[[boards.a.sram]]
name = "first"
[[boards.a.sram]]
name = "second"
[boards.a.flash]
base = 0
"quoted.key" = 1
dotted.inner = 2
[boards.b]
'lit' = 3
[[boards.b.sram]]
size_kib = 4
`
	ix := indexLines(src)
	for _, c := range []struct {
		path keyPath
		line int
	}{
		{keyPath{"top"}, 2},
		{keyPath{"boards"}, 3},
		{keyPath{"boards", "a"}, 3},
		{keyPath{"boards", "a", "name"}, 4},
		{keyPath{"boards", "a", "notes"}, 5},
		{keyPath{"boards", "a", "list"}, 9},
		{keyPath{"boards", "a", "sram"}, 13},
		{keyPath{"boards", "a", "sram"}.index(0), 13},
		{keyPath{"boards", "a", "sram"}.index(0).child("name"), 14},
		{keyPath{"boards", "a", "sram"}.index(1), 15},
		{keyPath{"boards", "a", "sram"}.index(1).child("name"), 16},
		{keyPath{"boards", "a", "flash", "base"}, 18},
		{keyPath{"boards", "a", "flash", "quoted.key"}, 19},
		{keyPath{"boards", "a", "flash", "dotted", "inner"}, 20},
		{keyPath{"boards", "a", "flash", "dotted"}, 20},
		{keyPath{"boards", "b", "lit"}, 22},
		{keyPath{"boards", "b", "sram"}.index(0).child("size_kib"), 24},
		// Not in the file: the nearest enclosing known path answers.
		{keyPath{"boards", "a", "flash", "missing"}, 17},
		{keyPath{"boards", "a", "sram"}.index(1).child("base"), 15},
		{keyPath{"nowhere"}, 1},
		// Text inside the multi-line string and array is not a key.
		{keyPath{"boards", "a", "not_a_key"}, 3},
		{keyPath{"not", "a", "table"}, 1},
	} {
		if got := ix.line(c.path); got != c.line {
			t.Errorf("line(%s) = %d, want %d", c.path, got, c.line)
		}
	}
}

func TestKeyPathString(t *testing.T) {
	p := keyPath{"boards", "stm32f746", "sram"}.index(2).child("size_kib")
	if got := p.String(); got != "boards.stm32f746.sram[2].size_kib" {
		t.Errorf("String = %q", got)
	}
	if got := (keyPath{"boards", "a b"}).String(); got != `boards."a b"` {
		t.Errorf("String = %q", got)
	}
}
