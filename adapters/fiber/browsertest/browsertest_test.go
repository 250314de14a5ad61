package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"vigil/adapters/fiber/browsertest"
)

// TestNew loads a page from a local server and reads back what its script
// wrote, so the browser really runs JavaScript.
func TestNew(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>bt</title><p id="out">static</p>`+
			`<script>document.getElementById("out").textContent = "ran " + (6*7)</script>`)
	}))
	defer srv.Close()

	ctx := browsertest.New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("out")))
	if err != nil {
		t.Fatal(err)
	}
	if got != "ran 42" {
		t.Fatalf("text = %q, want %q", got, "ran 42")
	}
}

// TestBinaryEnv checks that $VIGIL_CHROMIUM wins and that a bad value is
// an error that names it.
func TestBinaryEnv(t *testing.T) {
	t.Setenv("VIGIL_CHROMIUM", "/nonexistent/chromium")
	if _, err := browsertest.Binary(); err == nil {
		t.Fatal("Binary() with a missing VIGIL_CHROMIUM: no error")
	}
	dir := t.TempDir()
	t.Setenv("VIGIL_CHROMIUM", dir)
	if _, err := browsertest.Binary(); err == nil {
		t.Fatal("Binary() with a directory as VIGIL_CHROMIUM: no error")
	}
}
