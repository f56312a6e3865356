package document

import (
	"reflect"
	"strings"
	"testing"
)

func TestFrontMatterRoundTrips(t *testing.T) {
	cases := []struct {
		name string
		fm   FrontMatter
	}{
		{"a runbook's keys come back as written", FrontMatter{ID: "RB-009", Key: "checkout/high-error-rate", Slug: "checkout-high-error-rate",
			Title: "RB-009: checkout: high error rate", Weight: 9, SidebarPosition: 9,
			Subject: Subject{Service: "checkout", NodeKind: "service", Symptom: "high-error-rate"}, Severity: "medium", Owner: "payments-oncall", Tags: []string{"service", "shop"},
			Status: "active", Observed: "2026-11-09/2026-11-15", Generator: "rbgen"}},
		{"a postmortem's times stay strings", FrontMatter{ID: "PM-20261110-x", Title: "PM: x", Period: Period{Start: "2026-11-10T14:00:00Z", End: "2026-11-10T14:30:00Z"}, Severity: "high", Status: "draft", Suspects: []string{"checkout", "yes", "1.0"}}},
		{"names that look like YAML stay names", FrontMatter{ID: "RB-001", Key: "a: b\n---\nid: RB-999", Title: "# x ' \" { [",
			Subject: Subject{Service: "null"}, Owner: "- item", Tags: []string{"a, b", "]"}, Severity: "low", Status: "active"}},
	}
	for _, c := range cases {
		text, err := Marshal(c.fm)
		if err != nil {
			t.Fatal(err)
		}
		got, body, err := Read(text + "\n# body\n")
		if err != nil || !reflect.DeepEqual(got, c.fm) || body != "\n# body\n" {
			t.Errorf("%s: got %+v, body %q, err %v from\n%s", c.name, got, body, err, text)
		}
	}
}

func TestSetStampsOneKeyAndKeepsTheRest(t *testing.T) {
	doc := "---\nid: RB-001\nstatus: active\nowner_note: mine\n---\nbody\n"
	got := Set(Set(doc, KeyStatus, "stale"), KeyHash, "abc")
	want := "---\nid: RB-001\nstatus: stale\nowner_note: mine\nrbgen_hash: abc\n---\nbody\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestBrokenFrontMatterSaysWhereAndWhat(t *testing.T) {
	if _, _, err := Read("# no front matter\n"); err != ErrNoFrontMatter {
		t.Errorf("a document without front matter: %v", err)
	}
	_, _, err := Read("---\nid: RB-001\ntitle: [unclosed\n---\nbody\n")
	if err == nil || !strings.Contains(err.Error(), "front matter") || !strings.Contains(err.Error(), "line") {
		t.Errorf("broken YAML: %v", err)
	}
}

func FuzzFrontMatterRoundTrip(f *testing.F) {
	f.Add("checkout/high-error-rate", "RB-001: x", "checkout", "a")
	f.Add("a: b\n---\nid: x", "'\"", "null", "- x")
	f.Fuzz(func(t *testing.T, key, title, service, suspect string) {
		// Callers clean names to valid UTF-8 before they reach here.
		clean := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
		fm := FrontMatter{ID: "RB-001", Key: clean(key), Title: clean(title), Subject: Subject{Service: clean(service)},
			Severity: "low", Status: "active", Suspects: []string{clean(suspect)}}
		text, err := Marshal(fm)
		if err != nil {
			t.Fatal(err)
		}
		got, body, err := Read(text + "body\n")
		if err != nil || !reflect.DeepEqual(got, fm) || body != "body\n" {
			t.Errorf("got %+v, body %q, err %v from\n%s", got, body, err, text)
		}
	})
}
