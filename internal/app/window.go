package app

import (
	"fmt"
	"strings"
	"time"
)

// Window is an incident window and the baseline it is compared with.
type Window struct {
	Start, End, BaselineStart, BaselineEnd time.Time
}

// WindowRequest is a window as the user gave it: each time RFC 3339 or
// relative to Now ("-2h"); an empty baseline bound takes its default (the
// week before the window, or all time when the baseline has its own
// traces).
type WindowRequest struct {
	Start, End, BaselineStart, BaselineEnd string
	Now                                    time.Time
	SeparateBaseline                       bool
}

// InputError says what is wrong with what the user gave, in words for them.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErr(format string, args ...any) error { return &InputError{fmt.Sprintf(format, args...)} }

// ResolveWindow checks a requested window and fills in its defaults.
func ResolveWindow(r WindowRequest) (Window, error) {
	var w Window
	if r.Start == "" || r.End == "" {
		return w, inputErr("give the incident window: --start and --end")
	}
	var err error
	if w.Start, err = parseTime("start", r.Start, r.Now); err != nil {
		return w, err
	}
	if w.End, err = parseTime("end", r.End, r.Now); err != nil {
		return w, err
	}
	if !w.End.After(w.Start) {
		return w, inputErr("--end %s is not after --start %s", w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339))
	}
	w.BaselineStart, w.BaselineEnd = w.Start.Add(-7*24*time.Hour), w.Start
	if r.SeparateBaseline {
		w.BaselineStart, w.BaselineEnd = Earliest, Latest
	}
	if r.BaselineStart != "" {
		if w.BaselineStart, err = parseTime("baseline-start", r.BaselineStart, r.Now); err != nil {
			return w, err
		}
	}
	if r.BaselineEnd != "" {
		if w.BaselineEnd, err = parseTime("baseline-end", r.BaselineEnd, r.Now); err != nil {
			return w, err
		}
	}
	if !w.BaselineEnd.After(w.BaselineStart) {
		return w, inputErr("the baseline ends before it starts")
	}
	for _, b := range []struct {
		flag string
		t    time.Time
	}{{"start", w.Start}, {"end", w.End}, {"baseline-start", w.BaselineStart}, {"baseline-end", w.BaselineEnd}} {
		if b.t.Before(Earliest) || b.t.After(Latest) {
			return w, inputErr("--%s %s is outside %s to %s, the times traces can have",
				b.flag, b.t.Format(time.RFC3339), Earliest.Format("2006"), Latest.Format("2006"))
		}
	}
	return w, nil
}

// Earliest and Latest bound every window: a Go duration spans 292 years,
// and a window from 1700 to 2300 would overflow every minute into one.
var (
	Earliest = time.Unix(0, 0).UTC()
	Latest   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// parseTime reads RFC 3339 or a duration relative to now.
func parseTime(flag, v string, now time.Time) (time.Time, error) {
	if strings.HasPrefix(v, "-") || strings.HasPrefix(v, "+") {
		d, err := time.ParseDuration(v)
		if err != nil {
			return time.Time{}, inputErr("--%s %q: want RFC 3339 or a relative duration such as -2h", flag, v)
		}
		return now.Add(d).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, inputErr("--%s %q: want RFC 3339 (2026-11-12T14:00:00Z) or a relative duration such as -2h", flag, v)
	}
	return t.UTC(), nil
}
