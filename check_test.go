package mcusim

import "testing"

// TestTolerance: the forms of tolerance and what each allows.
func TestTolerance(t *testing.T) {
	for _, c := range []struct {
		in            string
		before, after float64
		bytes, ok     bool
	}{
		{"0", 100, 100, true, true},
		{"0", 100, 101, true, false},
		{"512B", 1000, 1512, true, true},
		{"512B", 1000, 1513, true, false},
		{"2KiB", 0, 2048, true, true},
		{"2kB", 0, 2001, true, false},
		{"3%", 1000, 1030, true, true},
		{"3%", 1000, 969, true, false},
		{"0%", 87.409, 87.409, false, true},
		{"1B", 87.409, 87.410, false, false}, // bytes do not apply to ms: to the microsecond
	} {
		tol, err := ParseTolerance(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got := tol.allows(c.before, c.after, c.bytes, 0.001); got != c.ok {
			t.Errorf("%s: %g -> %g allowed %v, want %v", c.in, c.before, c.after, got, c.ok)
		}
	}
	for _, bad := range []string{"", "lots", "-1", "101%", "3 %%", "1MB"} {
		if _, err := ParseTolerance(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestParseSchedule: the schedule names of a check entry.
func TestParseSchedule(t *testing.T) {
	for in, want := range map[string]PlanOptions{
		"layer": {}, "": {}, "auto": {Auto: true},
		"p4-op13": {Patches: 4, SplitOp: 13}, "p2-block5": {Patches: 2, SplitBlock: 5},
	} {
		if got, err := parseSchedule(in); err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"patch", "p0-op3", "p4", "p4-op0", "P4-op3"} {
		if _, err := parseSchedule(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
