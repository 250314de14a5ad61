package main

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"
)

func TestHelpAndUnknownMode(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, func(string) string { return "" }, strings.NewReader(""), &out, &errb); err != flag.ErrHelp {
		t.Fatalf("--help: %v", err)
	}
	if !strings.Contains(errb.String(), "Usage: vigil-cloud MODE") {
		t.Fatalf("usage: %q", errb.String())
	}
	if err := run(context.Background(), []string{"bogus"}, func(string) string { return "" }, strings.NewReader(""), &out, &errb); err == nil {
		t.Fatal("unknown mode accepted")
	}
}
