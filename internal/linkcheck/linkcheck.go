// Package linkcheck finds the broken internal links of a published site,
// for the tests of publish: it never ships in the binary.
package linkcheck

import (
	"bytes"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/net/html"
)

// Broken walks every page of a site and returns each internal link that
// does not resolve to a file (and, with a fragment, to an element with that
// id), as "page: href". External links are not followed.
func Broken(dir string) ([]string, error) {
	ids := map[string]map[string]bool{}
	links := map[string][]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		doc, err := html.Parse(bytes.NewReader(b))
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		ids[rel] = map[string]bool{}
		var walk func(n *html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				for _, a := range n.Attr {
					switch {
					case a.Key == "id":
						ids[rel][a.Val] = true
					case a.Key == "href" && n.Data == "a":
						links[rel] = append(links[rel], a.Val)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var broken []string
	for page, hrefs := range links {
		for _, h := range hrefs {
			u, err := url.Parse(h)
			if err != nil {
				broken = append(broken, page+": "+h)
				continue
			}
			if u.Scheme != "" || u.Host != "" {
				continue
			}
			target := page
			if u.Path != "" {
				target = filepath.Clean(filepath.Join(filepath.Dir(page), filepath.FromSlash(u.Path)))
			}
			anchors, ok := ids[target]
			if !ok || u.Fragment != "" && !anchors[u.Fragment] {
				broken = append(broken, page+": "+h)
			}
		}
	}
	sort.Strings(broken)
	return broken, nil
}
