package tempo

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/grafana/tempo/pkg/tempopb"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/tracefile"
)

// errNotFound is a trace Tempo does not have (any more).
var errNotFound = fmt.Errorf("trace not found")

// fetch gets one whole trace: /api/v2/traces/<id> as protobuf, whose Trace
// is OTLP-wire-compatible. Tempo answers an unknown ID with an empty 200 on
// v2 (404 on v1); both are errNotFound.
func (c *Client) fetch(ctx context.Context, f found) (ptrace.Traces, error) {
	return retry(ctx, c.cfg, func() (ptrace.Traces, error) {
		u := *c.base
		u.Path += "/api/v2/traces/" + f.id
		q := u.Query()
		start := c.cfg.End.Add(-c.cfg.Lookback)
		q.Set("start", strconv.FormatInt(start.Unix(), 10))
		q.Set("end", strconv.FormatInt(c.cfg.End.Unix()+1, 10))
		u.RawQuery = q.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return ptrace.Traces{}, err
		}
		req.Header.Set("Accept", "application/protobuf")
		if c.cfg.Tenant != "" {
			req.Header.Set("X-Scope-OrgID", c.cfg.Tenant)
		}
		if auth := c.cfg.authorization(); auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return ptrace.Traces{}, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
		if err != nil {
			return ptrace.Traces{}, err
		}
		switch {
		case resp.StatusCode == http.StatusNotFound:
			return ptrace.Traces{}, errNotFound
		case resp.StatusCode != http.StatusOK:
			return ptrace.Traces{}, &HTTPError{Code: resp.StatusCode, Body: string(body)}
		}
		return decodeTrace(resp.Header.Get("Content-Type"), body)
	})
}

func decodeTrace(contentType string, body []byte) (ptrace.Traces, error) {
	if strings.Contains(contentType, "json") {
		td, err := tracefile.DecodeJSON(body)
		if err == nil && td.SpanCount() == 0 {
			return td, errNotFound
		}
		return td, err
	}
	var resp tempopb.TraceByIDResponse
	if err := resp.Unmarshal(body); err != nil {
		return ptrace.Traces{}, fmt.Errorf("decode TraceByIDResponse: %w", err)
	}
	if resp.Trace == nil || len(resp.Trace.ResourceSpans) == 0 {
		return ptrace.Traces{}, errNotFound
	}
	raw, err := resp.Trace.Marshal()
	if err != nil {
		return ptrace.Traces{}, err
	}
	return (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(raw)
}
