package mem

import (
	"encoding/json"
	"strings"
	"testing"
)

// RegionTraffic marshals exactly as the map keyed by region name it replaced
// (accessed regions only, zero traffic included, keys in name order), and
// reads it back.
func TestRegionTrafficJSON(t *testing.T) {
	var rt RegionTraffic
	rt.Add(RegionFlash, 3, 100, 0)
	rt.Add(RegionArena, 3, 10, 20)
	rt.Add(RegionArena, 1, 1, 0)
	rt.Add(RegionScratch, 0, 8, 8) // accessed by a block that never ran
	got, err := json.Marshal(rt)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := json.Marshal(map[string]Traffic{"flash": {300, 0}, "arena": {31, 60}, "scratch": {}})
	if string(got) != string(old) {
		t.Errorf("JSON %s, want %s", got, old)
	}
	var back RegionTraffic
	if err := json.Unmarshal(got, &back); err != nil || back != rt {
		t.Errorf("read back %+v (%v), want %+v", back, err, rt)
	}
	if err := json.Unmarshal([]byte(`{"sram":{"read":1}}`), &back); err == nil || !strings.Contains(err.Error(), `unknown memory region "sram"`) {
		t.Errorf("unknown region: %v", err)
	}
}
