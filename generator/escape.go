package generator

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxName bounds a name from trace data in a document: a 10 kB span name
// is a bug in someone's instrumentation, not something to print whole.
const maxName = 200

// maxSentence bounds a sentence of evidence, which names up to two
// operations (each already cut short) among its words.
const maxSentence = 500

// spoofs says r changes how the text around it displays without being
// seen: bidirectional overrides, embeddings, isolates and marks (a name
// with U+202E reads backwards, hiding what follows) and the line and
// paragraph separators that some renderers break lines at.
func spoofs(r rune) bool {
	switch {
	case r == '\u061C', r == '\u200E', r == '\u200F',
		r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069',
		r == '\u2028', r == '\u2029':
		return true
	}
	return false
}

// Clean makes a string from trace data printable: invalid UTF-8, control
// characters and the invisible characters that reorder or break text
// (spoofs) become U+FFFD, and very long strings are cut with an ellipsis.
func Clean(s string) string { return cleanN(s, maxName) }

func cleanN(s string, maxName int) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if n == maxName {
			b.WriteString("…")
			break
		}
		if unicode.IsControl(r) || spoofs(r) {
			r = '\uFFFD'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// MermaidText escapes text for a quoted Mermaid label. Mermaid reads
// "#name;" and "#123;" as entities, so every character that could end the
// label, start markup or an entity is written as a numeric entity.
func MermaidText(s string) string {
	var b strings.Builder
	for _, r := range Clean(s) {
		if r < utf8.RuneSelf && !isPlain(r) {
			fmt.Fprintf(&b, "#%d;", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isPlain(r rune) bool {
	return r == ' ' || r == '.' || r == '-' || r == '_' || r == '/' || r == ':' || r == ',' || r == '%' ||
		(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
}

// DOTString quotes text as a Graphviz string. A backslash is escaped too:
// in labels "\l" and "\N" are directives.
func DOTString(s string) string {
	s = strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(Clean(s))
	return `"` + s + `"`
}

// Percent formats a ratio for people: two significant digits below 10 %.
func Percent(r float64) string {
	p := r * 100
	switch {
	case p == 0:
		return "0%"
	case p < 0.01:
		return "<0.01%"
	case p < 10:
		return strconv.FormatFloat(p, 'g', 2, 64) + "%"
	}
	return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + "%"
}

// Millis formats a latency in milliseconds with a unit that fits.
func Millis(ms float64) string {
	switch {
	case ms >= 1000:
		return strconv.FormatFloat(ms/1000, 'g', 3, 64) + "s"
	case ms >= 1:
		return strconv.FormatFloat(ms, 'g', 3, 64) + "ms"
	case ms == 0:
		return "0ms"
	}
	return strconv.FormatFloat(ms*1000, 'g', 3, 64) + "µs"
}

func HumanCount(n int64) string {
	switch {
	case n >= 1_000_000:
		return strconv.FormatFloat(float64(n)/1e6, 'g', 3, 64) + "M"
	case n >= 10_000:
		return strconv.FormatFloat(float64(n)/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatInt(n, 10)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
