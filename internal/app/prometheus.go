package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rbgen/rbgen/alerts"
	"github.com/rbgen/rbgen/config"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/internal/tlsconf"
	"github.com/rbgen/rbgen/prometheus"
	"github.com/rbgen/rbgen/topology"
)

// PrometheusConfig merges --prometheus and --prometheus-tenant over the
// config file's prometheus section, reading the secrets from the
// environment variables it names; ok is false when neither names a URL.
func PrometheusConfig(file config.Prometheus, url, tenant string, getenv func(string) string, w topology.Window) (prometheus.Config, bool, error) {
	if url == "" {
		url = file.URL
	}
	if tenant == "" {
		tenant = file.Tenant
	}
	pc := prometheus.Config{URL: url, Tenant: tenant, End: w.End, Lookback: w.End.Sub(w.Start),
		TLS: tlsconf.Files{CAFile: file.CAFile, CertFile: file.CertFile, KeyFile: file.KeyFile,
			InsecureSkipVerify: file.InsecureSkipVerify, Flag: "prometheus.ca_file"}}
	if url == "" {
		return pc, false, nil
	}
	if err := readSecrets(getenv, "Prometheus", [3]string{file.TokenEnv, file.UserEnv, file.PasswordEnv}, [3]*string{&pc.Token, &pc.User, &pc.Password}); err != nil {
		return pc, true, err
	}
	if pc.Lookback < time.Minute {
		pc.Lookback = time.Minute
	}
	return pc, true, nil
}

// MeasureWithPrometheus reads every node's and service-to-service edge's
// numbers from the series their alerts read. A Prometheus that holds none
// for any node is an error: the dialect, the matchers or the tenant is
// wrong, and the traces' numbers must not pass for its.
func MeasureWithPrometheus(ctx context.Context, client *prometheus.Client, g *topology.Graph, d alerts.Dialect) (topology.Measured, error) {
	nodes, edges := PrometheusTargets(g, d)
	m, err := client.Measure(ctx, nodes, edges)
	if err != nil {
		return m, err
	}
	if len(m.Nodes) == 0 {
		return m, &prometheus.Error{Msg: fmt.Sprintf("prometheus holds no span metrics for any node over %s – %s",
			m.Window.Start.Format(time.RFC3339), m.Window.End.Format(time.RFC3339)), Err: errors.New("check alerts.metrics (the dialect), alerts.matchers and the tenant")}
	}
	return m, nil
}

// PrometheusTargets are the series to measure each node and each
// service-to-service edge by: the alerts' own targets, and the service
// graph's client/server pair. Other edges are left to the traces.
func PrometheusTargets(g *topology.Graph, d alerts.Dialect) (map[string]alerts.Target, map[[2]string]alerts.Target) {
	nodes := map[string]alerts.Target{}
	for _, n := range g.Nodes {
		if n.Kind != topology.KindUser {
			nodes[n.Name] = generator.TargetOf(n, d)
		}
	}
	edges := map[[2]string]alerts.Target{}
	for _, e := range g.Edges {
		from, okF := g.Node(e.From)
		to, okT := g.Node(e.To)
		if !okF || !okT || from.Virtual || to.Virtual || from.Kind == topology.KindUser {
			continue
		}
		t := d.Peer(to.Name)
		sel := d.GraphClient + "=" + alerts.Quote(from.Name) + ", " + t.Selector
		t.Selector, t.ErrorSelector = sel, sel
		edges[[2]string{e.From, e.To}] = t
	}
	return nodes, edges
}
