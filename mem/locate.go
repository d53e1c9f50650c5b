package mem

import (
	"strconv"
	"strings"
)

// This file finds the source line of a TOML key, so that every board-file error
// can say file:LINE. github.com/BurntSushi/toml reports lines for syntax errors
// but exposes no positions for the keys of a document that parsed, so the text
// is scanned once more here. The scanner only ever sees text that the TOML
// parser accepted; on anything it does not understand it records nothing and the
// lookup falls back to the nearest enclosing table.

// keyPath is a key as the board parser walks it: table and key names, with an
// index segment for each element of an array of tables.
type keyPath []string

// indexMark starts an index segment. It cannot start a TOML bare key, and a
// quoted key starting with it would only cost a wrong line, never a crash.
const indexMark = "\x00"

func (k keyPath) child(names ...string) keyPath {
	c := make(keyPath, len(k), len(k)+len(names))
	copy(c, k)
	return append(c, names...)
}

func (k keyPath) index(i int) keyPath { return k.child(indexMark + strconv.Itoa(i)) }

// id is the map key of a path.
func (k keyPath) id() string { return strings.Join(k, "\x1f") }

// String formats the path as in the file: boards.stm32f746.sram[1].size_kib.
func (k keyPath) String() string {
	var b strings.Builder
	for i, s := range k {
		if strings.HasPrefix(s, indexMark) {
			b.WriteString("[" + s[len(indexMark):] + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if isBareKey(s) {
			b.WriteString(s)
		} else {
			b.WriteString(strconv.Quote(s))
		}
	}
	return b.String()
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBareByte(s[i]) {
			return false
		}
	}
	return true
}

func isBareByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// lineIndex maps key paths to the line that defines them. explicit holds table
// headers and "key =" lines; implicit holds tables that a longer header or
// dotted key creates on the way ([boards.x.flash] creates boards.x).
type lineIndex struct {
	explicit map[string]int
	implicit map[string]int
}

// line returns the line of k, or of its nearest enclosing table or key that has
// one (a key inside an inline table is reported on the inline table's line), or
// 1 when nothing matches.
func (ix *lineIndex) line(k keyPath) int {
	for n := len(k); n > 0; n-- {
		id := k[:n].id()
		if l, ok := ix.explicit[id]; ok {
			return l
		}
		if l, ok := ix.implicit[id]; ok {
			return l
		}
	}
	return 1
}

func (ix *lineIndex) define(k keyPath, line int) {
	for n := 1; n < len(k); n++ {
		if _, ok := ix.implicit[k[:n].id()]; !ok {
			ix.implicit[k[:n].id()] = line
		}
	}
	if _, ok := ix.explicit[k.id()]; !ok {
		ix.explicit[k.id()] = line
	}
}

// indexLines scans TOML source for table headers ([a.b]), array-of-tables
// headers ([[a.b]], numbered in order per parent element as TOML defines) and
// "key = value" lines, skipping the insides of multi-line strings and arrays.
func indexLines(src string) *lineIndex {
	ix := &lineIndex{explicit: map[string]int{}, implicit: map[string]int{}}
	arrays := map[string]int{} // resolved array-of-tables path → elements so far
	var table keyPath
	var val valueScanner
	for n, raw := range strings.Split(src, "\n") {
		lineNo := n + 1
		s := strings.TrimSuffix(raw, "\r")
		if val.open() {
			val.scan(s)
			continue
		}
		if n == 0 {
			s = strings.TrimPrefix(s, "\ufeff")
		}
		s = strings.TrimLeft(s, " \t")
		switch {
		case s == "" || s[0] == '#':
		case strings.HasPrefix(s, "[["):
			names, _, ok := parseKey(s[2:])
			if !ok {
				continue
			}
			p := resolve(names[:len(names)-1], arrays).child(names[len(names)-1])
			i := arrays[p.id()]
			arrays[p.id()] = i + 1
			ix.define(p, lineNo)
			table = p.index(i)
			ix.define(table, lineNo)
		case s[0] == '[':
			names, _, ok := parseKey(s[1:])
			if !ok {
				continue
			}
			table = resolve(names, arrays)
			ix.define(table, lineNo)
		default:
			names, rest, ok := parseKey(s)
			if !ok || !strings.HasPrefix(rest, "=") {
				continue
			}
			ix.define(table.child(names...), lineNo)
			val.scan(rest[1:])
		}
	}
	return ix
}

// resolve turns header names into a path, selecting the latest element of every
// array of tables on the way, as TOML does for [a.b] after [[a]].
func resolve(names []string, arrays map[string]int) keyPath {
	var p keyPath
	for _, name := range names {
		p = p.child(name)
		if c := arrays[p.id()]; c > 0 {
			p = p.index(c - 1)
		}
	}
	return p
}

// parseKey reads a dotted key (bare, "basic" or 'literal' parts) from the start
// of s and returns its parts and the text after it, with leading blanks removed.
func parseKey(s string) (names []string, rest string, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return nil, "", false
		}
		var name string
		switch s[0] {
		case '"':
			end := 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(s) {
				return nil, "", false
			}
			name = s[1:end]
			if u, err := strconv.Unquote(`"` + name + `"`); err == nil {
				name = u
			}
			s = s[end+1:]
		case '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return nil, "", false
			}
			name, s = s[1:1+end], s[2+end:]
		default:
			end := 0
			for end < len(s) && (isBareByte(s[end]) || s[end] >= 0x80) {
				end++
			}
			if end == 0 {
				return nil, "", false
			}
			name, s = s[:end], s[end:]
		}
		names = append(names, name)
		s = strings.TrimLeft(s, " \t")
		if strings.HasPrefix(s, ".") {
			s = s[1:]
			continue
		}
		return names, s, true
	}
}

// valueScanner follows a value across lines: open brackets and braces and
// multi-line strings keep it open, so their inner lines are not taken for keys.
type valueScanner struct {
	depth int
	delim string // `"""` or `'''` while inside a multi-line string
}

func (v *valueScanner) open() bool { return v.depth > 0 || v.delim != "" }

func (v *valueScanner) scan(s string) {
	for i := 0; i < len(s); {
		if v.delim != "" {
			switch {
			case v.delim == `"""` && s[i] == '\\':
				i += 2
			case strings.HasPrefix(s[i:], v.delim):
				i += len(v.delim)
				for i < len(s) && s[i] == v.delim[0] { // up to two quotes may end the content
					i++
				}
				v.delim = ""
			default:
				i++
			}
			continue
		}
		switch c := s[i]; {
		case c == '#':
			return
		case strings.HasPrefix(s[i:], `"""`), strings.HasPrefix(s[i:], `'''`):
			v.delim = s[i : i+3]
			i += 3
		case c == '"':
			i++
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' {
					i++
				}
				i++
			}
			i++
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return
			}
			i += end + 2
		case c == '[' || c == '{':
			v.depth++
			i++
		case c == ']' || c == '}':
			if v.depth > 0 {
				v.depth--
			}
			i++
		default:
			i++
		}
	}
}

// TOMLLines finds the source line of a key in a TOML document that parsed: the
// locator of the board files, shared with the facade's other TOML inputs (the
// `mcusim check` configuration) so that their errors say file:LINE too.
type TOMLLines struct{ ix *lineIndex }

// IndexTOML scans src once for its table headers and keys.
func IndexTOML(src string) TOMLLines { return TOMLLines{indexLines(src)} }

// Line returns the line of a top-level key, or 1 when it is not found.
func (t TOMLLines) Line(key string) int { return t.ix.line(keyPath{key}) }

// ElementLine returns the line of key in element i (from 0) of the array of
// tables named array ([[array]]); an empty key gives the element's header.
func (t TOMLLines) ElementLine(array string, i int, key string) int {
	k := keyPath{array}.index(i)
	if key != "" {
		k = k.child(key)
	}
	return t.ix.line(k)
}

// TOMLType names the TOML type of a value that toml.Decode put in a
// map[string]any ("integer", "string", "array of tables", ...), for errors.
func TOMLType(v any) string { return typeName(v) }
