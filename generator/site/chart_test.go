package site

import (
	"strings"
	"testing"

	"github.com/rbgen/rbgen/generator"
)

func TestChartsFromTheChartsFileDrawWhatTheyHold(t *testing.T) {
	draws := func(name string, c generator.Chart, rects, lines int) {
		t.Helper()
		svg := chartFigure(c)
		if n := strings.Count(svg, "<rect"); n != rects {
			t.Errorf("%s: %d bars, want %d", name, n, rects)
		}
		if n := strings.Count(svg, "<polyline"); n != lines {
			t.Errorf("%s: %d lines, want %d", name, n, lines)
		}
		if c.Title != "" && !strings.Contains(svg, ">"+c.Title+"</text>") {
			t.Errorf("%s: no title %q in %s", name, c.Title, svg)
		}
	}
	minutes := []string{"14:00", "14:01", "14:02"}
	draws("bars alone are bars", generator.Chart{Title: "Failed", Labels: minutes, Bars: []float64{1, 2, 0}}, 3, 0)
	draws("a line alone is a line", generator.Chart{Title: "p95", Labels: minutes, Line: []float64{10, 20, 5}}, 0, 1)
	draws("a suspect's bars come with its baseline line",
		generator.Chart{Title: "db", Labels: minutes, Bars: []float64{3, 300, 0}, Line: []float64{3, 3, 3}}, 3, 1)
	draws("a series that does not fit the axis draws nothing", generator.Chart{Labels: minutes[:1], Bars: []float64{1, 2}}, 0, 0)
	// A minute without traffic is a shaded gap: no bar, and the line
	// breaks there instead of dropping to 0.
	five := []string{"14:00", "14:01", "14:02", "14:03", "14:04"}
	gap := []bool{false, false, true, false, false}
	draws("a minute without traffic is a gap", generator.Chart{Title: "p95", Labels: five, Bars: []float64{1, 2, 0, 2, 1},
		Line: []float64{10, 20, 0, 5, 5}, Gaps: gap}, 4+1, 2)
	marked := chartFigure(generator.Chart{Title: "p95", Labels: five, Line: []float64{1, 2, 3, 4, 5},
		Marks: []generator.Mark{{At: 1, What: "checkout 1.4.3 first seen"}}})
	if !strings.Contains(marked, "stroke-dasharray") || !strings.Contains(marked, "<title>14:01: checkout 1.4.3 first seen</title>") {
		t.Errorf("the deploy is not marked: %s", marked)
	}
}
