package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rbgen/rbgen/generator"
	"github.com/rbgen/rbgen/generator/site"
)

// SiteMarker marks a folder as rbgen's output, so that pages of runbooks
// that are gone can be removed without touching anyone else's folder.
const SiteMarker = ".rbgen-site"

// ErrForeignFolder says the output folder holds files rbgen did not write.
var ErrForeignFolder = errors.New("is not empty and was not made by rbgen publish: choose another --out")

// Publish plans the site: its pages, its marker, and the removal of pages
// an earlier run wrote that this one does not.
func Publish(opt site.Options) (*generator.Plan, error) {
	changes, err := site.Publish(opt)
	if err != nil {
		return nil, err
	}
	changes = append(changes, generator.Change{Path: filepath.Join(opt.Out, SiteMarker),
		Content: []byte("rbgen publish output; pages here are replaced on each run\n")})
	old, err := oldPages(opt.Out, changes)
	if err != nil {
		return nil, err
	}
	return &generator.Plan{Dir: opt.Out, Changes: changes, Remove: old}, nil
}

// oldPages are the pages of an earlier run that this run does not write;
// a non-empty folder rbgen did not make is refused.
func oldPages(out string, keep []generator.Change) ([]string, error) {
	entries, err := os.ReadDir(out)
	entries = slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return e.Name() == LockFile })
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(entries) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(out, SiteMarker)); err != nil {
		return nil, fmt.Errorf("%s %w", out, ErrForeignFolder)
	}
	wanted := map[string]bool{}
	for _, c := range keep {
		wanted[filepath.Clean(c.Path)] = true
	}
	var old []string
	err = filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".html") && !wanted[filepath.Clean(path)] {
			old = append(old, path)
		}
		return err
	})
	return old, err
}
