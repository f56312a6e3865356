// Package promtest gives tests the real Prometheus server and promtool,
// built from the Go module proxy by tools/build-prometheus.sh and cached
// outside the repository.
package promtest

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/internal/buildtool"
)

// Promtool builds (or finds in the cache) promtool and returns its path.
func Promtool(t testing.TB) string {
	t.Helper()
	return paths(t)[1]
}

// Prometheus builds (or finds in the cache) the Prometheus server and
// returns its path.
func Prometheus(t testing.TB) string {
	t.Helper()
	return paths(t)[0]
}

func paths(t testing.TB) []string {
	t.Helper()
	p, err := buildtool.Paths("build-prometheus.sh")
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 2 {
		t.Fatalf("tools/build-prometheus.sh printed %v, want the server and promtool", p)
	}
	return p
}

// Run runs promtool with args in dir and fails the test, quoting its
// output, when it does not exit 0. It returns what promtool printed.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(Promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// InputSeries writes promtool's input_series for one alert target from a
// recorded series, from `from` to `to` at the series' step: the cumulative
// counters a metrics-generator would have written (calls split into
// failed and ok by statusLabel, or a failed-calls counter of its own, and
// the duration histogram's buckets).
func InputSeries(tg alerts.Target, statusLabel string, s alerts.Series, from, to time.Time) []map[string]string {
	step := int64(s.Step / time.Second)
	first, last := from.Unix()/step, to.Unix()/step
	n := int(last - first + 1)
	calls, errs := make([]float64, n), make([]float64, n)
	hist := make([][]float64, len(tg.Buckets)+1)
	for i := range hist {
		hist[i] = make([]float64, n)
	}
	for _, c := range s.Cells {
		i := int(c.At - first)
		if i < 0 || i >= n {
			continue
		}
		calls[i] += c.Calls
		errs[i] += c.Errors
		for b, v := range c.Hist {
			hist[b][i] += v
		}
	}
	var out []map[string]string
	add := func(metric, labels string, perStep []float64) {
		out = append(out, map[string]string{"series": metric + "{" + labels + "}", "values": cumulative(perStep)})
	}
	if tg.ErrorCalls == tg.Calls {
		ok := make([]float64, n)
		for i := range ok {
			ok[i] = calls[i] - errs[i]
		}
		add(tg.Calls, tg.ErrorSelector, errs)
		add(tg.Calls, tg.Selector+", "+statusLabel+`="STATUS_CODE_UNSET"`, ok)
	} else {
		add(tg.Calls, tg.Selector, calls)
		add(tg.ErrorCalls, tg.ErrorSelector, errs)
	}
	below := make([]float64, n)
	for b := range hist {
		for i := range below {
			below[i] += hist[b][i]
		}
		le := "+Inf"
		if b < len(tg.Buckets) {
			le = alerts.LE(tg.Buckets[b], tg.Unit)
		}
		add(tg.Bucket, tg.Selector+`, le="`+le+`"`, below)
	}
	return out
}

// cumulative writes per-step counts as a counter's values.
func cumulative(perStep []float64) string {
	var b strings.Builder
	total := 0.0
	for i, v := range perStep {
		total += v
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatFloat(total, 'f', -1, 64))
	}
	return b.String()
}
