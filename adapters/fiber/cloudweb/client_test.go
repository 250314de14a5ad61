package cloudweb

import "testing"

func TestClientAddrTrustsOnlyTheProxysEntry(t *testing.T) {
	for _, c := range []struct {
		header  string
		proxied bool
		want    string
	}{
		{"", false, "192.0.2.9"},
		{"203.0.113.7", false, "192.0.2.9"}, // no proxy configured: the header is the client's word
		{"203.0.113.7", true, "203.0.113.7"},
		{"6.6.6.6, 203.0.113.7", true, "203.0.113.7"}, // a spoofed first entry changes nothing
		{"6.6.6.6,7.7.7.7,203.0.113.7", true, "203.0.113.7"},
		{"2001:db8::1", true, "2001:db8::1"},
		{"::ffff:203.0.113.7", true, "203.0.113.7"},
		{"203.0.113.7, not-an-ip", true, "192.0.2.9"},
		{"", true, "192.0.2.9"},
	} {
		if got := clientAddr(c.header, c.proxied, "192.0.2.9"); got != c.want {
			t.Errorf("clientAddr(%q, %v) = %q, want %q", c.header, c.proxied, got, c.want)
		}
	}
}
