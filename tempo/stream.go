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
	// OpsSeen are the operations Tempo's metrics saw over the lookback;
	// OpsSampled those with a trace pulled; RareSearches the operations
	// searched for on their own, RareSearched those searches done.
	OpsSeen, OpsSampled        int
	RareSearches, RareSearched int
	Spans                      int64
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
	if c.OpsSeen > 0 {
		s += fmt.Sprintf("; operations: %d seen in Tempo, %d sampled", c.OpsSeen, c.OpsSampled)
		if c.RareSearches > 0 {
			s += fmt.Sprintf(" (%d searched for on their own)", c.RareSearches)
		}
	}
	return s
}

// Sampled says the pull is a sample: some window held more traces than it
// fetched.
func (c Coverage) Sampled() bool { return c.WindowsFull > 0 }

// Partial says some windows or traces were lost.
func (c Coverage) Partial() bool {
	return c.WindowsFailed > 0 || c.TracesFailed > 0 || c.WindowsSearched < c.Windows || c.RareSearched < c.RareSearches
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
// With Cover set, every operation Tempo saw that the windows sampled fewer
// than MinPerOperation times is then searched for on its own.
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
	update(func(cv *Coverage) { *cv = Coverage{Windows: len(wins), OpsSeen: len(c.cover)} })
	p := &pull{seen: map[string]bool{}, sampled: map[opKey]int{}}
	c.pull(ctx, cancel, wins, p, fn, update)
	if rare := c.rareWindows(p.sampled); len(rare) > 0 && ctx.Err() == nil {
		update(func(cv *Coverage) { cv.RareSearches = len(rare) })
		c.pull(ctx, cancel, rare, p, fn, update)
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	update(func(cv *Coverage) { cv.OpsSampled = c.opsSampled(p.sampled) })
	if c.Coverage.TracesFetched == 0 {
		return &SourceError{Msg: fmt.Sprintf("no traces fetched from Tempo (%s); check --tenant, --query, --lookback and --lookback-end",
			c.Coverage)}
	}
	return nil
}

// pull is what the two rounds of a Stream share: the traces already
// found, and the sampled traces per operation.
type pull struct {
	seen    map[string]bool
	sampled map[opKey]int
}

// pull searches wins and fetches what they find, handing each trace to fn;
// a fatal error cancels ctx with its cause.
func (c *Client) pull(ctx context.Context, cancel context.CancelCauseFunc, wins []window, p *pull, fn func(topology.Batch) error, update func(func(*Coverage))) {
	ids := make(chan found, c.cfg.Concurrency*4)
	go c.discover(ctx, cancel, wins, p.seen, ids, update)

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
		if c.cover != nil {
			tally(p.sampled, r.td.Traces)
		}
		update(func(cv *Coverage) { cv.TracesFetched++; cv.Spans += int64(r.td.Traces.SpanCount()) })
		if err := fn(r.td); err != nil {
			cancel(err)
		}
	}
}

// discover searches the windows in order and sends each trace once.
func (c *Client) discover(ctx context.Context, cancel context.CancelCauseFunc, wins []window, seen map[string]bool, ids chan<- found, update func(func(*Coverage))) {
	defer close(ids)
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
			cv.TracesFound += len(fresh)
			switch {
			case w.query != "":
				cv.RareSearched++
			case full:
				cv.WindowsFull++
				fallthrough
			default:
				cv.WindowsSearched++
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
