package benchmarks

import (
	"image"
	"image/draw"
	_ "image/jpeg"
	"os"
	"testing"

	"vigil/vision"
)

// doorway640 is a 640×480 crop, around the person, of the real 1280×720
// IP-camera frame in testdata/faces (a man at a door).
func doorway640(b *testing.B) vision.Frame {
	fh, err := os.Open("../testdata/faces/gocv_ipc_doorway.jpg")
	if err != nil {
		b.Fatal(err)
	}
	defer fh.Close()
	img, _, err := image.Decode(fh)
	if err != nil {
		b.Fatal(err)
	}
	gray := image.NewGray(image.Rect(0, 0, 640, 480))
	draw.Draw(gray, gray.Bounds(), img, image.Pt(440, 240), draw.Src)
	return vision.Frame{Pix: gray.Pix, Width: 640, Height: 480, Stride: gray.Stride}
}

// BenchmarkEdgeFaces compares face detection restricted to a motion box the
// size of a person (padded: 200×400 pixels, 26 % of the frame) with the
// whole frame, on the same image; the edge runs the former, on one core
// (Workers 1, as vigil-edge does: the other cores stay with capture).
func BenchmarkEdgeFaces(b *testing.B) {
	d, err := vision.NewFaceDetector(vision.FaceOptions{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	f := doorway640(b)
	person := vision.Rect{X0: 190, Y0: 80, X1: 390, Y1: 480}
	for _, c := range []struct {
		name   string
		region vision.Rect
	}{{"person", person}, {"frame", vision.Rect{}}} {
		b.Run("res=640x480/region="+c.name, func(b *testing.B) {
			if faces := d.Detect(f, c.region); len(faces) != 1 {
				b.Fatalf("%d faces %v, want the man's", len(faces), faces)
			}
			b.ReportAllocs()
			for b.Loop() {
				d.Detect(f, c.region)
			}
		})
	}
}
