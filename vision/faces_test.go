package vision

import (
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	pigo "github.com/esimov/pigo/core"
)

// lumaOf decodes an image file into a luma frame (BT.601, as a camera's Y).
func lumaOf(t testing.TB, path string) Frame {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, _, err := image.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	f := NewFrame(b.Dx(), b.Dy())
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			f.Pix[y*f.Stride+x] = uint8((19595*r + 38470*g + 7471*bb + 1<<15) >> 24)
		}
	}
	return f
}

func TestFacesOnRealPhotos(t *testing.T) {
	d, err := NewFaceDetector(FaceOptions{MinSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	weak, _ := NewFaceDetector(FaceOptions{MinSize: 20, MinScore: 5})
	// A weakly lit portrait (score ≈ 10) needs the lower threshold.
	grace := lumaOf(t, "../testdata/faces/grace_hopper_512x512.jpg")
	if got, gotWeak := d.Detect(grace, Rect{}), weak.Detect(grace, Rect{}); len(got) != 0 || len(gotWeak) != 1 {
		t.Errorf("grace hopper: %v at the default score, %v at 5; want none, then one", got, gotWeak)
	}
	// Each photo holds one face; its centre must lie in the box found.
	cases := map[string][2]int{
		"pigo_sample.jpg":      {154, 202},
		"obama.jpg":            {490, 235},
		"gocv_face_webcam.jpg": {348, 262},
		"gocv_ipc_doorway.jpg": {728, 412},
	}
	for name, c := range cases {
		faces := d.Detect(lumaOf(t, filepath.Join("../testdata/faces", name)), Rect{})
		if len(faces) != 1 {
			t.Errorf("%s: %d faces %v, want 1", name, len(faces), faces)
			continue
		}
		if b := faces[0].Box; c[0] < b.X0 || c[0] >= b.X1 || c[1] < b.Y0 || c[1] >= b.Y1 {
			t.Errorf("%s: face %v does not hold (%d,%d)", name, b, c[0], c[1])
		}
	}
	for _, name := range []string{"skimage_rocket.jpg", "skimage_chelsea.png"} {
		if faces := weak.Detect(lumaOf(t, filepath.Join("../testdata/nofaces", name)), Rect{}); len(faces) != 0 {
			t.Errorf("%s: faces %v in a photo without any", name, faces)
		}
	}
}

func TestFacesInARegionOnly(t *testing.T) {
	d, _ := NewFaceDetector(FaceOptions{MinSize: 20})
	f := lumaOf(t, "../testdata/faces/gocv_ipc_doorway.jpg")
	// A person-sized box around the man at the door finds his face in frame coordinates.
	faces := d.Detect(f, Rect{600, 300, 860, 720})
	if len(faces) != 1 || faces[0].Box.X0 < 600 || faces[0].Box.Y0 < 300 {
		t.Fatalf("faces %v in the doorway box", faces)
	}
	if faces := d.Detect(f, Rect{0, 0, 500, 300}); len(faces) != 0 {
		t.Fatalf("faces %v in an empty corner", faces)
	}
	if faces := d.Detect(f, Rect{10, 10, 20, 20}); faces != nil {
		t.Fatalf("a region smaller than MinSize found %v", faces)
	}
}

// The scan returns exactly pigo's RunCascade detections (same windows,
// same scores, same order) on real photos, whatever the workers, the
// region's stride or the search parameters.
func TestScanMatchesPigo(t *testing.T) {
	d, err := NewFaceDetector(FaceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	photos := []string{"../testdata/faces/gocv_face_webcam.jpg", "../testdata/faces/obama.jpg", "../testdata/faces/pigo_sample.jpg",
		"../testdata/faces/grace_hopper_512x512.jpg", "../testdata/nofaces/skimage_rocket.jpg"}
	params := []struct {
		min          int
		shift, scale float64
	}{{20, 0.1, 1.1}, {24, 0.15, 1.2}, {9, 0.05, 1.05}}
	for i, path := range photos {
		f := lumaOf(t, path)
		if i == 1 { // a region: a stride wider than the rows
			f = f.Sub(Rect{37, 11, f.Width - 5, f.Height - 3})
		}
		for j, p := range params {
			f := f
			if j == 2 { // the slow parameters once, on the face
				if i > 0 {
					continue
				}
				f = f.Sub(Rect{240, 150, 460, 370})
			}
			maxSize := min(f.Width, f.Height)
			want := d.p.RunCascade(pigo.CascadeParams{MinSize: p.min, MaxSize: maxSize, ShiftFactor: p.shift, ScaleFactor: p.scale,
				ImageParams: pigo.ImageParams{Pixels: f.Pix, Rows: f.Height, Cols: f.Width, Dim: f.Stride}}, 0)
			if len(want) == 0 && i == 0 {
				t.Fatal("pigo found nothing on the webcam photo")
			}
			for _, workers := range []int{1, 2, 5} {
				got := d.f.scan(f, p.min, maxSize, p.shift, p.scale, workers)
				if !slices.Equal(got, want) {
					t.Errorf("%s %+v workers %d: %d detections, pigo %d", path, p, workers, len(got), len(want))
				}
			}
		}
	}
}

func TestUnpackForestRejectsBadCascades(t *testing.T) {
	for _, b := range [][]byte{nil, facefinder[:15], facefinder[:len(facefinder)-1], append(slices.Clone(facefinder), 0)} {
		if _, err := unpackForest(b); err == nil {
			t.Errorf("a cascade of %d bytes unpacked", len(b))
		}
	}
	bad := slices.Clone(facefinder)
	bad[8] = 40 // depth
	if _, err := unpackForest(bad); err == nil {
		t.Error("depth 40 unpacked")
	}
}
