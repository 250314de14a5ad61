package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/domain"
)

type sink struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
	fail   int // answer 503 to this many requests first
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	b, _ := io.ReadAll(r.Body)
	s.bodies = append(s.bodies, b)
	s.sigs = append(s.sigs, r.Header.Get("X-Vigil-Signature"))
}

var ev = domain.Event{ID: "01M8H0DK2RHN2FSKM0JGJ1VT5S", Start: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC),
	PeakScore: 12.5, BBox: domain.Box{X0: 0.1, Y0: 0.2, X1: 0.5, Y1: 0.9},
	Snapshots: []domain.Snapshot{{Name: "01M8H0DK2RHN2FSKM0JGJ1VT5S-1.jpg"}}}

func TestPostsSignedRetriesAndThrottles(t *testing.T) {
	s := &sink{fail: 2}
	srv := httptest.NewServer(s)
	defer srv.Close()
	now := ev.Start
	h, err := New(Config{URL: srv.URL, Secret: "s3cret", MinGap: time.Minute, Backoff: time.Millisecond, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Alert(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if len(s.bodies) != 1 {
		t.Fatalf("%d deliveries, want 1 after two 503s", len(s.bodies))
	}
	var got map[string]any
	if err := json.Unmarshal(s.bodies[0], &got); err != nil || got["event"] != string(ev.ID) || got["peak_score"] != 12.5 {
		t.Fatalf("body %s: %v", s.bodies[0], err)
	}
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write(s.bodies[0])
	if s.sigs[0] != "sha256="+hex.EncodeToString(m.Sum(nil)) {
		t.Errorf("signature %q does not match the body", s.sigs[0])
	}
	now = now.Add(30 * time.Second) // throttled
	h.Alert(context.Background(), ev)
	now = now.Add(31 * time.Second)
	h.Alert(context.Background(), ev)
	if len(s.bodies) != 2 {
		t.Errorf("%d deliveries, want 2 (one throttled)", len(s.bodies))
	}
}

func TestGivesUpAndRejectsBadURLs(t *testing.T) {
	s := &sink{fail: 100}
	srv := httptest.NewServer(s)
	defer srv.Close()
	h, _ := New(Config{URL: srv.URL, Attempts: 3, Backoff: time.Millisecond})
	if err := h.Alert(context.Background(), ev); err == nil || !strings.Contains(err.Error(), "attempt 3") {
		t.Fatalf("err %v, want a failure after 3 attempts", err)
	}
	for _, u := range []string{"", "ftp://x", "http://", "not a url"} {
		if _, err := New(Config{URL: u}); domain.KindOf(err) != domain.Invalid {
			t.Errorf("New(%q): %v", u, err)
		}
	}
	// An unreachable hook gives up when the context ends.
	h, _ = New(Config{URL: "http://127.0.0.1:1/hook", Backoff: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.Alert(ctx, ev); err == nil {
		t.Fatal("unreachable hook reported success")
	}
}

// TestErrorsKeepTheURLsTokenPrivate: neither a refused connection nor a
// malformed URL puts the URL's path or query (where webhook tokens live)
// in the error, which is logged.
func TestErrorsKeepTheURLsTokenPrivate(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there any more
	h, err := New(Config{URL: addr + "/hooks/tok3n-path?key=tok3n-query", Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	err = h.Alert(context.Background(), domain.Event{ID: "01J0000000000000000000TEST", Start: time.Now()})
	if err == nil {
		t.Fatal("an alert to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "tok3n") {
		t.Errorf("the error shows the URL's token: %v", err)
	}
	if _, err := New(Config{URL: "ftp://host/tok3n-path"}); err == nil || strings.Contains(err.Error(), "tok3n") {
		t.Errorf("bad URL: %v", err)
	}
}
