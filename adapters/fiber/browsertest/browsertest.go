// Package browsertest gives tests a real headless Chromium driven by chromedp.
//
// The browser binary is found as $VIGIL_CHROMIUM, then chromium,
// chromium-browser or google-chrome on $PATH (scripts/chromium.sh, run by
// `make tools`, installs Debian's chromium). When none is found the test
// fails, or is skipped under -short. Each browser has its own user-data-dir
// in t.TempDir() and is killed when the test ends.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Candidates are the names looked up on $PATH, in order, when
// $VIGIL_CHROMIUM is not set.
var Candidates = []string{"chromium", "chromium-browser", "google-chrome"}

// Binary returns the path of the browser the tests use.
func Binary() (string, error) {
	if p := os.Getenv("VIGIL_CHROMIUM"); p != "" {
		st, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("browsertest: VIGIL_CHROMIUM=%s: %w", p, err)
		}
		if st.IsDir() || st.Mode()&0o111 == 0 {
			return "", fmt.Errorf("browsertest: VIGIL_CHROMIUM=%s is not an executable file", p)
		}
		return p, nil
	}
	for _, name := range Candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("browsertest: no browser found: set VIGIL_CHROMIUM or put one of " +
		strings.Join(Candidates, ", ") + " on PATH (scripts/chromium.sh installs Debian's chromium)")
}

// Options are the allocator options New uses for the binary bin and the
// profile directory dir: headless, no sandbox, no GPU, no background
// networking, component updates, sync or first-run pages.
func Options(bin, dir string) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(dir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
}

// New starts headless Chromium for t (killed at cleanup) and returns a
// chromedp context for a new tab. The browser is started before New returns,
// so a missing or broken binary fails here and not in the first action.
func New(t testing.TB) context.Context {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if testing.Short() {
			t.Skipf("%v (-short)", err)
		}
		t.Fatal(err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), Options(bin, t.TempDir())...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: start %s: %v", bin, err)
	}
	return ctx
}
