package app

import (
	"errors"
	"testing"
	"time"
)

func TestWindowsResolveAsAPersonWouldRead(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	week := 7 * 24 * time.Hour
	cases := []struct {
		name string
		r    WindowRequest
		want Window
	}{
		{"relative times count back from now, and the baseline is the week before",
			WindowRequest{Start: "-90m", End: "-30m", Now: now},
			Window{now.Add(-90 * time.Minute), now.Add(-30 * time.Minute), now.Add(-90*time.Minute - week), now.Add(-90 * time.Minute)}},
		{"a baseline of its own traces spans all time unless bounded",
			WindowRequest{Start: "2026-11-20T14:00:00Z", End: "2026-11-20T14:30:00Z", SeparateBaseline: true, BaselineEnd: "2026-11-20T00:00:00Z", Now: now},
			Window{time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 14, 30, 0, 0, time.UTC),
				time.Unix(0, 0).UTC(), time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}},
	}
	for _, c := range cases {
		got, err := ResolveWindow(c.r)
		if err != nil || got != c.want {
			t.Errorf("%s: %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
}

func TestBadWindowsAreTheUsersToMend(t *testing.T) {
	for _, r := range []WindowRequest{
		{End: "-1h"},
		{Start: "yesterday", End: "-1h"},
		{Start: "-1h", End: "-2h"},
		{Start: "-1h", End: "-30m", BaselineStart: "-1h", BaselineEnd: "-2h"},
		{Start: "1700-01-01T00:00:00Z", End: "2300-01-01T00:00:00Z"},
		{Start: "-1h", End: "-30m", BaselineStart: "1600-01-01T00:00:00Z"},
	} {
		var ie *InputError
		if _, err := ResolveWindow(r); !errors.As(err, &ie) {
			t.Errorf("%+v: %v, want an InputError", r, err)
		}
	}
}
