package generator

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/rbgen/rbgen/document"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"

	"github.com/rbgen/rbgen/templates"
)

// TemplateNames are the templates rbgen renders; --templates may override
// any of them by file name.
var TemplateNames = []string{"runbook.md.tmpl", "toc.md.tmpl", "postmortem.md.tmpl", "datastores.md.tmpl"}

// LoadTemplates parses the embedded templates, then any file of the same
// name in dir. A template that does not parse fails with its name and line.
func LoadTemplates(dir string) (*template.Template, error) {
	root := template.New("rbgen").Funcs(funcs()).Option("missingkey=error")
	for _, name := range TemplateNames {
		b, err := fs.ReadFile(templates.FS, name)
		if err != nil {
			return nil, err
		}
		if _, err := root.New(name).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("embedded template: %w", err)
		}
	}
	if dir == "" {
		return root, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".tmpl") {
			continue
		}
		if !contains(TemplateNames, e.Name()) {
			return nil, fmt.Errorf("templates: %s is not a template rbgen uses (%s)", filepath.Join(dir, e.Name()), strings.Join(TemplateNames, ", "))
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		if _, err := root.New(e.Name()).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("templates: %s: %w", filepath.Join(dir, e.Name()), err)
		}
	}
	return root, nil
}

// funcs are sprig's hermetic functions (no clock, environment or
// randomness, so output stays deterministic) plus the escapers every name
// from trace data must pass through.
func funcs() template.FuncMap {
	f := sprig.HermeticTxtFuncMap()
	ours := template.FuncMap{
		"md":      MD,
		"code":    Code,
		"fence":   Fence,
		"yamlstr": yamlQuote,
		"pct":     Percent,
		"ms":      Millis,
		"count":   HumanCount,
		"slug":    Slug,
		// frontmatter writes a document's front matter from its struct.
		"frontmatter": document.Marshal,
	}
	for k, v := range ours {
		f[k] = v
	}
	return f
}

// ErrNoFrontMatter says a runbook template produced no YAML front matter,
// which rbgen needs for IDs and status.
var ErrNoFrontMatter = errors.New("runbook.md.tmpl must start with YAML front matter (---)")

func renderRunbook(t *template.Template, rb *Runbook) (string, error) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "runbook.md.tmpl", rb); err != nil {
		return "", fmt.Errorf("render %s: %w", rb.File, err)
	}
	doc := buf.String()
	if _, _, ok := document.Split(doc); !ok {
		return "", fmt.Errorf("render %s: %w", rb.File, ErrNoFrontMatter)
	}
	return doc, nil
}

func sortedStrings(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
