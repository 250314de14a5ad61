package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad flags are refused before anything starts, each with its reason; a
// directory the stack did not write is never emptied.
func TestRefusesBadInput(t *testing.T) {
	keep := t.TempDir()
	if err := os.WriteFile(filepath.Join(keep, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-seats", "0"}, "-seats 0"},
		{[]string{"-source", "ftp://camera"}, `-source "ftp://camera"`},
		{[]string{"-source", "file:/no/such/clip.mjpeg"}, "no such file"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-data", keep}, "which the stack did not write"},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), c.args, func(string) string { return "" }, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error about %q", c.args, err, c.want)
		}
	}
	if b, err := os.ReadFile(filepath.Join(keep, "notes.txt")); err != nil || string(b) != "mine" {
		t.Fatalf("the directory was emptied: %v", err)
	}
}
