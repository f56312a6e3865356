package tempo

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/rbgen/rbgen/topology"
)

// Coverage says how much of the lookback a pull saw. Every run reports it.
type Coverage struct {
	Windows, WindowsSearched, WindowsFailed  int
	TracesFound, TracesFetched, TracesFailed int
	TracesMissing                            int // found by search, gone when fetched
	// WindowsFull returned as many traces as the limit allows: Tempo may
	// hold more, so the pull is a sample of them.
	WindowsFull int
	Spans       int64
}

// String is the coverage line.
func (c Coverage) String() string {
	s := fmt.Sprintf("tempo: %d/%d windows searched (%d failed), %d traces found, %d fetched (%d failed",
		c.WindowsSearched, c.Windows, c.WindowsFailed, c.TracesFound, c.TracesFetched, c.TracesFailed)
	if c.TracesMissing > 0 {
		s += fmt.Sprintf(", %d gone", c.TracesMissing)
	}
	s += fmt.Sprintf("), %d spans", c.Spans)
	if c.WindowsFull > 0 {
		s += fmt.Sprintf("; %d window(s) held more traces than --limit-per-window: a sample", c.WindowsFull)
	}
	return s
}

// Sampled says the pull is a sample: some window held more traces than it
// fetched.
func (c Coverage) Sampled() bool { return c.WindowsFull > 0 }

// Partial says some windows or traces were lost.
func (c Coverage) Partial() bool {
	return c.WindowsFailed > 0 || c.TracesFailed > 0 || c.WindowsSearched < c.Windows
}

// maxConsecutiveFailures ends a pull whose every call fails: a Tempo that
// went away mid-pull, not a bad window.
const maxConsecutiveFailures = 5

type fetched struct {
	f   found
	err error
	td  topology.Batch
}

// Stream implements topology.Source: search window by window, fetch with
// bounded concurrency, and hand each whole trace to fn, one at a time.
func (c *Client) Stream(ctx context.Context, fn func(topology.Batch) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var mu sync.Mutex
	update := func(f func(*Coverage)) {
		mu.Lock()
		f(&c.Coverage)
		cov := c.Coverage
		mu.Unlock()
		if c.cfg.Progress != nil {
			c.cfg.Progress(cov)
		}
	}
	wins := c.windows()
	update(func(cv *Coverage) { *cv = Coverage{Windows: len(wins)} })

	ids := make(chan found, c.cfg.Concurrency*4)
	go c.discover(ctx, cancel, wins, ids, update)

	results := make(chan fetched, c.cfg.Concurrency)
	var wg sync.WaitGroup
	for i := 0; i < c.cfg.Concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range ids {
				td, err := c.fetch(ctx, f)
				select {
				case results <- fetched{f: f, err: err, td: topology.Batch{Traces: td, Whole: true}}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	failures := 0
	for r := range results {
		if ctx.Err() != nil {
			continue // drain
		}
		switch {
		case errors.Is(r.err, errNotFound):
			update(func(cv *Coverage) { cv.TracesMissing++ })
			continue
		case r.err != nil && fatal(r.err):
			cancel(c.explain("fetching trace "+r.f.id, r.err))
			continue
		case r.err != nil:
			failures++
			update(func(cv *Coverage) { cv.TracesFailed++ })
			if failures >= maxConsecutiveFailures {
				cancel(c.explain(fmt.Sprintf("fetching traces (%d in a row failed)", failures), r.err))
			}
			continue
		}
		failures = 0
		update(func(cv *Coverage) { cv.TracesFetched++; cv.Spans += int64(r.td.Traces.SpanCount()) })
		if err := fn(r.td); err != nil {
			cancel(err)
		}
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if c.Coverage.TracesFetched == 0 {
		return &SourceError{Msg: fmt.Sprintf("no traces fetched from Tempo (%s); check --tenant, --query, --lookback and --lookback-end",
			c.Coverage)}
	}
	return nil
}

// discover searches the windows in order and sends each trace once.
func (c *Client) discover(ctx context.Context, cancel context.CancelCauseFunc, wins []window, ids chan<- found, update func(func(*Coverage))) {
	defer close(ids)
	seen := map[string]bool{}
	failures := 0
	for _, w := range wins {
		got, full, err := c.searchWindow(ctx, w)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if fatal(err) {
				cancel(c.explain(fmt.Sprintf("the search of %s–%s", w.start.UTC().Format("Jan 2 15:04"), w.end.UTC().Format("15:04")), err))
				return
			}
			update(func(cv *Coverage) { cv.WindowsFailed++ })
			if failures++; failures >= maxConsecutiveFailures {
				cancel(c.explain(fmt.Sprintf("searching (%d windows in a row failed)", failures), err))
				return
			}
			continue
		}
		failures = 0
		var fresh []found
		for _, f := range got {
			if !seen[f.id] {
				seen[f.id] = true
				fresh = append(fresh, f)
			}
		}
		update(func(cv *Coverage) {
			cv.WindowsSearched++
			cv.TracesFound += len(fresh)
			if full {
				cv.WindowsFull++
			}
		})
		for _, f := range fresh {
			select {
			case ids <- f:
			case <-ctx.Done():
				return
			}
		}
	}
}
