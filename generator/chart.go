package generator

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Chart is an xy chart as data. A postmortem draws it as Mermaid in its
// Markdown, and keeps every chart in PM-….charts.json beside the draft,
// from which the site (generator/site) draws the same numbers as SVG: no
// page reads a number back out of Mermaid.
type Chart struct {
	Title  string    `json:"title"`
	YAxis  string    `json:"y_axis,omitempty"`
	Labels []string  `json:"labels"`
	Bars   []float64 `json:"bars,omitempty"`
	Line   []float64 `json:"line,omitempty"`
	// Gaps are the points without traffic: their 0 is no value, not a
	// recovery, and the site draws them as gaps.
	Gaps []bool `json:"gaps,omitempty"`
	// Marks are events on the timeline (a deploy, an alert firing), at
	// the point they fall in.
	Marks []Mark `json:"marks,omitempty"`
}

// Mark is an event at one point of a chart.
type Mark struct {
	At   int    `json:"at"`
	What string `json:"what"`
}

// Caption says what Mermaid cannot draw: the points without traffic, and
// the marked events ("" when there are neither), as Markdown: the events
// carry names from trace data.
func (c Chart) Caption() string {
	var parts []string
	var gaps []string
	for i, g := range c.Gaps {
		if g && i < len(c.Labels) {
			gaps = append(gaps, c.Labels[i])
		}
	}
	if len(gaps) > 0 {
		if len(gaps) > 6 {
			gaps = append(gaps[:6], fmt.Sprintf("%d more", len(gaps)-6))
		}
		parts = append(parts, "No traffic at "+strings.Join(gaps, ", ")+": a 0 there is no value, not a recovery.")
	}
	for _, m := range c.Marks {
		if m.At >= 0 && m.At < len(c.Labels) {
			parts = append(parts, "▲ "+c.Labels[m.At]+": "+MD(m.What)+".")
		}
	}
	return strings.Join(parts, " ")
}

// ChartsSuffix ends the name of the charts file beside a postmortem.
const ChartsSuffix = ".charts.json"

// Mermaid is the chart as a Mermaid xychart. Labels are times and the
// title passed chartText, so neither can end its quotes.
func (c Chart) Mermaid() string {
	quoted := make([]string, len(c.Labels))
	for i, l := range c.Labels {
		quoted[i] = `"` + l + `"`
	}
	for _, m := range c.Marks {
		if m.At >= 0 && m.At < len(quoted) {
			quoted[m.At] = `"▲ ` + c.Labels[m.At] + `"`
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "xychart-beta\n  title \"%s\"\n  x-axis [%s]\n", c.Title, strings.Join(quoted, ", "))
	if c.YAxis != "" {
		fmt.Fprintf(&b, "  y-axis \"%s\"\n", c.YAxis)
	}
	if c.Bars != nil {
		fmt.Fprintf(&b, "  bar [%s]\n", numbers(c.Bars))
	}
	if c.Line != nil {
		fmt.Fprintf(&b, "  line [%s]\n", numbers(c.Line))
	}
	return b.String()
}

func numbers(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strings.Join(s, ", ")
}

// sig3 rounds to three significant digits: a chart shows no more, and the
// rounded values keep the charts file stable from run to run.
func sig3(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return r
}

// encodeCharts is the charts file's content.
func encodeCharts(cs []Chart) []byte {
	b, err := json.MarshalIndent(struct {
		Charts []Chart `json:"charts"`
	}{cs}, "", "  ")
	if err != nil {
		// Charts hold strings and finite numbers.
		panic(err)
	}
	return append(b, '\n')
}

// DecodeCharts reads a charts file.
func DecodeCharts(b []byte) ([]Chart, error) {
	var f struct {
		Charts []Chart `json:"charts"`
	}
	err := json.Unmarshal(b, &f)
	return f.Charts, err
}
