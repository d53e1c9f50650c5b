// Package datatest gives tests the files of the shared data folder
// (models/datadir): a test skips with a clear message when the folder or a
// file is missing, except under CI=true, where it fails. Test helper only.
package datatest

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mcusim/models/datadir"
)

// Require returns the path of a file or folder under the data folder for a test.
// When the data folder or the file is missing the test is skipped with a clear
// message, except under CI=true, where it fails: CI always has ../shared.
func Require(t testing.TB, rel ...string) string {
	t.Helper()
	d, err := datadir.Find()
	if err == nil {
		p := filepath.Join(append([]string{d}, rel...)...)
		if _, serr := os.Stat(p); serr == nil {
			return p
		}
		err = fmt.Errorf("%s is missing from the shared data folder", filepath.Join(rel...))
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("shared data required under CI: %v", err)
	}
	t.Skipf("skipping: %v", err)
	return ""
}

// CSV is a table read from the data folder: the header and the rows, each row a
// map from column name to cell.
type CSV struct {
	Header []string
	Rows   []map[string]string
}

// ReadCSV reads a CSV file from the data folder for a test (skipping or failing
// as Require does) and fails the test when the file is malformed or lacks one of
// the columns named in need.
func ReadCSV(t testing.TB, rel string, need ...string) CSV {
	t.Helper()
	f, err := os.Open(Require(t, strings.Split(rel, "/")...))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v", rel, err)
	}
	out := CSV{Header: recs[0]}
	for _, c := range need {
		if !slices.Contains(out.Header, c) {
			t.Fatalf("%s lacks column %q", rel, c)
		}
	}
	for _, r := range recs[1:] {
		m := make(map[string]string, len(r))
		for i, h := range out.Header {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		out.Rows = append(out.Rows, m)
	}
	return out
}

// Files returns the paths of every file under the data folder whose name ends
// in one of the suffixes, sorted (skipping or failing as Require does).
func Files(t testing.TB, suffixes ...string) []string {
	t.Helper()
	dir := Require(t)
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		for _, s := range suffixes {
			if strings.HasSuffix(p, s) {
				out = append(out, p)
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
