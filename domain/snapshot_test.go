package domain

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShortReason(t *testing.T) {
	if got := ShortReason("disk full"); got != "disk full" {
		t.Errorf("short reason changed: %q", got)
	}
	long := strings.Repeat("a", MaxReason-1) + "é and more" // é straddles the cut
	got := ShortReason(long)
	if len(got) > MaxReason || !utf8.ValidString(got) || got != strings.Repeat("a", MaxReason-1) {
		t.Errorf("ShortReason cut %d bytes, valid UTF-8 %v", len(got), utf8.ValidString(got))
	}
}
