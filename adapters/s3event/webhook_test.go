package s3event

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const secret = "s3cr3t-s3cr3t-s3cr3t"

func TestWebhookAuth(t *testing.T) {
	var handled atomic.Int32
	wh, err := NewWebhook(WebhookOptions{Secret: secret}, func(ctx context.Context, r Record) error {
		handled.Add(1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(wh)
	defer srv.Close()
	body, _ := os.ReadFile("testdata/versitygw.json")
	post := func(u string, hdr map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(string(body)))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	withUser, _ := url.Parse(srv.URL)
	withUser.User = url.UserPassword("vigil", secret)
	wrongUser, _ := url.Parse(srv.URL)
	wrongUser.User = url.UserPassword("vigil", secret+"x")
	for _, c := range []struct {
		name string
		url  string
		hdr  map[string]string
		want int
	}{
		{"header", srv.URL, map[string]string{SecretHeader: secret}, 200},
		{"bearer", srv.URL, map[string]string{"Authorization": "Bearer " + secret}, 200},
		{"basic in the URL", withUser.String(), nil, 200},
		{"none", srv.URL, nil, 401},
		{"wrong header", srv.URL, map[string]string{SecretHeader: secret[:len(secret)-1]}, 401},
		{"wrong bearer", srv.URL, map[string]string{"Authorization": "Bearer x"}, 401},
		{"wrong basic", wrongUser.String(), nil, 401},
	} {
		if got := post(c.url, c.hdr); got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}
	if handled.Load() != 3 {
		t.Errorf("%d records handled, want 3", handled.Load())
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	for body, want := range map[string]int{
		`{"Service":"S3","Event":"s3:TestEvent"}`: 200,
		`{"nope":1}`:                      400,
		strings.Repeat(" ", 2<<20) + "{}": 413,
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header.Set(SecretHeader, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%.40q: %d, want %d", body, resp.StatusCode, want)
		}
	}
	if _, err := NewWebhook(WebhookOptions{}, func(context.Context, Record) error { return nil }); err == nil {
		t.Error("a webhook without a secret")
	}
}

// At most Concurrency records run at once over all requests; a failed
// record makes the answer 503 and names its key.
func TestWebhookConcurrencyAndFailures(t *testing.T) {
	var running, peak atomic.Int32
	wh, err := NewWebhook(WebhookOptions{Secret: secret, Concurrency: 2}, func(ctx context.Context, r Record) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(30 * time.Millisecond)
		if strings.HasSuffix(r.Key, "fail") {
			return errors.New("store down")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(wh)
	defer srv.Close()
	event := func(keys ...string) string {
		var recs []string
		for _, k := range keys {
			recs = append(recs, `{"eventName":"s3:ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"`+k+`"}}}`)
		}
		return `{"Records":[` + strings.Join(recs, ",") + `]}`
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			keys := []string{"a", "b", "c"}
			if i == 0 {
				keys = append(keys, "x-fail")
			}
			req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(event(keys...)))
			req.Header.Set(SecretHeader, secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			var a answer
			_ = json.NewDecoder(resp.Body).Decode(&a)
			switch {
			case i == 0 && (resp.StatusCode != 503 || len(a.Failed) != 1 || a.Failed[0] != "x-fail" || a.Records != 4):
				t.Errorf("with a failure: %d %+v", resp.StatusCode, a)
			case i != 0 && (resp.StatusCode != 200 || a.Records != 3):
				t.Errorf("request %d: %d %+v", i, resp.StatusCode, a)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency %d, want 2", p)
	}
}
