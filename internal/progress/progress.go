// Package progress shows a Tempo pull's progress: a bar on a terminal
// (schollz/progressbar, which handles widths, throttling and clearing), a
// line every few seconds otherwise, nothing when quiet.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/rbgen/rbgen/tempo"
)

// Every spaces the progress lines written off a terminal.
const Every = 5 * time.Second

// Report receives a pull's coverage as it grows. It is safe for the
// concurrent callbacks of a pull.
type Report struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	w     io.Writer
	now   func() time.Time
	last  time.Time
	quiet bool
}

// New reports to w: a bar when w is a terminal, lines otherwise.
func New(w io.Writer, now func() time.Time, tty, quiet bool) *Report {
	p := &Report{w: w, now: now, quiet: quiet, last: now()}
	if !quiet && tty {
		p.bar = progressbar.NewOptions(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("pulling traces from Tempo"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("windows"),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100*time.Millisecond))
	}
	return p
}

// Update shows c.
func (p *Report) Update(c tempo.Coverage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.quiet:
	case p.bar != nil:
		if p.bar.GetMax() != c.Windows {
			p.bar.ChangeMax(c.Windows)
		}
		_ = p.bar.Set(c.WindowsSearched + c.WindowsFailed)
		p.bar.Describe(fmt.Sprintf("pulling from Tempo: %d traces fetched", c.TracesFetched))
	case p.now().Sub(p.last) >= Every:
		p.last = p.now()
		fmt.Fprintf(p.w, "rbgen: %d/%d windows searched, %d traces fetched…\n",
			c.WindowsSearched+c.WindowsFailed, c.Windows, c.TracesFetched)
	}
}

// Done ends the bar, if any.
func (p *Report) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
