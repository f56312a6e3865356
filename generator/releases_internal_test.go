package generator

import (
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/incident"
	"github.com/rbgen/rbgen/topology"
)

func TestReleaseTextNamesEachDeploy(t *testing.T) {
	at := func(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, time.UTC) }
	v := func(name string, from, to time.Time, reqs, failed int64) topology.Version {
		return topology.Version{Version: name, FirstSeen: from, LastSeen: to, Requests: reqs, Failed: failed}
	}
	for _, tc := range []struct {
		name string
		vs   []topology.Version
		want string
	}{
		{"no version says nothing", nil, ""},
		{"one version ran throughout", []topology.Version{v("1.4.2", at(9, 0, 0), at(15, 23, 59), 100, 1)},
			"`checkout` ran `1.4.2` throughout the traces read."},
		{"a rolling update reads as one version replacing another",
			[]topology.Version{v("1.4.2", at(9, 0, 0), at(12, 10, 3), 100, 1), v("1.4.3", at(12, 10, 0), at(15, 23, 59), 100, 1)},
			"`checkout` ran `1.4.2` until 2026-11-12 10:03 UTC, then `1.4.3` (first seen 2026-11-12 10:00 UTC)."},
		{"a release that fails far more often is suspected",
			[]topology.Version{v("1.4.2", at(9, 0, 0), at(12, 10, 3), 1000, 2), v("1.4.3", at(12, 10, 0), at(15, 23, 59), 100, 40)},
			"`checkout` ran `1.4.2` until 2026-11-12 10:03 UTC, then `1.4.3` (first seen 2026-11-12 10:00 UTC). `1.4.3` failed 40% of its requests, `1.4.2` 0.2%: suspect that release."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := releaseText(topology.Node{Name: "checkout", Versions: tc.vs}); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestWorkloadNamesThatAreNotKubernetesNamesGetNoCommands(t *testing.T) {
	n := topology.Node{Name: "checkout", Kind: topology.KindService, Workloads: []topology.Workload{
		{Namespace: "shop; rm -rf /", Kind: "deployment", Name: "checkout"},
		{Namespace: "shop", Kind: "deployment", Name: "$(curl evil)"},
		{Namespace: "shop", Name: "pods-only"},
	}}
	if ws := workloads(n); len(ws) != 0 {
		t.Errorf("workloads with commands: %+v", ws)
	}
	if r := rollback(n, "errors started"); strings.Contains(r, "kubectl") {
		t.Errorf("rollback: %s", r)
	}
}

func TestIncidentsAreGradedByTheSEVTable(t *testing.T) {
	start := time.Date(2026, 11, 10, 14, 0, 0, 0, time.UTC)
	// minutes of 100 requests, bad of them failing, over the given length.
	analysis := func(bad int64, length time.Duration) *incident.Analysis {
		a := &incident.Analysis{Window: topology.Window{Start: start, End: start.Add(time.Hour)}, Start: start, End: start.Add(length), Recovered: true}
		for m := time.Duration(0); m < time.Hour; m += time.Minute {
			failed := int64(0)
			if m < length {
				failed = bad
			}
			a.Minutes = append(a.Minutes, incident.Minute{T: start.Add(m), Requests: 100, Failed: failed})
		}
		return a
	}
	for _, tc := range []struct {
		name      string
		bad       int64
		length    time.Duration
		want, sev string
	}{
		{"all of checkout's requests failing for 30 minutes, a tenth of the traffic, is SEV2", 10, 30 * time.Minute, "SEV2", "high"},
		{"a quarter of all requests failing for 20 minutes is SEV1", 25, 20 * time.Minute, "SEV1", "critical"},
		{"most requests failing for two minutes is SEV2", 60, 2 * time.Minute, "SEV2", "high"},
		{"a few failures for ten minutes is SEV3", 3, 10 * time.Minute, "SEV3", "medium"},
		{"a blip is SEV4", 1, 2 * time.Minute, "SEV4", "low"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name, sev, why := incidentLevel(analysis(tc.bad, tc.length), config.DefaultIncidentLevels)
			if name != tc.want || sev != tc.sev || !strings.Contains(why, name+": ") {
				t.Errorf("got %s (%s): %s", name, sev, why)
			}
		})
	}
	own := []config.IncidentLevel{{Name: "P1", Severity: "critical", BadPercent: 5, Minutes: 1}, {Name: "P3", Severity: "low"}}
	if name, _, _ := incidentLevel(analysis(10, 30*time.Minute), own); name != "P1" {
		t.Errorf("a config's own table: got %s", name)
	}
}
