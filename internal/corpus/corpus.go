// Package corpus gathers the models that test suites sweep: the built-in zoo
// and the model files under the shared data folder that load. It is a test
// helper (it imports testing) and is never linked into the CLI.
package corpus

import (
	"strings"
	"testing"

	"mcusim/internal/datatest"
	"mcusim/models"
	"mcusim/models/mcunetjson"
	"mcusim/models/tflite"
	"mcusim/models/zoo"
)

// Zoo returns every fixed model of the built-in zoo.
func Zoo(t testing.TB) []*models.Graph {
	t.Helper()
	var gs []*models.Graph
	for _, e := range zoo.Entries() {
		g, err := zoo.Load(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	return gs
}

// TFLite returns every .tflite under the shared data folder that loads (the
// others fail cleanly at load time, which the loader's tests check); it skips
// or fails like datatest.Require when the folder is missing.
func TFLite(t testing.TB) []*models.Graph {
	t.Helper()
	var gs []*models.Graph
	for _, p := range datatest.Files(t, ".tflite") {
		if g, err := tflite.Load(p); err == nil {
			gs = append(gs, g)
		}
	}
	return gs
}

// MCUNetJSON returns the MCUNet and ProxylessNAS JSON configs of the shared
// data folder whose names end in one of suffixes; each must load.
func MCUNetJSON(t testing.TB, suffixes ...string) []*models.Graph {
	t.Helper()
	var gs []*models.Graph
	for _, p := range datatest.Files(t, suffixes...) {
		if !strings.HasSuffix(p, ".json") {
			continue
		}
		g, err := mcunetjson.Load(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		gs = append(gs, g)
	}
	return gs
}

// All returns the zoo and every loadable .tflite: the sweep of the run,
// count and estimate tests.
func All(t testing.TB) []*models.Graph {
	t.Helper()
	return append(Zoo(t), TFLite(t)...)
}
