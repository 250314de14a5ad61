package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/adapters/fiber/browsertest"
)

// TestScreenshots renders every page of the web UI at desktop and phone
// width and writes them as PNG files into $VIGIL_SHOTS (`make screenshots`
// sets it; otherwise a temporary directory). Each file must decode and have
// the viewport's width.
func TestScreenshots(t *testing.T) {
	out := os.Getenv("VIGIL_SHOTS")
	if out == "" {
		out = t.TempDir()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	d := startDaemon(t, t.TempDir())
	u := &ui{t: t, ctx: ctx, d: d}

	sizes := []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}}
	n := 0
	shoot := func(name string) {
		t.Helper()
		n++
		for _, sz := range sizes {
			opts := []chromedp.EmulateViewportOption{}
			if sz.mobile {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
			}
			u.do(chromedp.EmulateViewport(sz.width, sz.height, opts...), chromedp.Sleep(400*time.Millisecond))
			b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("screenshot %s at %s: not a PNG: %v", name, sz.name, err)
			}
			scale := int64(1)
			if sz.mobile {
				scale = 2
			}
			if w := int64(img.Bounds().Dx()); w != sz.width*scale {
				t.Fatalf("screenshot %s at %s: %d px wide, want %d", name, sz.name, w, sz.width*scale)
			}
			file := filepath.Join(out, fmt.Sprintf("%s-%02d-%s.png", sz.name, n, name))
			if err := os.WriteFile(file, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		u.do(chromedp.EmulateViewport(1280, 900))
	}

	u.do(chromedp.Navigate(d.url("/")))
	shoot("setup")
	u.do(chromedp.SetValue(chromedp.ID("code"), d.setupCode()),
		chromedp.SetValue(chromedp.ID("password"), uiPassword), chromedp.SetValue(chromedp.ID("password2"), uiPassword))
	u.load("/live", chromedp.Click(chromedp.ID("create")))
	u.waitFor(`document.getElementById("stream").naturalWidth > 0 && document.getElementById("score").textContent.includes("%")`,
		15*time.Second, "the live view")
	time.Sleep(3 * time.Second) // a few seconds of chart
	shoot("live")
	const ended = `([...document.querySelectorAll(".event a")].find(a => !a.textContent.includes("running"))||{}).pathname||""`
	ev := ""
	for i := 0; i < 40 && ev == ""; i++ { // an event that ended, with its score trace
		u.open("/events")
		if ev = evalJS[string](u, ended); ev == "" {
			time.Sleep(time.Second)
		}
	}
	if ev == "" {
		t.Fatal("no ended event to show")
	}
	shoot("events")
	u.open(ev)
	shoot("event")
	u.open("/settings")
	shoot("settings")
	u.do(chromedp.SetValue(chromedp.ID("camera-fps"), "500"), chromedp.SetValue(chromedp.ID("camera-width"), "-1"))
	u.load("/settings/camera", chromedp.Click(chromedp.ID("save-camera")))
	shoot("settings-error")
	u.open("/regions")
	u.waitFor(`document.getElementById("still").naturalWidth > 0`, 10*time.Second, "the editor's picture")
	u.do(chromedp.Click(chromedp.ID("add-exclude")))
	type rect struct{ X, Y, W, H float64 }
	r := evalJS[rect](u, `(() => { const b = document.getElementById("editor").getBoundingClientRect(); return {X: b.left, Y: b.top, W: b.width, H: b.height}; })()`)
	for _, p := range [][2]float64{{0.6, 0.05}, {0.95, 0.05}, {0.95, 0.35}, {0.7, 0.4}} {
		u.do(chromedp.MouseClickXY(r.X+p[0]*r.W, r.Y+p[1]*r.H))
	}
	shoot("regions")
	u.open("/status")
	shoot("status")
	u.open("/account")
	shoot("account")
	u.load("/login", chromedp.Click(chromedp.ID("logout")))
	shoot("login")

	files, _ := filepath.Glob(filepath.Join(out, "*.png"))
	if len(files) < 2*n {
		t.Fatalf("%d PNG files in %s, want %d", len(files), out, 2*n)
	}
	t.Logf("%d screenshots in %s: %s …", 2*n, out, strings.Join(files[:2], ", "))
}
