package topology_test

import (
	"slices"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/rbgen/rbgen/topology"
)

func TestVersionsAndWorkloadsAreReadFromTheResource(t *testing.T) {
	res := func(version, pod string) map[string]any {
		return map[string]any{"service.version": version, "k8s.namespace.name": "shop",
			"k8s.deployment.name": "checkout", "k8s.pod.name": pod, "host.name": "node-" + pod[len(pod)-1:]}
	}
	var spans []sp
	for i := 0; i < 10; i++ {
		v, pod, status := "1.4.2", "checkout-7d9f-a", ptrace.StatusCodeUnset
		if i >= 6 {
			v, pod, status = "1.4.3", "checkout-8e0a-b", ptrace.StatusCodeError
		}
		spans = append(spans, sp{Trace: "t" + string(rune('a'+i)), ID: "s", Svc: "checkout", Name: "POST /checkout", Kind: server,
			Start: float64(i * 60000), Dur: 10, Status: status, Res: res(v, pod)})
	}
	n := node(t, build(t, topology.Options{}, spans), "checkout")
	if len(n.Versions) != 2 {
		t.Fatalf("versions: %+v", n.Versions)
	}
	old, cur := n.Versions[0], n.Versions[1]
	if old.Version != "1.4.2" || old.Requests != 6 || old.Failed != 0 || cur.Version != "1.4.3" || cur.Requests != 4 || cur.Failed != 4 {
		t.Errorf("versions: %+v", n.Versions)
	}
	if !old.LastSeen.Before(cur.FirstSeen) {
		t.Errorf("1.4.2 last seen %v, 1.4.3 first seen %v: want the deploy between", old.LastSeen, cur.FirstSeen)
	}
	if len(n.Workloads) != 1 {
		t.Fatalf("workloads: %+v", n.Workloads)
	}
	w := n.Workloads[0]
	if w.Namespace != "shop" || w.Kind != "deployment" || w.Name != "checkout" || w.PodsSeen != 2 || w.Spans != 10 {
		t.Errorf("workload: %+v", w)
	}
	if len(n.Hosts) != 2 || n.Hosts[0] != "node-a" {
		t.Errorf("hosts: %v", n.Hosts)
	}
}

func TestAServiceWithoutReleaseAttributesHasNoVersions(t *testing.T) {
	n := node(t, build(t, topology.Options{}, []sp{{Trace: "t", ID: "s", Svc: "api", Name: "GET /", Kind: server, Dur: 1}}), "api")
	if n.Versions != nil || n.Workloads != nil || n.Hosts != nil {
		t.Errorf("node: %+v", n)
	}
}

func TestServingSpansKeepTheAttributesThatTellRequestsApart(t *testing.T) {
	var got [][]topology.Attr
	b := topology.NewBuilder(topology.Options{})
	b.Observe(func(tr *topology.Trace) {
		for i := range tr.Spans {
			got = append(got, tr.Spans[i].Tags())
		}
	})
	b.Add(topology.Batch{Traces: batch(sp{Trace: "t", ID: "s", Svc: "api", Name: "GET /", Kind: server, Dur: 1, Attrs: map[string]any{
		"app.tenant": "acme", "cloud.region": "eu-west-1", "http.request.method": "GET",
		"http.response.status_code": 500, "url.full": "https://api/x?id=1", "enduser.id": "u-81723", "code.lineno": 42,
		"http.request.body.size": 1234, "app.note": "a free-text value far longer than forty characters, so left out"}})})
	b.Finish()
	want := []topology.Attr{{Key: "app.tenant", Value: "acme"}, {Key: "cloud.region", Value: "eu-west-1"}}
	if len(got) != 1 || !slices.Equal(got[0], want) {
		t.Errorf("tags %v, want %v", got, want)
	}
}
