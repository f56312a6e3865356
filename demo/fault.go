package demo

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseFault reads a fault from "node=checkout,start=2026-11-12T14:00:00Z,
// end=2026-11-12T14:30:00Z,errors=0.5,latency=300ms,early=0.5": the form
// of the demo command's --fault flag.
func ParseFault(s string) (Fault, error) {
	var f Fault
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return f, fmt.Errorf("fault %q: want key=value pairs separated by commas", s)
		}
		var err error
		switch k {
		case "node":
			f.Node = v
		case "start":
			f.Start, err = time.Parse(time.RFC3339, v)
		case "end":
			f.End, err = time.Parse(time.RFC3339, v)
		case "errors":
			f.ErrorRate, err = strconv.ParseFloat(v, 64)
			if err == nil && (f.ErrorRate < 0 || f.ErrorRate > 1) {
				err = fmt.Errorf("want a ratio between 0 and 1")
			}
		case "latency":
			f.Latency, err = time.ParseDuration(v)
		case "pod":
			if f.OnePod, err = strconv.ParseBool(v); err != nil {
				err = fmt.Errorf("want true or false, got %q", v)
			}
		case "early":
			f.EarlyReturn, err = strconv.ParseFloat(v, 64)
			if err == nil && (f.EarlyReturn < 0 || f.EarlyReturn > 1) {
				err = fmt.Errorf("want a ratio between 0 and 1")
			}
		default:
			return f, fmt.Errorf("fault %q: unknown key %q (node, start, end, errors, latency, early, pod)", s, k)
		}
		if err != nil {
			return f, fmt.Errorf("fault %q: %s: %v", s, k, err)
		}
	}
	switch {
	case f.Node == "":
		return f, fmt.Errorf("fault %q: node is required", s)
	case f.Start.IsZero() || !f.End.After(f.Start):
		return f, fmt.Errorf("fault %q: want start and end, end after start", s)
	case f.ErrorRate == 0 && f.Latency == 0 && f.EarlyReturn == 0:
		return f, fmt.Errorf("fault %q: give errors, latency or early", s)
	}
	return f, nil
}
