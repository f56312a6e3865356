package generator_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rbgen/rbgen/demo"
	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/topology"
	"github.com/rbgen/rbgen/tracefile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./generator -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test ./generator -update and review the diff\n%s",
			name, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) && i < len(g); i++ {
		if w[i] != g[i] {
			return "line " + itoa(i+1) + ":\nwant: " + w[i] + "\n got: " + g[i]
		}
	}
	return "lengths differ"
}

func itoa(i int) string { return strconv.Itoa(i) }

// smallDemo is a day of the demo shop at low traffic: every kind of node,
// small enough to read in a diff.
func smallDemo(t *testing.T) *topology.Graph {
	t.Helper()
	var buf bytes.Buffer
	if _, err := demo.Write(&buf, demo.Config{Days: 1, PeakPerHour: 8}); err != nil {
		t.Fatal(err)
	}
	g, err := topology.Build(context.Background(),
		&tracefile.Reader{Paths: []string{"-"}, Stdin: &buf}, topology.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGraphGoldens(t *testing.T) {
	g := smallDemo(t)
	for _, f := range generator.GraphFormats {
		t.Run(f, func(t *testing.T) {
			var out bytes.Buffer
			if err := generator.WriteGraph(&out, g, f); err != nil {
				t.Fatal(err)
			}
			golden(t, "demo-day."+f+".golden", out.Bytes())
			var again bytes.Buffer
			generator.WriteGraph(&again, smallDemo(t), f)
			if !bytes.Equal(out.Bytes(), again.Bytes()) {
				t.Error("the same input gave different bytes")
			}
		})
	}
}

// hostile names come from trace data an attacker can influence.
var hostile = []string{
	`<img src=x onerror=alert(1)>`,
	`"]; click n0 call alert(1); x["`,
	"line\nbreak -->",
	`back\slash "quote"`,
	"#quot; entity",
	"bad \xff utf8",
	strings.Repeat("long", 500),
}

func hostileGraph() *topology.Graph {
	g := &topology.Graph{}
	for i, name := range hostile {
		g.Nodes = append(g.Nodes, topology.Node{Name: name, Kind: topology.KindService})
		if i > 0 {
			g.Edges = append(g.Edges, topology.Edge{From: hostile[i-1], To: name, Kind: "http"})
		}
	}
	return g
}

// entity is how MermaidText writes a character it must not write bare.
var entity = regexp.MustCompile(`#[0-9]+;`)

func TestMermaidEscapesNamesFromTraces(t *testing.T) {
	var out bytes.Buffer
	if err := generator.WriteGraph(&out, hostileGraph(), "mermaid"); err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if i == 0 || strings.HasPrefix(strings.TrimSpace(line), "class") {
			continue
		}
		label := line
		if j := strings.Index(line, `"`); j >= 0 {
			label = line[j+1 : strings.LastIndex(line, `"`)]
		}
		bare := entity.ReplaceAllString(label, "")
		if strings.ContainsAny(bare, "<>\"[]{}();#\\") {
			t.Errorf("line %d: label %q keeps characters Mermaid reads as syntax", i+1, label)
		}
		if len(label) > 1200 {
			t.Errorf("line %d: a %d-byte label was not shortened", i+1, len(label))
		}
	}
	if strings.Count(out.String(), "\n") != len(hostile)*2-1+1+2 {
		t.Errorf("a name added lines to the diagram:\n%s", out.String())
	}
}

func TestDOTEscapesNamesFromTraces(t *testing.T) {
	var out bytes.Buffer
	if err := generator.WriteGraph(&out, hostileGraph(), "dot"); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.Contains(s, `label="back\\slash \"quote\""`) {
		t.Errorf("quotes and backslashes not escaped:\n%s", s)
	}
	if strings.Contains(s, "line\nbreak") {
		t.Error("a newline in a name reached the DOT file")
	}
}

func TestFormatting(t *testing.T) {
	cases := []struct{ got, want string }{
		{generator.Percent(0), "0%"},
		{generator.Percent(0.0069), "0.69%"},
		{generator.Percent(0.25), "25%"},
		{generator.Percent(0.00000001), "<0.01%"},
		{generator.Millis(0.5), "500µs"},
		{generator.Millis(12.345), "12.3ms"},
		{generator.Millis(1500), "1.5s"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
