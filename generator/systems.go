package generator

import (
	"bytes"
	"net"
	"strings"
	"text/template"

	"github.com/rbgen/rbgen/topology"
)

// advice is what datastores.md.tmpl says about one system.
type advice struct {
	title, note         string
	checks, remediation []string
}

// systemTitles name the systems datastores.md.tmpl has advice for.
var systemTitles = map[string]string{
	"postgresql": "PostgreSQL", "mysql": "MySQL", "redis": "Redis", "mongodb": "MongoDB",
	"elasticsearch": "Elasticsearch", "memcached": "memcached", "kafka": "Kafka", "rabbitmq": "RabbitMQ",
}

// systemData is what a per-system block sees.
type systemData struct {
	Name string // the node, escaped Markdown
	Host string // a host safe to paste into a command, else HOST
	Node topology.Node
}

// systemAdvice renders the node's system's blocks, or nothing when the
// node names no system the templates know.
func systemAdvice(tmpl *template.Template, n topology.Node) advice {
	title, ok := systemTitles[n.System]
	if tmpl == nil || !ok || n.Kind == topology.KindService {
		return advice{}
	}
	data := systemData{Name: MD(n.Name), Host: commandHost(n), Node: n}
	a := advice{title: title, checks: items(tmpl, n.System+" checks", data), remediation: items(tmpl, n.System+" remediation", data)}
	if data.Host == "HOST" {
		a.note = "Replace `HOST` with the server's address: the traces do not give one that is safe to paste into a command."
	}
	return a
}

// items renders a block and splits it into its "- " lines.
func items(tmpl *template.Template, name string, data systemData) []string {
	t := tmpl.Lookup(name)
	if t == nil {
		return nil
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return []string{"(template " + Code(name) + " failed: " + MD(err.Error()) + ")"}
	}
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		if item, ok := strings.CutPrefix(strings.TrimSpace(line), "- "); ok {
			out = append(out, item)
		}
	}
	return out
}

// commandHost is the host the callers' spans name the node by, when it is
// a plain host name or address: anything else could run as shell.
func commandHost(n topology.Node) string {
	host := ""
	for _, a := range n.Match {
		switch a.Key {
		case "server.address", "net.peer.name", "peer.hostname", "network.peer.address", "net.sock.peer.addr", "net.peer.ip", "db.connection_string host":
			host = a.Value
		}
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" || len(host) > 253 || strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != "" {
		return "HOST"
	}
	return host
}

// isDatastore says the node is a database, cache or broker: its
// operations are statements or commands.
func isDatastore(n topology.Node) bool {
	switch n.Kind {
	case topology.KindDatabase, topology.KindCache, topology.KindMessaging:
		return true
	}
	return false
}

// opNoun is what a node's operations are called.
func opNoun(n topology.Node) string {
	switch n.Kind {
	case topology.KindDatabase:
		return "statements"
	case topology.KindCache:
		return "commands"
	}
	return "operations"
}
