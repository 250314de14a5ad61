package vision

import (
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"path/filepath"
	"testing"
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
