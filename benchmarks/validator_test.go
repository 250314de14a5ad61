package benchmarks

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"

	pigo "github.com/esimov/pigo/core"

	"vigil/adapters/inmem"
	"vigil/app/validator"
	"vigil/domain"
	"vigil/vision"
)

// The validator's benchmarks run on the 640×480 webcam photo of
// testdata/faces with the validator's settings (faces from 20 pixels,
// shift 0.1, scale 1.1, IoU 0.2). Compare in one run:
//
//	go test -run '^$' -bench 'Benchmark(Faces|PigoBaseline|Decode|Validate)/' -count 5 ./benchmarks/
//
// BenchmarkFaces against BenchmarkPigoBaseline is Vigil's detector (its own
// scan over GOMAXPROCS goroutines, then pigo's clustering) against plain
// pigo; BenchmarkValidate (the whole pipeline in memory) against the sum
// of BenchmarkDecode and BenchmarkFaces.

const webcam = "../testdata/faces/gocv_face_webcam.jpg"

func webcamLuma(b *testing.B) vision.Frame {
	img := decodeFile(b, webcam)
	y, ok := img.(*image.YCbCr)
	if !ok || y.Rect.Dx() != 640 || y.Rect.Dy() != 480 {
		b.Fatalf("%s: %T %v, want a 640×480 YCbCr", webcam, img, img.Bounds())
	}
	return vision.Frame{Pix: y.Y, Width: 640, Height: 480, Stride: y.YStride}
}

func decodeFile(tb testing.TB, path string) image.Image {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

func BenchmarkFaces(b *testing.B) {
	f := webcamLuma(b)
	d, err := vision.NewFaceDetector(vision.FaceOptions{MinSize: 20})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("res=640x480", func(b *testing.B) {
		if faces := d.Detect(f, vision.Rect{}); len(faces) != 1 {
			b.Fatalf("%d faces, want 1", len(faces))
		}
		b.SetBytes(640 * 480)
		b.ReportAllocs()
		for b.Loop() {
			d.Detect(f, vision.Rect{})
		}
	})
}

// BenchmarkFacesOneCore is BenchmarkFaces on one goroutine: the scan's own
// gain, without the second core.
func BenchmarkFacesOneCore(b *testing.B) {
	f := webcamLuma(b)
	d, err := vision.NewFaceDetector(vision.FaceOptions{MinSize: 20, Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("res=640x480", func(b *testing.B) {
		b.SetBytes(640 * 480)
		b.ReportAllocs()
		for b.Loop() {
			d.Detect(f, vision.Rect{})
		}
	})
}

func pigoCascade(tb testing.TB) *pigo.Pigo {
	tb.Helper()
	data, err := os.ReadFile("../vision/cascade/facefinder")
	if err != nil {
		tb.Fatal(err)
	}
	p, err := pigo.NewPigo().Unpack(data)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// pigoBaseline is plain pigo as its documentation shows it, on luma.
func pigoBaseline(p *pigo.Pigo, f vision.Frame) []pigo.Detection {
	dets := p.RunCascade(pigo.CascadeParams{MinSize: 20, MaxSize: min(f.Width, f.Height), ShiftFactor: 0.1, ScaleFactor: 1.1,
		ImageParams: pigo.ImageParams{Pixels: f.Pix, Rows: f.Height, Cols: f.Width, Dim: f.Stride}}, 0)
	return p.ClusterDetections(dets, 0.2)
}

func BenchmarkPigoBaseline(b *testing.B) {
	f := webcamLuma(b)
	p := pigoCascade(b)
	b.Run("res=640x480", func(b *testing.B) {
		b.SetBytes(640 * 480)
		b.ReportAllocs()
		for b.Loop() {
			pigoBaseline(p, f)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	data, err := os.ReadFile(webcam)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("res=640x480", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkValidate is the validator's whole pipeline on one upload, with
// in-memory stores: size, read, inspection (signature, header caps,
// structure walk, full decode under its time limit), device standing,
// faces and the clean re-encode with its thumbnail (at once), the
// conditional puts and the upload's removal.
func BenchmarkValidate(b *testing.B) {
	data, err := os.ReadFile(webcam)
	if err != nil {
		b.Fatal(err)
	}
	const (
		acct = "acct_01JDZ2F7QH4M8RS0XK3V9TB6WA"
		dev  = "dev_01JDZ2F7QH4M8RS0XK3V9TB6WB"
	)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	uploads, prod, dir := &inmem.Bucket{}, &inmem.Bucket{}, &inmem.Directory{}
	dir.SetLicense(domain.License{AccountID: acct, Seats: 1, State: domain.LicenseActive, Expires: now.AddDate(1, 0, 0)})
	dir.SetDevice(domain.Device{AccountID: acct, ID: dev})
	fd, err := vision.NewFaceDetector(vision.FaceOptions{MinSize: 20})
	if err != nil {
		b.Fatal(err)
	}
	p, err := validator.NewPipeline(validator.Stores{Uploads: uploads, Quarantine: &inmem.Quarantine{From: uploads, To: uploads},
		Production: prod, Directory: dir, Index: dir}, fd, domain.VerifyLimits{}, func() time.Time { return now }, nil)
	if err != nil {
		b.Fatal(err)
	}
	ev := domain.NewEventID(now.Add(-time.Minute), [10]byte{1})
	n := 0 // over every run of the sub-benchmark: each upload is new
	b.Run("res=640x480", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			n++
			key := fmt.Sprintf("uploads/%s/%s/2026/11/28/%s", acct, dev, domain.SnapshotName(ev, n))
			uploads.Put(key, data)
			o, err := p.Handle(context.Background(), key)
			if err != nil || o.Verdict != validator.Accepted || o.Faces != 1 {
				b.Fatalf("%+v, %v", o, err)
			}
			_ = prod.Delete(context.Background(), o.ImageKey) // keep the heap flat
			_ = prod.Delete(context.Background(), o.ThumbKey)
		}
	})
}

// faceCentres are the faces of testdata/faces: one per photo, its centre.
var faceCentres = map[string][2]int{
	"pigo_sample.jpg":          {154, 202},
	"obama.jpg":                {490, 235},
	"gocv_face_webcam.jpg":     {348, 262},
	"gocv_ipc_doorway.jpg":     {728, 412},
	"grace_hopper_512x512.jpg": {256, 200},
}

func lumaOfImage(img image.Image) vision.Frame {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			r, gg, bb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			g.Pix[y*g.Stride+x] = uint8((19595*r + 38470*gg + 7471*bb + 1<<15) >> 24)
		}
	}
	return vision.Frame{Pix: g.Pix, Width: b.Dx(), Height: b.Dy(), Stride: g.Stride}
}

// TestFacesHitsVsBaseline counts, on testdata/faces and testdata/nofaces,
// the faces found (a box holding the face's centre) and the false hits of
// Vigil's detector and of plain pigo. The scan is pigo's to the window
// (vision.TestScanMatchesPigo), so the difference is in what is kept:
// Vigil drops weak and nested boxes. It must find every face plain pigo
// finds, with fewer false hits.
func TestFacesHitsVsBaseline(t *testing.T) {
	p := pigoCascade(t)
	// The weakly lit Grace Hopper portrait scores about 10: the setting
	// that finds it (the default, 11, keeps her out to keep false hits of
	// real camera frames out).
	d, err := vision.NewFaceDetector(vision.FaceOptions{MinSize: 20, MinScore: 5})
	if err != nil {
		t.Fatal(err)
	}
	var vigilHits, vigilFalse, pigoHits, pigoFalse int
	count := func(boxes []vision.Rect, centre [2]int, has bool) (hit, false_ int) {
		for _, b := range boxes {
			if has && centre[0] >= b.X0 && centre[0] < b.X1 && centre[1] >= b.Y0 && centre[1] < b.Y1 {
				hit = 1
			} else {
				false_++
			}
		}
		return hit, false_
	}
	for _, dir := range []string{"../testdata/faces", "../testdata/nofaces"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			ext := filepath.Ext(e.Name())
			if ext != ".jpg" && ext != ".png" {
				continue
			}
			centre, has := faceCentres[e.Name()]
			if dir == "../testdata/faces" && !has {
				t.Fatalf("%s: no face centre listed", e.Name())
			}
			f := lumaOfImage(decodeFile(t, filepath.Join(dir, e.Name())))
			var ours, theirs []vision.Rect
			for _, face := range d.Detect(f, vision.Rect{}) {
				ours = append(ours, face.Box)
			}
			dets := pigoBaseline(p, f)
			for _, det := range dets {
				h := det.Scale / 2
				theirs = append(theirs, vision.Rect{X0: det.Col - h, Y0: det.Row - h, X1: det.Col + h, Y1: det.Row + h})
			}
			if has { // the face Vigil finds is where plain pigo's strongest box for it is
				if iou := bestIoU(ours, theirs, dets, centre); iou < 0.3 {
					t.Errorf("%s: Vigil's box overlaps plain pigo's by %.2f (IoU), want ≥ 0.3", e.Name(), iou)
				}
			}
			h, fl := count(ours, centre, has)
			vigilHits, vigilFalse = vigilHits+h, vigilFalse+fl
			h2, fl2 := count(theirs, centre, has)
			pigoHits, pigoFalse = pigoHits+h2, pigoFalse+fl2
			if h2 > h {
				t.Errorf("%s: plain pigo finds the face, Vigil does not", e.Name())
			}
		}
	}
	t.Logf("faces found: Vigil %d, plain pigo %d of %d; false hits: Vigil %d, plain pigo %d",
		vigilHits, pigoHits, len(faceCentres), vigilFalse, pigoFalse)
	if vigilHits != len(faceCentres) || vigilFalse > pigoFalse {
		t.Errorf("Vigil: %d of %d faces, %d false hits (plain pigo %d)", vigilHits, len(faceCentres), vigilFalse, pigoFalse)
	}
}

func holds(b vision.Rect, c [2]int) bool {
	return c[0] >= b.X0 && c[0] < b.X1 && c[1] >= b.Y0 && c[1] < b.Y1
}

// bestIoU is the intersection over union of Vigil's box holding the face
// centre c and the strongest of plain pigo's boxes holding it (0 when
// either has none).
func bestIoU(ours, theirs []vision.Rect, dets []pigo.Detection, c [2]int) float64 {
	var ref vision.Rect
	best := float32(-1)
	for i, b := range theirs {
		if holds(b, c) && dets[i].Q > best {
			ref, best = b, dets[i].Q
		}
	}
	for _, b := range ours {
		if holds(b, c) && best > 0 {
			in := b.Intersect(ref)
			if in.Empty() {
				return 0
			}
			i := float64(in.Dx() * in.Dy())
			return i / (float64(b.Dx()*b.Dy()+ref.Dx()*ref.Dy()) - i)
		}
	}
	return 0
}
