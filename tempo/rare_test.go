package tempo

import (
	"strings"
	"testing"
	"time"

	"github.com/rbgen/rbgen/topology"
)

func TestRareOperationsGetSearchesOfTheirOwn(t *testing.T) {
	end := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC)
	c := &Client{cfg: Config{End: end, Query: `{ resource.deployment.environment.name = "prod" }`}.withDefaults()}
	c.Cover([]Op{
		{Service: "web", Name: "GET /", Match: []topology.Attr{{Key: "http.route", Value: "/"}}, Calls: 50000},
		{Service: "web", Name: "GET /admin/export", Match: []topology.Attr{{Key: "http.route", Value: "/admin/export"}}, Calls: 5},
		{Service: `evil" } || { true`, Name: "run", Match: []topology.Attr{{Key: "name", Value: "run"}}, Calls: 1},
		{Service: "web", Name: "GET /once", Match: []topology.Attr{{Key: "http.route", Value: "/once"}}, Calls: 1},
	})
	sampled := map[opKey]int{{"web", "GET /"}: 400, {"web", "GET /admin/export"}: 1, {"web", "GET /once"}: 1}
	wins := c.rareWindows(sampled)
	if len(wins) != 2 {
		t.Fatalf("%d searches, want 2 (the export, sampled once of 5; the hostile one, never): %+v", len(wins), wins)
	}
	want := `{ resource.service.name = "web" && (kind = server || kind = consumer) && span.http.route = "/admin/export" && (resource.deployment.environment.name = "prod") }`
	if wins[0].query != want || wins[0].budget != DefaultMinPerOperation || !wins[0].end.Equal(end) || !wins[0].start.Equal(end.Add(-DefaultLookback)) {
		t.Errorf("got %+v\nwant %s over the whole lookback", wins[0], want)
	}
	if !strings.Contains(wins[1].query, `resource.service.name = "evil\" } || { true"`) {
		t.Errorf("a service name is not quoted as one string: %s", wins[1].query)
	}
	if got := c.opsSampled(sampled); got != 3 {
		t.Errorf("%d operations sampled, want 3", got)
	}
}

func TestQueryCondition(t *testing.T) {
	for _, c := range []struct {
		query, want string
		ok          bool
	}{
		{"{}", "", true},
		{`{ span.tenant = "a" }`, ` && (span.tenant = "a")`, true},
		{`{ a = 1 } >> { b = 2 }`, "", false},
		{`{ a = 1 } | count() > 2`, "", false},
	} {
		got, ok := (&Client{cfg: Config{Query: c.query}}).queryCondition()
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %q, %v; want %q, %v", c.query, got, ok, c.want, c.ok)
		}
	}
}
