package generator

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Keep blocks hold people's text inside generated files:
//
//	<!-- rbgen:keep notes -->
//	anything
//	<!-- /rbgen:keep -->
//
// Markers count only on lines of their own. Names from trace data never
// start a line in generated output (Clean strips newlines), so hostile data
// cannot forge one.
var keepRE = regexp.MustCompile(`(?ms)^<!-- rbgen:keep ([a-z0-9-]+) -->\n(.*?)^<!-- /rbgen:keep -->$`)

// keepBlocks returns the blocks of a document by name, in order.
func keepBlocks(doc string) (map[string]string, []string) {
	blocks := map[string]string{}
	var order []string
	for _, m := range keepRE.FindAllStringSubmatch(doc, -1) {
		if _, dup := blocks[m[1]]; !dup {
			order = append(order, m[1])
		}
		blocks[m[1]] += m[2]
	}
	return blocks, order
}

// carryOver puts the old document's keep-block contents into the new one.
// A block the new template no longer has is appended to the last block, so
// nothing a person wrote is lost.
func carryOver(newDoc, oldDoc string) string {
	old, order := keepBlocks(oldDoc)
	if len(old) == 0 {
		return newDoc
	}
	fresh, freshOrder := keepBlocks(newDoc)
	var orphans strings.Builder
	for _, name := range order {
		if _, ok := fresh[name]; !ok && strings.TrimSpace(old[name]) != "" {
			orphans.WriteString("<!-- carried over from the former keep block " + name + " -->\n" + old[name])
		}
	}
	last := ""
	if len(freshOrder) > 0 {
		last = freshOrder[len(freshOrder)-1]
	}
	return keepRE.ReplaceAllStringFunc(newDoc, func(block string) string {
		m := keepRE.FindStringSubmatch(block)
		body, ok := old[m[1]]
		if !ok {
			body = m[2]
		}
		if m[1] == last {
			body += orphans.String()
		}
		return "<!-- rbgen:keep " + m[1] + " -->\n" + body + "<!-- /rbgen:keep -->"
	})
}

// hashLine and observedLine are front-matter lines left out of the content
// hash: the hash itself, and the traces' dates, which change weekly.
const (
	hashKey     = "rbgen_hash: "
	observedKey = "observed: "
)

// contentHash fingerprints what rbgen generated: the document without keep
// block contents and without the hash and observed lines. A mismatch with
// the stored hash means someone edited outside the keep blocks.
func contentHash(doc string) string {
	doc = keepRE.ReplaceAllStringFunc(doc, func(block string) string {
		m := keepRE.FindStringSubmatch(block)
		return "<!-- rbgen:keep " + m[1] + " -->"
	})
	var b strings.Builder
	for _, line := range strings.SplitAfter(doc, "\n") {
		if strings.HasPrefix(line, hashKey) || strings.HasPrefix(line, observedKey) {
			continue
		}
		b.WriteString(line)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// frontMatter splits "---\n…\n---\n" from the body; ok is false without it.
func frontMatter(doc string) (fm, body string, ok bool) {
	if !strings.HasPrefix(doc, "---\n") {
		return "", doc, false
	}
	end := strings.Index(doc[4:], "\n---\n")
	if end < 0 {
		return "", doc, false
	}
	return doc[4 : 4+end+1], doc[4+end+5:], true
}

// fmValue reads a top-level scalar from front matter, unquoting JSON-style
// strings.
func fmValue(fm, key string) string {
	for _, line := range strings.Split(fm, "\n") {
		if v, ok := strings.CutPrefix(line, key+": "); ok {
			if strings.HasPrefix(v, `"`) {
				var s string
				if err := jsonUnquote(v, &s); err == nil {
					return s
				}
			}
			return v
		}
	}
	return ""
}

// setFMValue replaces or adds a top-level front-matter line.
func setFMValue(doc, key, value string) string {
	fm, body, ok := frontMatter(doc)
	if !ok {
		return doc
	}
	lines := strings.Split(strings.TrimSuffix(fm, "\n"), "\n")
	found := false
	for i, line := range lines {
		if strings.HasPrefix(line, key+": ") {
			lines[i], found = key+": "+value, true
		}
	}
	if !found {
		lines = append(lines, key+": "+value)
	}
	return "---\n" + strings.Join(lines, "\n") + "\n---\n" + body
}

// seal stamps a document with its content hash.
func seal(doc string) string {
	return setFMValue(doc, strings.TrimSuffix(hashKey, ": "), contentHash(doc))
}

// edited says whether a sealed document was changed outside keep blocks.
func edited(doc string) bool {
	fm, _, ok := frontMatter(doc)
	if !ok {
		return true
	}
	stored := fmValue(fm, strings.TrimSuffix(hashKey, ": "))
	return stored == "" || stored != contentHash(doc)
}
