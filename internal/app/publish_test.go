package app

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/rbgen/rbgen/generator/site"
)

func TestPublishRemovesOnlyItsOwnOldPagesAndOnlyAfterWriting(t *testing.T) {
	out := t.TempDir()
	opt := site.Options{RunbookDir: "../../runbooks", PostmortemDir: filepath.Join(t.TempDir(), "none"), Out: out}
	plan, err := Publish(opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Remove) != 0 {
		t.Errorf("a new folder has pages to remove: %v", plan.Remove)
	}
	if err := plan.Apply(false); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(out, "runbooks", "RB-999-gone.html")
	os.WriteFile(old, []byte("an earlier run's page"), 0o644)
	notes := filepath.Join(out, "notes.txt")
	os.WriteFile(notes, []byte("a person's file"), 0o644)
	plan, err = Publish(opt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); err != nil {
		t.Fatalf("planning removed a page: %v", err)
	}
	if err := plan.Apply(false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old page is still there: %v", err)
	}
	if _, err := os.Stat(notes); err != nil {
		t.Errorf("a file that is not a page went: %v", err)
	}
}

func TestPublishRefusesAFolderItDidNotMake(t *testing.T) {
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "precious.html"), []byte("mine"), 0o644)
	_, err := Publish(site.Options{RunbookDir: "../../runbooks", PostmortemDir: filepath.Join(t.TempDir(), "none"), Out: out})
	if !errors.Is(err, ErrForeignFolder) {
		t.Errorf("got %v, want ErrForeignFolder", err)
	}
}
