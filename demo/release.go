package demo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Canary runs a second version of one service beside the main one for a
// window, on its own deployment, serving a share of its requests; its
// requests fail with an exception at their own rate: the bad release a
// postmortem should find.
type Canary struct {
	Service, Version string
	Start, End       time.Time
	// Share is the share of the service's requests the canary serves.
	Share float64
	// ErrorRate is the share of the canary's requests that throw.
	ErrorRate float64
	// Exception is the exception.type they throw; Message its message.
	Exception, Message string
}

// Version is what every service runs outside a canary.
const Version = "1.4.2"

// release is the process a span comes from: its resource.
type release struct {
	service, version, env, namespace, deployment, pod string
}

func (r *release) key() string {
	return strings.Join([]string{r.service, r.version, r.env, r.deployment, r.pod}, "\x00")
}

// put describes the process the way an SDK and the Collector's
// k8sattributes processor would.
func (r *release) put(res pcommon.Resource) {
	a := res.Attributes()
	a.PutStr("service.name", r.service)
	a.PutStr("service.namespace", "shop")
	a.PutStr("service.version", r.version)
	a.PutStr("deployment.environment.name", r.env)
	a.PutStr("k8s.namespace.name", r.namespace)
	a.PutStr("k8s.deployment.name", r.deployment)
	a.PutStr("k8s.pod.name", r.pod)
}

// releaseOf returns the process that serves service in a trace: the
// production deployment, the staging one, or a canary.
func (g *gen) releaseOf(service string, staging bool, canary *Canary) *release {
	r := &release{service: service, version: Version, env: "production", namespace: "shop",
		deployment: service, pod: service + "-7c9f8d6b5-x2k4q"}
	if staging {
		r.env, r.namespace, r.pod = "staging", "shop-staging", service+"-5b8d7c9f4-q7m2w"
	}
	if canary != nil {
		r.version, r.deployment, r.pod = canary.Version, service+"-canary", service+"-canary-6f4b9c8d7-p3n8z"
	}
	if known, ok := g.releases[r.key()]; ok {
		return known
	}
	g.releases[r.key()] = r
	return r
}

// canaryFor returns the canary of service running at t, if any.
func (g *gen) canaryFor(service string, t time.Time) *Canary {
	for i := range g.cfg.Canaries {
		c := &g.cfg.Canaries[i]
		if c.Service == service && !t.Before(c.Start) && t.Before(c.End) {
			return c
		}
	}
	return nil
}

// ParseCanary reads a canary from "service=checkout,version=1.4.3,
// start=…,end=…,share=0.2,errors=0.5,exception=PaymentDeclinedError,
// message=…": the form of the demo command's --canary flag.
func ParseCanary(s string) (Canary, error) {
	var c Canary
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return c, fmt.Errorf("canary %q: want key=value pairs separated by commas", s)
		}
		var err error
		switch k {
		case "service":
			c.Service = v
		case "version":
			c.Version = v
		case "start":
			c.Start, err = time.Parse(time.RFC3339, v)
		case "end":
			c.End, err = time.Parse(time.RFC3339, v)
		case "share", "errors":
			var r float64
			if r, err = strconv.ParseFloat(v, 64); err == nil && (r < 0 || r > 1) {
				err = fmt.Errorf("want a ratio between 0 and 1")
			}
			if k == "share" {
				c.Share = r
			} else {
				c.ErrorRate = r
			}
		case "exception":
			c.Exception = v
		case "message":
			c.Message = v
		default:
			return c, fmt.Errorf("canary %q: unknown key %q (service, version, start, end, share, errors, exception, message)", s, k)
		}
		if err != nil {
			return c, fmt.Errorf("canary %q: %s: %v", s, k, err)
		}
	}
	switch {
	case c.Service == "" || c.Version == "":
		return c, fmt.Errorf("canary %q: service and version are required", s)
	case c.Start.IsZero() || !c.End.After(c.Start):
		return c, fmt.Errorf("canary %q: want start and end, end after start", s)
	case c.Share <= 0:
		return c, fmt.Errorf("canary %q: share must be above 0", s)
	}
	if c.Exception == "" {
		c.Exception = "RuntimeError"
	}
	if c.Message == "" {
		c.Message = "unexpected failure in " + c.Version
	}
	return c, nil
}

// checkCanaries refuses a canary of a service the shop lacks or outside
// the days it runs: it would change nothing.
func (c Config) checkCanaries() error {
	end := c.Start.AddDate(0, 0, c.Days)
	for _, k := range c.Canaries {
		if !slices.Contains(Nodes(), k.Service) || strings.ContainsAny(k.Service, "./") {
			return fmt.Errorf("canary of %q %w: the shop has no such service", k.Service, ErrIdleFault)
		}
		if !k.End.After(c.Start) || !k.Start.Before(end) {
			return fmt.Errorf("canary of %q %w: its window %s to %s is outside the demo's, %s to %s", k.Service, ErrIdleFault,
				k.Start.Format(time.RFC3339), k.End.Format(time.RFC3339), c.Start.Format(time.RFC3339), end.Format(time.RFC3339))
		}
	}
	return nil
}
