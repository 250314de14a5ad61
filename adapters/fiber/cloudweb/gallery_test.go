package cloudweb_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/adapters/fiber/browsertest"
	"vigil/app/cloud"
	"vigil/domain"
	"vigil/ports"
)

type shownImage struct {
	ID    string `json:"id"`
	Src   string `json:"src"`
	Width int    `json:"width"`
}

// loadedImages waits until every <img> of the page has loaded or failed
// and returns them.
const loadedImages = `Promise.all([...document.images].map(i => i.complete ? 0 :
	new Promise(r => { i.onload = r; i.onerror = r; }))).then(() =>
	[...document.images].map(i => ({id: i.dataset.id || i.id, src: i.currentSrc || i.src, width: i.naturalWidth})))`

// TestGalleryInChromium signs in with a real browser and checks that the
// gallery shows exactly the account's verified images, newest first, each
// rendered from a presigned URL of 100 s; the image page draws the faces;
// devices, rejected uploads and the license show. With VIGIL_SCREENSHOTS
// set to a directory, it saves a PNG of every page there.
func TestGalleryInChromium(t *testing.T) {
	e := newEnv(t, cloud.Config{})
	a, b := e.newTenant(3), e.newTenant(1)
	_, dev1 := e.enroll(a.licenseKey, "front door")
	_, dev2 := e.enroll(a.licenseKey, "garden")
	_, devB := e.enroll(b.licenseKey, "other")
	now := time.Now().UTC()
	seeded := []domain.ImageRecord{ // oldest first
		e.seedImage(a.acct.ID, dev1.DeviceID, now.Add(-3*time.Hour), 0),
		e.seedImage(a.acct.ID, dev2.DeviceID, now.Add(-2*time.Hour), 2),
		e.seedImage(a.acct.ID, dev1.DeviceID, now.Add(-1*time.Hour), 1),
	}
	foreign := e.seedImage(b.acct.ID, devB.DeviceID, now.Add(-90*time.Minute), 0)
	if err := e.tab.PutRejection(testContext(t), domain.Rejection{AccountID: a.acct.ID, DeviceID: dev1.DeviceID,
		ID: seeded[0].EventID + "-7", Reason: "trailing-data", Detail: "bytes after the JPEG's end", Bytes: 4711, RejectedAt: now}); err != nil {
		t.Fatal(err)
	}
	// An upload that was never verified: in the upload bucket, not in the index.
	var g grantAnswer
	body := testJPEG(t, 40, 30)
	ev := newEvent(now)
	mustJSON(t, e.do(nil, "POST", "/api/v1/device/grants", grantBody(ev, 1, len(body)),
		map[string]string{"Authorization": "Device " + dev1.DeviceID + ":" + dev1.DeviceSecret}), 200, &g)
	if c := put(t, g.URL, g.Headers, body, int64(len(body))); c != 200 {
		t.Fatalf("unverified upload: %d", c)
	}

	shots := os.Getenv("VIGIL_SCREENSHOTS")
	ctx := browsertest.New(t)
	save := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, "cloud-"+name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(e.base+"/"), chromedp.WaitVisible(chromedp.CSS(`input[name=email]`))); err != nil {
		t.Fatal(err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/login") {
		t.Fatalf("signed out, / went to %s", loc)
	}
	save("login")
	// A wrong password keeps one out.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), a.email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "wrong password!"),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`p.error`)),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), a.email),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), a.password),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.ID("gallery")),
	); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]shownImage](loadedImages, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, im := range shown {
		ids = append(ids, im.ID)
		if im.Width <= 0 {
			t.Errorf("image %s did not render (naturalWidth %d)", im.ID, im.Width)
		}
		if !strings.Contains(im.Src, "X-Amz-Expires=100&") && !strings.HasSuffix(im.Src, "X-Amz-Expires=100") {
			t.Errorf("image %s: URL without X-Amz-Expires=100: %s", im.ID, im.Src)
		}
		if !strings.HasPrefix(im.Src, e.s3.Endpoint+"/"+e.prod+"/thumbs/"+a.acct.ID+"/") {
			t.Errorf("image %s: not a thumbnail of the account in the production bucket: %s", im.ID, im.Src)
		}
	}
	var want []string
	for i := len(seeded) - 1; i >= 0; i-- {
		want = append(want, domain.ImageKey(seeded[i].DeviceID, seeded[i].ID))
	}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("gallery shows %v, want %v (newest first, only the account's verified images)", ids, want)
	}
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, foreign.ID) || strings.Contains(html, string(ev)) {
		t.Fatal("the gallery shows another account's image or an unverified upload")
	}
	save("gallery")

	// Filters: with faces; one device.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.base+"/?faces=1"), chromedp.WaitVisible(chromedp.ID("gallery"))); err != nil {
		t.Fatal(err)
	}
	if shown, _ = chromedp.Run(ctx, chromedp.Evaluate[[]shownImage](loadedImages, chromedp.EvalAwaitPromise)); len(shown) != 2 {
		t.Fatalf("with faces: %d images, want 2", len(shown))
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(e.base+"/?device="+dev2.DeviceID), chromedp.WaitVisible(chromedp.ID("gallery"))); err != nil {
		t.Fatal(err)
	}
	if shown, _ = chromedp.Run(ctx, chromedp.Evaluate[[]shownImage](loadedImages, chromedp.EvalAwaitPromise)); len(shown) != 1 {
		t.Fatalf("device filter: %d images, want 1", len(shown))
	}

	// The image page: the full image and its two faces drawn over it.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.base+"/images/"+want[1]), chromedp.WaitVisible(chromedp.ID("photo"))); err != nil {
		t.Fatal(err)
	}
	type photo struct {
		Width int    `json:"width"`
		Faces int    `json:"faces"`
		Src   string `json:"src"`
	}
	p, err := chromedp.Run(ctx, chromedp.Evaluate[photo](`new Promise(r => { const i = document.getElementById("photo");
		const done = () => r({width: i.naturalWidth, faces: document.querySelectorAll("rect.face").length, src: i.src});
		i.complete ? done() : (i.onload = i.onerror = done); })`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if p.Width != 160 || p.Faces != 2 || !strings.Contains(p.Src, "/images/"+a.acct.ID+"/") || !strings.Contains(p.Src, "X-Amz-Expires=100") {
		t.Fatalf("image page: %+v", p)
	}
	save("image")

	for _, pg := range []struct{ path, want, name string }{
		{"/devices", "front door", "devices"},
		{"/rejected", "bytes after the JPEG", "rejected"},
		{"/license", "active", "license"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(e.base+pg.path), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
			t.Fatal(err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, pg.want) {
			t.Errorf("%s does not show %q: %s", pg.path, pg.want, text)
		}
		save(pg.name)
	}
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(text, "2 of 3 in use") {
		t.Errorf("license page seats: %s", text)
	}
	// Revoke from the devices page.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.base+"/devices"),
		chromedp.Click(chromedp.CSS(`form[action="/devices/`+dev2.DeviceID+`/revoke"] button`)),
		chromedp.WaitVisible(chromedp.CSS("tr.revoked"))); err != nil {
		t.Fatal(err)
	}
	used, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("seats-used")))
	if used != "1" {
		t.Fatalf("seats used after revoke: %q", used)
	}
	// Sign out: the gallery is gone.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form.logout button`)), chromedp.WaitVisible(chromedp.CSS(`input[name=email]`))); err != nil {
		t.Fatal(err)
	}
}

// TestGalleryURLsExpire: with a short configured lifetime the gallery's
// URLs carry it and versitygw refuses them once it has passed; the default
// is 100 s, made per request, and nothing is cached.
func TestGalleryURLsExpire(t *testing.T) {
	e := newEnv(t, cloud.Config{})
	a := e.newTenant(1)
	_, dev := e.enroll(a.licenseKey, "cam")
	e.seedImage(a.acct.ID, dev.DeviceID, time.Now(), 0)

	var page struct {
		Images []struct {
			ID       string `json:"id"`
			URL      string `json:"url"`
			ThumbURL string `json:"thumb_url"`
		} `json:"images"`
	}
	resp := e.do(a.client, "GET", "/api/v1/images?limit=10", nil, nil)
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q", cc)
	}
	mustJSON(t, resp, 200, &page)
	first := page.Images[0].URL
	if !strings.Contains(first, "X-Amz-Expires=100") {
		t.Fatalf("default lifetime: %s", first)
	}
	time.Sleep(1100 * time.Millisecond) // signatures carry the second
	mustJSON(t, e.do(a.client, "GET", "/api/v1/images?limit=10", nil, nil), 200, &page)
	if page.Images[0].URL == first {
		t.Fatal("the URL is not made per request")
	}

	// A second instance (it shares only S3 and the table) whose presigner
	// runs 50 times faster: the app asks for exactly 100 s, the URLs say 2 s.
	short := e.serveWith(cloud.Config{}, func(p ports.Presigner) ports.Presigner { return fastPresigner{t, p} })
	resp = short.do(a.client, "GET", "/api/v1/images?limit=10", nil, nil) // the session cookie works there too
	mustJSON(t, resp, 200, &page)
	u := page.Images[0].URL
	if !strings.Contains(u, "X-Amz-Expires=2&") && !strings.HasSuffix(u, "X-Amz-Expires=2") {
		t.Fatalf("short lifetime: %s", u)
	}
	get := func(u string) int {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get(u); c != 200 {
		t.Fatalf("fresh URL: %d", c)
	}
	if c := get(page.Images[0].ThumbURL); c != 200 {
		t.Fatalf("fresh thumbnail URL: %d", c)
	}
	time.Sleep(3 * time.Second)
	if c := get(u); c != 403 {
		t.Fatalf("expired URL: %d, want 403", c)
	}
}

// fastPresigner signs the gallery's GETs for a 50th of the lifetime asked
// for, so a test sees them expire; it fails the test when the app asks for
// anything but cloud.GalleryLifetime.
type fastPresigner struct {
	t *testing.T
	ports.Presigner
}

func (f fastPresigner) PresignGet(ctx context.Context, key string, lifetime time.Duration) (string, error) {
	if lifetime != cloud.GalleryLifetime {
		f.t.Errorf("gallery URL of %s asked for, want %s", lifetime, cloud.GalleryLifetime)
	}
	return f.Presigner.PresignGet(ctx, key, lifetime/50)
}
