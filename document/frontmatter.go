// Package document reads and writes the front matter of the documents rbgen
// generates (runbooks, postmortems) through one struct, with YAML that
// Hugo, MkDocs and Docusaurus read as is. The table of contents, the site,
// the postmortem index and the runbook store all read documents here, so
// a key is spelt, quoted and unquoted one way.
package document

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FrontMatter is every key rbgen writes. Runbooks use the first group,
// postmortems ID, Title, Start, End, Severity, Status and Suspects. Keys a
// person adds are kept in the file and ignored here.
type FrontMatter struct {
	ID              string `yaml:"id"`
	Key             string `yaml:"key,omitempty"`
	Slug            string `yaml:"slug,omitempty"`
	Title           string `yaml:"title"`
	Weight          int    `yaml:"weight,omitempty"`
	SidebarPosition int    `yaml:"sidebar_position,omitempty"`
	Subject         `yaml:",inline"`
	Period          `yaml:",inline"`
	Severity        string `yaml:"severity"`
	// Level is a postmortem's SEV level from the config's table.
	Level    string   `yaml:"level,omitempty"`
	Owner    string   `yaml:"owner,omitempty"`
	Tags     []string `yaml:"tags,flow,omitempty"`
	Status   string   `yaml:"status"`
	Suspects []string `yaml:"suspects,omitempty"`
	// Trigger is a postmortem's probable trigger: the attribute value
	// most of the failing requests had and the others did not.
	Trigger  *Trigger `yaml:"trigger,omitempty"`
	Observed string   `yaml:"observed,omitempty"`
	// StatsSource says where a runbook's numbers came from (traces,
	// tempo-metrics or prometheus), Traces how many traces were read and
	// Sampled whether those were a sample the source chose.
	StatsSource string `yaml:"stats_source,omitempty"`
	Traces      int64  `yaml:"traces,omitempty"`
	Sampled     bool   `yaml:"sampled,omitempty"`
	Generator   string `yaml:"generator,omitempty"`
	// ExactKey is the runbook's key, base64url, when Key had to be
	// cleaned for display (control or bidi characters, invalid UTF-8, a
	// name cut short): a lost registry is rebuilt from the exact key, so
	// every number survives.
	ExactKey string `yaml:"rbgen_key,omitempty"`
	Hash     string `yaml:"rbgen_hash,omitempty"`
}

// SetKey records key, shown as display; the exact key is kept too when
// the two differ.
func (fm *FrontMatter) SetKey(key, display string) {
	fm.Key, fm.ExactKey = display, ""
	if key != display {
		fm.ExactKey = base64.RawURLEncoding.EncodeToString([]byte(key))
	}
}

// RunbookKey is the exact key the front matter names ("" for none).
func (fm FrontMatter) RunbookKey() string {
	if fm.ExactKey != "" {
		if b, err := base64.RawURLEncoding.DecodeString(fm.ExactKey); err == nil {
			return string(b)
		}
	}
	return fm.Key
}

// Subject is what a runbook is about: a node and a symptom.
type Subject struct {
	Service  string `yaml:"service,omitempty"`
	NodeKind string `yaml:"node_kind,omitempty"`
	Symptom  string `yaml:"symptom,omitempty"`
}

// Period is a postmortem's window, RFC 3339.
type Period struct {
	Start string `yaml:"start,omitempty"`
	End   string `yaml:"end,omitempty"`
}

// Keys that rbgen stamps after rendering, one line each.
const (
	KeyHash     = "rbgen_hash"
	KeyObserved = "observed"
	KeyStatus   = "status"
)

// ErrNoFrontMatter says a document does not start with "---".
var ErrNoFrontMatter = errors.New("no front matter (a document must start with a --- line)")

// Split cuts "---\n…\n---\n" from the body; ok is false without it.
func Split(doc string) (fm, body string, ok bool) {
	if !strings.HasPrefix(doc, "---\n") {
		return "", doc, false
	}
	end := strings.Index(doc[4:], "\n---\n")
	if end < 0 {
		return "", doc, false
	}
	return doc[4 : 4+end+1], doc[4+end+5:], true
}

// Read parses a document's front matter and returns it with the body.
func Read(doc string) (FrontMatter, string, error) {
	var fm FrontMatter
	text, body, ok := Split(doc)
	if !ok {
		return fm, doc, ErrNoFrontMatter
	}
	if err := yaml.Unmarshal([]byte(text), &fm); err != nil {
		// yaml's messages count lines from the front matter's first line,
		// which is the file's second.
		return fm, body, fmt.Errorf("front matter: %w", err)
	}
	return fm, body, nil
}

// Marshal writes front matter with its fences, keys in the struct's order.
func Marshal(fm FrontMatter) (string, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(fm); err != nil {
		return "", fmt.Errorf("marshal front matter: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("marshal front matter: %w", err)
	}
	return "---\n" + buf.String() + "---\n", nil
}

// Set replaces the top-level key's line in doc's front matter, or adds it
// at the end, with value marshalled as a YAML scalar. rbgen stamps its hash,
// the observed dates and a stale status this way, after rendering, without
// touching the other lines a person may have added.
func Set(doc, key, value string) string {
	fm, body, ok := Split(doc)
	if !ok {
		return doc
	}
	line := key + ": " + scalar(value)
	lines := strings.Split(strings.TrimSuffix(fm, "\n"), "\n")
	found := false
	for i, l := range lines {
		if strings.HasPrefix(l, key+":") {
			lines[i], found = line, true
		}
	}
	if !found {
		lines = append(lines, line)
	}
	return "---\n" + strings.Join(lines, "\n") + "\n---\n" + body
}

// scalar is value as one line of YAML.
func scalar(value string) string {
	b, err := yaml.Marshal(value)
	if err != nil {
		// A string always marshals.
		panic(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// Trigger names an attribute value of one service's requests.
type Trigger struct {
	Attribute string `yaml:"attribute"`
	Value     string `yaml:"value"`
	Service   string `yaml:"service"`
}
