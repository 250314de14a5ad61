//go:build e2e

package stack_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/adapters/fiber/browsertest"
	"vigil/scripts/devstack/stack"
)

// quickEvents make an event at most 3 s long, so a looped clip keeps
// producing snapshots; faces are searched on the edge too.
const quickEvents = `{"events": {"quiet_gap": "1s", "cooldown": "0s", "max_length": "3s"}, "faces": {"enabled": true}}`

// TestE2EHappyPath: the stack's edge watches the PETS clip and a second
// edge ("door") a clip made of a face photo gliding over a still
// background, both enrolled with the demo license. Their events become
// snapshots, uploads, verified images; the gallery in Chromium shows the
// images of each device, rendered, and the door camera's with their faces
// flagged and drawn.
//
// Why a clip rather than snapshots slipped into the edge's store: the
// faces then travel the whole real path (camera source → motion → event →
// snapshot → outbox → grant → upload → validator's pigo → gallery), and the
// edge's store stays the edge's alone.
func TestE2EHappyPath(t *testing.T) {
	s := start(t, stack.Config{EdgeSettings: quickEvents})
	ctx := context.Background()
	clip := filepath.Join(t.TempDir(), "door.mjpeg")
	faceClip(t, filepath.Join(root, "testdata", "faces", "gocv_face_webcam.jpg"), clip)
	door, err := s.AddEdge(ctx, "door", "file:"+clip, s.Demo.LicenseKey, "")
	if err != nil {
		t.Fatal(err)
	}
	in := s.Info()
	pets := petsDevice(t, s)

	api := login(t, in.CloudURL, map[string]string{"email": in.CloudEmail, "password": in.CloudPassword})
	var byDevice map[string]int
	var withFaces int
	waitFor(t, "verified images of both cameras, the door's with faces", 3*time.Minute, func() (bool, error) {
		imgs, err := api.images("")
		if err != nil {
			return false, err
		}
		byDevice, withFaces = map[string]int{}, 0
		for _, im := range imgs {
			byDevice[im.Device]++
			if im.Device == door.DeviceID && len(im.Faces) > 0 {
				withFaces++
			}
		}
		return byDevice[pets] >= 3 && withFaces >= 2, nil
	})
	t.Logf("gallery: %d images of the PETS camera, %d of the door camera (%d with faces)", byDevice[pets], byDevice[door.DeviceID], withFaces)
	if len(byDevice) != 2 {
		t.Errorf("gallery devices %v, want the two cameras only", byDevice)
	}
	// The edge's own view: its snapshots are marked uploaded.
	edgeAPI := login(t, in.EdgeURL, map[string]string{"username": in.EdgeUser, "password": in.EdgePassword})
	var status struct {
		Uploads  bool `json:"uploads"`
		Uploaded int  `json:"uploaded"`
	}
	if err := edgeAPI.do("GET", "/api/v1/status", nil, &status); err != nil {
		t.Fatal(err)
	}
	if !status.Uploads || status.Uploaded < 3 {
		t.Errorf("edge status: %+v", status)
	}

	// Chromium: sign in with the form, then each camera's page of the gallery.
	bctx := browsertest.New(t)
	if err := chromedp.Do(bctx, chromedp.Navigate(in.CloudURL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=email]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), in.CloudEmail),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), in.CloudPassword),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.ID("gallery")),
	); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, query, device string
		min                 int
	}{
		{"PETS camera", "?device=" + pets, pets, 3},
		{"door camera with faces", "?device=" + door.DeviceID + "&faces=1", door.DeviceID, 2},
	} {
		shown := galleryPage(t, bctx, in.CloudURL+"/"+c.query)
		if len(shown) < c.min {
			t.Errorf("%s: the gallery shows %d images, want at least %d", c.name, len(shown), c.min)
		}
		for _, im := range shown {
			if im.Width <= 0 {
				t.Errorf("%s: image %s did not render", c.name, im.ID)
			}
			if !strings.HasPrefix(im.ID, c.device+".") {
				t.Errorf("%s: the page shows %s of another device", c.name, im.ID)
			}
			if !strings.Contains(im.Src, "X-Amz-Expires=100") {
				t.Errorf("%s: %s not presigned for 100 s: %s", c.name, im.ID, im.Src)
			}
		}
		t.Logf("%s: %d images rendered in Chromium", c.name, len(shown))
		if c.device == door.DeviceID && len(shown) > 0 {
			// The image page draws the faces over the photo.
			if err := chromedp.Do(bctx, chromedp.Navigate(in.CloudURL+"/images/"+shown[0].ID), chromedp.WaitVisible(chromedp.ID("photo"))); err != nil {
				t.Fatal(err)
			}
			type photo struct {
				Width int `json:"width"`
				Faces int `json:"faces"`
			}
			p, err := chromedp.Run(bctx, chromedp.Evaluate[photo](`new Promise(r => { const i = document.getElementById("photo");
				const done = () => r({width: i.naturalWidth, faces: document.querySelectorAll("rect.face").length});
				i.complete ? done() : (i.onload = i.onerror = done); })`, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			if p.Width != 640 || p.Faces < 1 {
				t.Errorf("image page of %s: %+v, want the 640 px photo with its face drawn", shown[0].ID, p)
			}
		}
	}
	if shots := os.Getenv("VIGIL_SCREENSHOTS"); shots != "" {
		if err := chromedp.Do(bctx, chromedp.Navigate(in.CloudURL+"/"), chromedp.WaitVisible(chromedp.ID("gallery"))); err != nil {
			t.Fatal(err)
		}
		if png, err := chromedp.Run(bctx, chromedp.FullScreenshot(90)); err == nil {
			_ = os.WriteFile(filepath.Join(shots, "e2e-gallery.png"), png, 0o644)
		}
	}
}

// petsDevice is the device ID of the stack's own edge.
func petsDevice(t *testing.T, s *stack.Stack) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Dir(), "edge", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), `"device_id": "`)
	if i < 0 {
		t.Fatalf("no device ID in the edge's settings: %s", b)
	}
	rest := string(b)[i+len(`"device_id": "`):]
	return rest[:strings.IndexByte(rest, '"')]
}

type shownImage struct {
	ID    string `json:"id"`
	Src   string `json:"src"`
	Width int    `json:"width"`
}

// galleryPage opens a gallery page and returns its images once each has
// loaded or failed.
func galleryPage(t *testing.T, ctx context.Context, url string) []shownImage {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.ID("gallery"))); err != nil {
		t.Fatal(err)
	}
	// Lazy images below the fold would never load in a headless window:
	// make them eager first.
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]shownImage](`[...document.images].forEach(i => i.loading = "eager"),
		Promise.all([...document.images].map(i => i.complete ? 0 :
		new Promise(r => { i.onload = r; i.onerror = r; }))).then(() =>
		[...document.images].filter(i => i.dataset.id).map(i => ({id: i.dataset.id, src: i.currentSrc || i.src, width: i.naturalWidth})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	return shown
}
