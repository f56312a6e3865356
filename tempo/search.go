package tempo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/grafana/tempo/pkg/tempopb"
)

// found is a trace a search turned up.
type found struct {
	id    string // 32 hex digits
	start time.Time
}

// window is a stretch of the lookback and the traces wanted from it.
type window struct {
	start, end time.Time
	budget     int
	// query replaces the configured query: one operation's own search.
	query string
}

// windows splits the lookback into Window-sized pieces, oldest first.
func (c *Client) windows() []window {
	end := c.cfg.End.Truncate(time.Second)
	start := end.Add(-c.cfg.Lookback)
	var out []window
	for s := start; s.Before(end); s = s.Add(c.cfg.Window) {
		e := s.Add(c.cfg.Window)
		if e.After(end) {
			e = end
		}
		out = append(out, window{start: s, end: e, budget: c.cfg.LimitPerWindow})
	}
	return out
}

// searchWindow returns up to w.budget traces spread over w. When Tempo
// answers with a full page it is an arbitrary subset, often bunched at one
// end; the halves, each with half the budget, spread it. full says some
// search came back with a full page: Tempo holds more than was returned.
func (c *Client) searchWindow(ctx context.Context, w window) (got []found, full bool, err error) {
	got, err = c.searchOnce(ctx, w)
	if err != nil {
		return nil, false, err
	}
	half := w.end.Sub(w.start) / 2
	if len(got) < w.budget {
		return got, false, nil
	}
	if half < c.cfg.MinWindow || w.budget < 4 {
		return got, true, nil
	}
	mid := w.start.Add(half)
	left, fullL, errL := c.searchWindow(ctx, window{start: w.start, end: mid, budget: w.budget / 2, query: w.query})
	right, fullR, errR := c.searchWindow(ctx, window{start: mid, end: w.end, budget: w.budget - w.budget/2, query: w.query})
	if errL != nil || errR != nil {
		return got, true, nil // the full page is still a sample
	}
	return append(left, right...), fullL || fullR, nil
}

// searchOnce runs one streaming search, merging its messages: each carries
// only traces that are new or changed since the last.
func (c *Client) searchOnce(ctx context.Context, w window) ([]found, error) {
	query := c.cfg.Query
	if w.query != "" {
		query = w.query
	}
	req := &tempopb.SearchRequest{
		Query: query,
		Start: uint32(w.start.Unix()),
		End:   uint32(w.end.Unix()),
		Limit: uint32(w.budget),
	}
	return retry(ctx, c.cfg, func() ([]found, error) {
		ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
		stream, err := c.search.Search(ctx, req)
		if err != nil {
			return nil, err
		}
		byID := map[string]found{}
		for {
			resp, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			for _, t := range resp.Traces {
				id, err := PadTraceID(t.TraceID)
				if err != nil {
					continue
				}
				byID[id] = found{id: id, start: time.Unix(0, int64(t.StartTimeUnixNano))}
			}
		}
		out := make([]found, 0, len(byID))
		for _, f := range byID {
			out = append(out, f)
		}
		sort.Slice(out, func(i, j int) bool {
			if !out[i].start.Equal(out[j].start) {
				return out[i].start.Before(out[j].start)
			}
			return out[i].id < out[j].id
		})
		if len(out) > w.budget {
			out = out[:w.budget]
		}
		return out, nil
	})
}

// PadTraceID restores the leading zeros Tempo's search results drop.
func PadTraceID(id string) (string, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == "" || len(id) > 32 {
		return "", fmt.Errorf("trace ID %q: want up to 32 hex digits", id)
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return "", fmt.Errorf("trace ID %q: not hex", id)
		}
	}
	return strings.Repeat("0", 32-len(id)) + id, nil
}

// retry runs op with exponential backoff and jitter while its errors are
// transient, a bounded number of times.
func retry[T any](ctx context.Context, cfg Config, op func() (T, error)) (T, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = cfg.RetryBase
	if b.InitialInterval <= 0 {
		b.InitialInterval = 250 * time.Millisecond
	}
	b.MaxInterval = 5 * time.Second
	return backoff.Retry(ctx, func() (T, error) {
		v, err := op()
		if err != nil && !retryable(err) {
			return v, backoff.Permanent(err)
		}
		return v, err
	}, backoff.WithBackOff(b), backoff.WithMaxTries(uint(cfg.Retries+1)), backoff.WithMaxElapsedTime(0))
}
