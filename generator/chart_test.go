package generator

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/incident"
)

func TestChartsAreWrittenAsMermaid(t *testing.T) {
	two := []string{"14:00", "14:01"}
	cases := []struct {
		name    string
		c       Chart
		mermaid string
	}{
		{"bars alone are bars", Chart{Title: "Failed", YAxis: "failed", Labels: two, Bars: []float64{1, 2}},
			"xychart-beta\n  title \"Failed\"\n  x-axis [\"14:00\", \"14:01\"]\n  y-axis \"failed\"\n  bar [1, 2]\n"},
		{"a line alone is a line", Chart{Title: "p95", Labels: two, Line: []float64{10, 20}},
			"xychart-beta\n  title \"p95\"\n  x-axis [\"14:00\", \"14:01\"]\n  line [10, 20]\n"},
		{"a suspect's bars come with its baseline line", Chart{Title: "db", Labels: []string{"14:00", "14:01", "14:02"},
			Bars: []float64{3, 300, 0}, Line: []float64{3, 3, 3}},
			"xychart-beta\n  title \"db\"\n  x-axis [\"14:00\", \"14:01\", \"14:02\"]\n  bar [3, 300, 0]\n  line [3, 3, 3]\n"},
		{"large values are written out, not in e-notation", Chart{Title: "x", Labels: []string{"14:00"}, Bars: []float64{sig3(12345)}},
			"xychart-beta\n  title \"x\"\n  x-axis [\"14:00\"]\n  bar [12300]\n"},
	}
	for _, c := range cases {
		if c.mermaid != "" && c.c.Mermaid() != c.mermaid {
			t.Errorf("%s: Mermaid\n%s\nwant\n%s", c.name, c.c.Mermaid(), c.mermaid)
		}
	}
}

func TestChartsFileRoundTrips(t *testing.T) {
	in := []Chart{{Title: "a", YAxis: "ms", Labels: []string{"14:00"}, Line: []float64{1.5}}, {Title: "b", Labels: []string{"14:00"}, Bars: []float64{0}}}
	out, err := DecodeCharts(encodeCharts(in))
	if err != nil || len(out) != 2 || out[0].Mermaid() != in[0].Mermaid() || out[1].Mermaid() != in[1].Mermaid() {
		t.Errorf("got %+v (%v)", out, err)
	}
}

func TestASuspectChartTitleCannotEndItsQuotes(t *testing.T) {
	s := incident.Suspect{Node: "db\"]\n  bar [9", SeriesOf: incident.Signal{Kind: incident.SignalOwnErrors}, Series: []float64{1, math.NaN()}}
	ms := []incident.Minute{{T: time.Date(2026, 11, 16, 14, 0, 0, 0, time.UTC)}, {T: time.Date(2026, 11, 16, 14, 1, 0, 0, time.UTC)}}
	c, _ := suspectChart(s, ms, time.Minute)
	src := c.Mermaid()
	if strings.Count(src, `"`) != 2+2*len(ms) || strings.Count(src, "bar [") != 1 {
		t.Errorf("the node name escaped its title:\n%s", src)
	}
	if !strings.Contains(src, "bar [1, 0]") {
		t.Errorf("a minute without traffic should have no bar:\n%s", src)
	}
}

func TestANodeTheBaselineNeverSawIsChartedWithoutABaseline(t *testing.T) {
	s := incident.Suspect{Node: "new-service", SeriesOf: incident.Signal{Kind: incident.SignalOwnErrors}, Series: []float64{50}, SeriesBaseline: math.NaN()}
	c, note := suspectChart(s, []incident.Minute{{T: time.Date(2026, 11, 16, 14, 0, 0, 0, time.UTC)}}, time.Minute)
	src := c.Mermaid()
	if strings.Contains(src, "line [") || strings.Contains(src, "NaN") || !strings.Contains(src, "bar [50]") ||
		!strings.Contains(note, "the baseline never saw it") {
		t.Errorf("chart (%s):\n%s", note, src)
	}
}

func TestMinutesWithoutTrafficAreGapsAndEventsAreMarked(t *testing.T) {
	start := time.Date(2026, 11, 10, 14, 0, 0, 0, time.UTC)
	var ms []incident.Minute
	for i := 0; i < 10; i++ {
		m := incident.Minute{T: start.Add(time.Duration(i) * time.Minute), Requests: 10, Failed: 5, P95MS: 300}
		if i == 4 || i == 5 {
			m = incident.Minute{T: m.T}
		}
		ms = append(ms, m)
	}
	f, l := charts(ms, time.Minute)
	if len(f.Gaps) != 10 || !f.Gaps[4] || !f.Gaps[5] || f.Gaps[3] || len(l.Gaps) != 10 {
		t.Fatalf("gaps %v", f.Gaps)
	}
	f.Marks = []Mark{{At: 2, What: "checkout 1.4.3 first seen"}}
	caption := f.Caption()
	for _, want := range []string{"No traffic at 14:04, 14:05", "▲ 14:02: checkout 1.4.3 first seen."} {
		if !strings.Contains(caption, want) {
			t.Errorf("caption %q lacks %q", caption, want)
		}
	}
	f.Marks = append(f.Marks, Mark{At: 3, What: "[evil](javascript:x) *loud*"})
	if c := f.Caption(); !strings.Contains(c, `\[evil\]`) || !strings.Contains(c, `\*loud\*`) {
		t.Errorf("a name in the caption is live Markdown: %q", c)
	}
	if !strings.Contains(f.Mermaid(), `"▲ 14:02"`) {
		t.Errorf("the Mermaid chart does not mark 14:02:\n%s", f.Mermaid())
	}
}
