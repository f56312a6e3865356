package generator

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/incident"
)

func TestChartsOfMermaidSourceDrawWhatTheSourceHolds(t *testing.T) {
	cases := []struct {
		name, src    string
		rects, lines int
		title        string
	}{
		{"bars alone are bars", "xychart-beta\n  title \"Failed\"\n  x-axis [\"14:00\", \"14:01\"]\n  bar [1, 2]\n", 2, 0, "Failed"},
		{"a line alone is a line", "xychart-beta\n  title \"p95\"\n  x-axis [\"14:00\", \"14:01\"]\n  line [10, 20]\n", 0, 1, "p95"},
		{"a suspect's bars come with its baseline line", "xychart-beta\n  title \"db: ms; line: baseline\"\n  x-axis [\"14:00\", \"14:01\", \"14:02\"]\n  bar [3, 300, 0]\n  line [3, 3, 3]\n", 3, 1, "db: ms; line: baseline"},
		{"a series that does not fit the axis draws nothing", "xychart-beta\n  x-axis [\"14:00\"]\n  bar [1, 2]\n", 0, 0, ""},
	}
	for _, c := range cases {
		svg := xyChart(c.src)
		if n := strings.Count(svg, "<rect"); n != c.rects {
			t.Errorf("%s: %d bars, want %d", c.name, n, c.rects)
		}
		if n := strings.Count(svg, "<polyline"); n != c.lines {
			t.Errorf("%s: %d lines, want %d", c.name, n, c.lines)
		}
		if c.title != "" && !strings.Contains(svg, ">"+c.title+"</text>") {
			t.Errorf("%s: no title %q in %s", c.name, c.title, svg)
		}
	}
}

func TestASuspectChartTitleCannotEndItsQuotes(t *testing.T) {
	s := incident.Suspect{Node: "db\"]\n  bar [9", SeriesOf: incident.Signal{Kind: incident.SignalOwnErrors}, Series: []float64{1, math.NaN()}}
	ms := []incident.Minute{{T: time.Date(2026, 11, 16, 14, 0, 0, 0, time.UTC)}, {T: time.Date(2026, 11, 16, 14, 1, 0, 0, time.UTC)}}
	src, _ := suspectChart(s, ms)
	if strings.Count(src, `"`) != 2+2*len(ms) || strings.Count(src, "bar [") != 1 {
		t.Errorf("the node name escaped its title:\n%s", src)
	}
	if !strings.Contains(src, "bar [1, 0]") {
		t.Errorf("a minute without traffic should have no bar:\n%s", src)
	}
}

func TestANodeTheBaselineNeverSawIsChartedWithoutABaseline(t *testing.T) {
	s := incident.Suspect{Node: "new-service", SeriesOf: incident.Signal{Kind: incident.SignalOwnErrors}, Series: []float64{50}, SeriesBaseline: math.NaN()}
	src, note := suspectChart(s, []incident.Minute{{T: time.Date(2026, 11, 16, 14, 0, 0, 0, time.UTC)}})
	if strings.Contains(src, "line [") || strings.Contains(src, "NaN") || !strings.Contains(src, "bar [50]") ||
		!strings.Contains(note, "the baseline never saw it") {
		t.Errorf("chart (%s):\n%s", note, src)
	}
}
