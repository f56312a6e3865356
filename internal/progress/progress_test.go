package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/tempo"
)

func TestProgressOffATerminalIsALineEveryFewSeconds(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	for _, quiet := range []bool{false, true} {
		var stderr bytes.Buffer
		p := New(&stderr, func() time.Time { return now }, false, quiet)
		for i := 1; i <= 40; i++ {
			now = now.Add(time.Second) // one update a second for 40 seconds
			p.Update(tempo.Coverage{Windows: 168, WindowsSearched: i, TracesFetched: 20 * i})
		}
		p.Done()
		lines := strings.Count(stderr.String(), "\n")
		switch {
		case quiet && lines != 0:
			t.Errorf("--quiet printed %q", stderr.String())
		case !quiet && (lines != 8 || !strings.Contains(stderr.String(), "40/168 windows searched, 800 traces fetched")):
			t.Errorf("want a line every 5 s (8 in 40 s), got:\n%s", stderr.String())
		}
	}
}

func TestProgressBarOnATerminal(t *testing.T) {
	var stderr bytes.Buffer
	p := New(&stderr, time.Now, true, false)
	p.Update(tempo.Coverage{Windows: 168, WindowsSearched: 84, TracesFetched: 1680})
	time.Sleep(150 * time.Millisecond)
	p.Update(tempo.Coverage{Windows: 168, WindowsSearched: 168, TracesFetched: 3360})
	p.Done()
	if !strings.Contains(stderr.String(), "(84/168)") || !strings.Contains(stderr.String(), "1680 traces fetched") {
		t.Errorf("no progress bar drawn: %q", stderr.String())
	}
}
