package tempo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/tempo/pkg/tempopb"
	commonv1 "github.com/grafana/tempo/pkg/tempopb/common/v1"
)

// Series is one series of a TraceQL metrics query: its labels (attribute
// names as the query's by() spells them, plus __bucket for histograms) and
// the sum of its samples over the range.
type Series struct {
	Labels map[string]string
	Sum    float64
}

// MetricsStep is the step of every metrics query: an hour, so a week is 168
// samples a series, and the range's ends fall on whole hours.
const MetricsStep = time.Hour

// QueryRange runs one TraceQL metrics query over [start, end) and sums each
// series over it. The stream sends diffs (a message carries the samples
// that are new or changed since the last), so the samples are merged by
// series and timestamp before they are summed.
func (c *Client) QueryRange(ctx context.Context, query string, start, end time.Time) ([]Series, error) {
	req := &tempopb.QueryRangeRequest{Query: query, Start: uint64(start.UnixNano()), End: uint64(end.UnixNano()),
		Step: uint64(MetricsStep.Nanoseconds())}
	return retry(ctx, c.cfg, func() ([]Series, error) {
		ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
		stream, err := c.search.MetricsQueryRange(ctx, req)
		if err != nil {
			return nil, err
		}
		type series struct {
			labels  map[string]string
			samples map[int64]float64
		}
		byKey := map[string]*series{}
		for {
			resp, err := stream.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			if resp.Status == tempopb.PartialStatus_PARTIAL {
				return nil, &SourceError{Msg: "Tempo answered the metrics query only in part: " + resp.Message}
			}
			for _, ts := range resp.Series {
				labels := labelMap(ts.Labels)
				key := labelKey(labels)
				s := byKey[key]
				if s == nil {
					s = &series{labels: labels, samples: map[int64]float64{}}
					byKey[key] = s
				}
				for _, smp := range ts.Samples {
					s.samples[smp.TimestampMs] = smp.Value
				}
			}
		}
		out := make([]Series, 0, len(byKey))
		for _, key := range slices.Sorted(maps.Keys(byKey)) {
			s := byKey[key]
			var sum float64
			for _, v := range s.samples {
				if v == v { // NaN marks a step without data
					sum += v
				}
			}
			out = append(out, Series{Labels: s.labels, Sum: sum})
		}
		return out, nil
	})
}

// labelMap turns typed labels into strings as TraceQL prints them; a label
// with no value (the attribute was absent) is left out.
func labelMap(kvs []commonv1.KeyValue) map[string]string {
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		if kv.Value == nil {
			continue
		}
		switch v := kv.Value.Value.(type) {
		case *commonv1.AnyValue_StringValue:
			if v.StringValue != "" && v.StringValue != "nil" {
				out[kv.Key] = v.StringValue
			}
		case *commonv1.AnyValue_IntValue:
			out[kv.Key] = strconv.FormatInt(v.IntValue, 10)
		case *commonv1.AnyValue_DoubleValue:
			out[kv.Key] = strconv.FormatFloat(v.DoubleValue, 'g', -1, 64)
		case *commonv1.AnyValue_BoolValue:
			out[kv.Key] = strconv.FormatBool(v.BoolValue)
		}
	}
	return out
}

func labelKey(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%q=%q,", k, m[k])
	}
	return b.String()
}
