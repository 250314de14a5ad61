package validator

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"vigil/domain"
	"vigil/vision"
)

const testdata = "../../testdata/validator"

func read(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func detector(tb testing.TB) *vision.FaceDetector {
	tb.Helper()
	fd, err := vision.NewFaceDetector(vision.FaceOptions{MinSize: 20})
	if err != nil {
		tb.Fatal(err)
	}
	return fd
}

// isSample reports whether a test-data file is an image sample rather than
// a license or a note.
func isSample(name string) bool {
	return !strings.HasPrefix(name, "LICENSE") && !strings.HasPrefix(name, "README") && !strings.HasSuffix(name, ".README")
}

// malformed lists every hostile sample with the reason it must get.
// "image.Decode admits" marks the ones Go's decoders take without an error.
var malformed = map[string]domain.Reason{
	"fuzzdb/POC_img_phpinfo-CR.gif":           domain.BadFormat, // DecodeConfig reads 3377×16188
	"fuzzdb/POC_phpinfo-metadata.gif":         domain.BadFormat,
	"fuzzdb/POC_phpinfo-metadata.jpg":         domain.EmbeddedCode,  // image.Decode admits: PHP in EXIF
	"fuzzdb/lottapixel.jpg":                   domain.TooManyPixels, // 64250×64250
	"fuzzdb/uber.gif":                         domain.BadFormat,     // image.Decode admits: 40,000 frames
	"go/invalid-crc32.png":                    domain.Corrupt,
	"go/invalid-noend.png":                    domain.Corrupt,
	"go/invalid-palette.png":                  domain.Corrupt, // image.Decode admits: index 255 of a 255-entry palette
	"go/invalid-trunc.png":                    domain.Corrupt,
	"go/invalid-zlib.png":                     domain.Corrupt,
	"go/video-001.progressive.truncated.jpeg": domain.Corrupt, // image.Decode admits: scans missing
	"pillow/broken.png":                       domain.Corrupt,
	"pillow/broken_data_stream.png":           domain.Corrupt,
	"pillow/decompression_bomb.gif":           domain.BadFormat, // DecodeConfig passes at 32×32
	"pillow/decompression_bomb_extents.gif":   domain.BadFormat, // image.Decode admits
	"pillow/truncated_app14.jpg":              domain.Corrupt,   // image.Decode admits: stray bytes after APP14
	"pillow/truncated_end_chunk.png":          domain.Corrupt,
	"pillow/truncated_image.png":              domain.Corrupt,
	"pillow/truncated_jpeg.jpg":               domain.Corrupt,
	"pngsuite/xc1n0g08.png":                   domain.Corrupt,    // colour type 1
	"pngsuite/xc9n2c08.png":                   domain.Corrupt,    // colour type 9
	"pngsuite/xcrn0g04.png":                   domain.NotAnImage, // signature mangled by CR-LF conversion
	"pngsuite/xcsn0g01.png":                   domain.Corrupt,    // IDAT CRC
	"pngsuite/xd0n2c08.png":                   domain.Corrupt,    // bit depth 0
	"pngsuite/xd3n2c08.png":                   domain.Corrupt,    // bit depth 3
	"pngsuite/xd9n2c08.png":                   domain.Corrupt,    // bit depth 99
	"pngsuite/xdtn0g01.png":                   domain.Corrupt,    // no IDAT
	"pngsuite/xhdn0g08.png":                   domain.Corrupt,    // IHDR CRC
	"pngsuite/xlfn0g04.png":                   domain.NotAnImage, // signature mangled by LF conversion
	"pngsuite/xs1n0g01.png":                   domain.NotAnImage,
	"pngsuite/xs2n0g01.png":                   domain.NotAnImage,
	"pngsuite/xs4n0g01.png":                   domain.NotAnImage,
	"pngsuite/xs7n0g01.png":                   domain.NotAnImage,
}

func TestMalformedRejected(t *testing.T) {
	dir := filepath.Join(testdata, "malformed")
	paths, err := filepath.Glob(filepath.Join(dir, "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if !isSample(filepath.Base(p)) {
			continue
		}
		seen++
		want, ok := malformed[rel]
		if !ok {
			t.Errorf("%s: not in the table", rel)
			continue
		}
		v, clean := inspect(t, context.Background(), read(t, p), domain.VerifyLimits{}, nil)
		if v.Accepted || v.Reason != want || v.Detail == "" {
			t.Errorf("%s: accepted=%v reason=%q (%s), want rejected as %q", rel, v.Accepted, v.Reason, v.Detail, want)
		}
		if clean.JPEG != nil || clean.Thumb != nil {
			t.Errorf("%s: a clean copy of a rejected file", rel)
		}
	}
	if seen != len(malformed) {
		t.Errorf("%d samples on disk, %d in the table", seen, len(malformed))
	}
}

func TestValidAccepted(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(testdata, "valid", "*"))
	n := 0
	for _, p := range paths {
		name := filepath.Base(p)
		if !isSample(name) {
			continue
		}
		n++
		v, clean := inspect(t, context.Background(), read(t, p), domain.VerifyLimits{}, nil)
		if filepath.Ext(name) == ".gif" {
			// A valid image, but GIF is not accepted: snapshots are JPEG.
			if v.Accepted || v.Reason != domain.BadFormat {
				t.Errorf("%s: %+v, want bad_format", name, v)
			}
			continue
		}
		if !v.Accepted || v.Reason != "" || v.Width == 0 || v.Height == 0 {
			t.Errorf("%s: %+v, want accepted", name, v)
			continue
		}
		checkClean(t, name, clean, v.Width, v.Height)
	}
	if n != 12 {
		t.Errorf("%d valid samples, want 12", n)
	}
}

// segments lists the markers of a JPEG up to its first scan.
func segments(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var ms []byte
	for pos := 2; pos+4 <= len(b) && b[pos] == 0xFF; {
		m := b[pos+1]
		ms = append(ms, m)
		if m == mSOS {
			break
		}
		pos += 2 + int(b[pos+2])<<8 + int(b[pos+3])
	}
	return ms
}

func checkClean(t *testing.T, name string, c Clean, w, h int) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(c.JPEG))
	if err != nil {
		t.Errorf("%s: clean JPEG: %v", name, err)
		return
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s: clean JPEG %v, want %dx%d", name, b, w, h)
	}
	if p := checkJPEG(c.JPEG); p != nil {
		t.Errorf("%s: clean JPEG breaks a rule: %s %s", name, p.reason, p.detail)
	}
	if !bytes.HasSuffix(c.JPEG, []byte{0xFF, mEOI}) {
		t.Errorf("%s: clean JPEG does not end at EOI", name)
	}
	for _, m := range segments(t, c.JPEG) {
		if (m >= mAPP0+1 && m <= mAPPF) || m == mCOM {
			t.Errorf("%s: clean JPEG has segment %#02x", name, m)
		}
	}
	th, err := jpeg.Decode(bytes.NewReader(c.Thumb))
	if err != nil {
		t.Errorf("%s: thumbnail: %v", name, err)
		return
	}
	tw, thh := th.Bounds().Dx(), th.Bounds().Dy()
	if tw > ThumbWidth || tw != min(w, ThumbWidth) || thh < 1 {
		t.Errorf("%s: thumbnail %dx%d of %dx%d", name, tw, thh, w, h)
	}
	if d := float64(tw)/float64(thh) - float64(w)/float64(h); w > ThumbWidth && (d > 0.05 || d < -0.05) {
		t.Errorf("%s: thumbnail %dx%d changes the aspect of %dx%d", name, tw, thh, w, h)
	}
}

// withSegment inserts a segment right after a JPEG's SOI.
func withSegment(jpg []byte, marker byte, payload string) []byte {
	n := len(payload) + 2
	seg := append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

func TestStructureRules(t *testing.T) {
	jpg := read(t, filepath.Join(testdata, "valid", "video-001.q50.444.jpeg"))
	pngb := read(t, filepath.Join(testdata, "valid", "basn3p08.png"))
	cases := []struct {
		name string
		data []byte
		want domain.Reason // "" for accepted
	}{
		{"jpeg as is", jpg, ""},
		{"jpeg with PHP after EOI", append(bytes.Clone(jpg), "<?php system($_GET['c']); ?>"...), domain.TrailingData},
		{"jpeg with one byte after EOI", append(bytes.Clone(jpg), 0), domain.TrailingData},
		{"jpeg with a second image after EOI", append(bytes.Clone(jpg), jpg...), domain.TrailingData},
		{"jpeg without EOI", jpg[:len(jpg)-2], domain.Corrupt},
		{"jpeg cut in its scan", jpg[:len(jpg)/2], domain.Corrupt},
		{"jpeg with EXIF and a comment", withSegment(withSegment(jpg, 0xE1, "Exif\x00\x00MM\x00*"), mCOM, "made by a camera"), ""},
		{"jpeg with PHP in a comment", withSegment(jpg, mCOM, "<?PHP echo 1; ?>"), domain.EmbeddedCode},
		{"jpeg with a script in APP1", withSegment(jpg, 0xE1, "<script>alert(1)</script>"), domain.EmbeddedCode},
		{"png as is", pngb, ""},
		{"png with bytes after IEND", append(bytes.Clone(pngb), "<?php ?>"...), domain.TrailingData},
		{"png without IEND", pngb[:len(pngb)-12], domain.Corrupt},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), domain.BadFormat},
		{"text", []byte("hello, world"), domain.NotAnImage},
		{"bare FF D8", []byte{0xFF, 0xD8, 0x00, 0x01}, domain.NotAnImage},
		{"empty", nil, domain.EmptyFile},
	}
	for _, c := range cases {
		v, clean := inspect(t, context.Background(), c.data, domain.VerifyLimits{}, nil)
		if c.want == "" {
			if !v.Accepted {
				t.Errorf("%s: rejected %s (%s)", c.name, v.Reason, v.Detail)
				continue
			}
			if v.Format == "jpeg" {
				checkClean(t, c.name, clean, v.Width, v.Height)
			}
			continue
		}
		if v.Accepted || v.Reason != c.want {
			t.Errorf("%s: accepted=%v reason=%q (%s), want %q", c.name, v.Accepted, v.Reason, v.Detail, c.want)
		}
	}
}

func TestLimits(t *testing.T) {
	door := read(t, "../../testdata/faces/gocv_ipc_doorway.jpg") // 1280×720
	cases := []struct {
		name   string
		limits domain.VerifyLimits
		want   domain.Reason
	}{
		{"bytes", domain.VerifyLimits{MaxBytes: int64(len(door) - 1)}, domain.TooLarge},
		{"pixels", domain.VerifyLimits{MaxPixels: 1280*720 - 1}, domain.TooManyPixels},
		{"width", domain.VerifyLimits{MaxWidth: 1279}, domain.TooManyPixels},
		{"height", domain.VerifyLimits{MaxHeight: 719}, domain.TooManyPixels},
		{"decode time", domain.VerifyLimits{DecodeTimeout: time.Microsecond}, domain.TooSlow},
		{"exactly at the limits", domain.VerifyLimits{MaxBytes: int64(len(door)), MaxPixels: 1280 * 720, MaxWidth: 1280, MaxHeight: 720}, ""},
	}
	for _, c := range cases {
		v, _ := inspect(t, context.Background(), door, c.limits, nil)
		if v.Reason != c.want || v.Accepted != (c.want == "") {
			t.Errorf("%s: accepted=%v reason=%q (%s), want %q", c.name, v.Accepted, v.Reason, v.Detail, c.want)
		}
	}
}

func TestFaces(t *testing.T) {
	fd := detector(t)
	v, clean := inspect(t, context.Background(), read(t, "../../testdata/faces/gocv_ipc_doorway.jpg"), domain.VerifyLimits{}, fd)
	if !v.Accepted || len(v.Faces) != 1 {
		t.Fatalf("doorway: %+v, want accepted with one face", v)
	}
	// The man's face is at about (728, 412) of 1280×720.
	b := v.Faces[0].Box
	if x, y := 728.0/1280, 412.0/720; x < b.X0 || x >= b.X1 || y < b.Y0 || y >= b.Y1 || v.Faces[0].Score <= 0 {
		t.Errorf("doorway: face %+v does not hold the man's face", v.Faces[0])
	}
	checkClean(t, "doorway", clean, 1280, 720)
	for _, name := range []string{"skimage_rocket.jpg", "skimage_chelsea.png"} {
		v, _ := inspect(t, context.Background(), read(t, filepath.Join("../../testdata/nofaces", name)), domain.VerifyLimits{}, fd)
		if !v.Accepted || len(v.Faces) != 0 {
			t.Errorf("%s: %+v, want accepted without faces", name, v)
		}
	}
}

func TestThumbnailAverages(t *testing.T) {
	src := image.NewGray(image.Rect(0, 0, 640, 2))
	for x := range 640 {
		src.Pix[x] = uint8(255 * (x % 2)) // alternate black and white columns
		src.Pix[640+x] = src.Pix[x]
	}
	th := thumbnail(src, 320)
	if th.Bounds().Dx() != 320 || th.Bounds().Dy() != 1 {
		t.Fatalf("thumbnail %v", th.Bounds())
	}
	for x := range 320 {
		if r := th.Pix[4*x]; r < 127 || r > 128 {
			t.Fatalf("pixel %d = %d, want the average 127.5", x, r)
		}
	}
}

// TestHostileFilesAllocateLittle: the pixel cap and the signature check
// stop lottapixel and the GIF bombs before any pixel buffer exists.
func TestHostileFilesAllocateLittle(t *testing.T) {
	for _, name := range []string{"fuzzdb/lottapixel.jpg", "fuzzdb/uber.gif", "pillow/decompression_bomb.gif", "pillow/decompression_bomb_extents.gif"} {
		data := read(t, filepath.Join(testdata, "malformed", name))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		v, _ := inspect(t, context.Background(), data, domain.VerifyLimits{}, nil)
		runtime.ReadMemStats(&after)
		if v.Accepted {
			t.Errorf("%s accepted", name)
		}
		if d := after.TotalAlloc - before.TotalAlloc; d > 50<<20 {
			t.Errorf("%s: %d MB allocated", name, d>>20)
		}
	}
}

func FuzzInspect(f *testing.F) {
	for _, pattern := range []string{"malformed/*/*", "valid/*"} {
		paths, _ := filepath.Glob(filepath.Join(testdata, pattern))
		for _, p := range paths {
			if isSample(filepath.Base(p)) {
				f.Add(read(f, p))
			}
		}
	}
	limits := domain.VerifyLimits{MaxPixels: 1 << 20, MaxWidth: 2048, MaxHeight: 2048, DecodeTimeout: 5 * time.Second}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, clean := inspect(t, context.Background(), data, limits, nil)
		if !v.Accepted && v.Reason == "" {
			t.Fatalf("rejected without a reason: %+v", v)
		}
		if v.Accepted && (v.Reason != "" || len(clean.JPEG) == 0 || len(clean.Thumb) == 0) {
			t.Fatalf("accepted without a clean copy or with a reason: %+v", v)
		}
	})
}

// The plane-by-plane thumbnail of a YCbCr image looks like the RGB one,
// for every chroma subsampling and odd sizes.
func TestThumbnailYCbCrMatchesRGB(t *testing.T) {
	src := read(t, "../../testdata/faces/gocv_face_webcam.jpg")
	img, err := jpeg.Decode(bytes.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410}
	for _, r := range ratios {
		for _, size := range []image.Point{{641, 479}, {333, 97}, {320, 240}, {100, 50}, {1, 1}} {
			m := image.NewYCbCr(image.Rect(0, 0, size.X, size.Y), r)
			// The photo's luma, smooth chroma (as photos have).
			photo := img.(*image.YCbCr)
			for y := range size.Y {
				for x := range size.X {
					m.Y[m.YOffset(x, y)] = photo.Y[photo.YOffset(x%640, y%480)]
					m.Cb[m.COffset(x, y)] = uint8(90 + 60*x/size.X)
					m.Cr[m.COffset(x, y)] = uint8(160 - 50*y/size.Y)
				}
			}
			got := thumbnailYCbCr(m, 320)
			want := thumbnail(m, 320)
			if got.Bounds() != want.Bounds() {
				t.Fatalf("%v %v: bounds %v, want %v", r, size, got.Bounds(), want.Bounds())
			}
			var diff, n float64
			for y := range want.Bounds().Dy() {
				for x := range want.Bounds().Dx() {
					r1, g1, b1, _ := got.At(x, y).RGBA()
					r2, g2, b2, _ := want.At(x, y).RGBA()
					for _, d := range []float64{float64(r1>>8) - float64(r2>>8), float64(g1>>8) - float64(g2>>8), float64(b1>>8) - float64(b2>>8)} {
						diff += d * d
						n++
					}
				}
			}
			if rms := math.Sqrt(diff / n); rms > 4 {
				t.Errorf("%v %v: RMS difference %.1f levels", r, size, rms)
			}
		}
	}
}

// inspect is Inspect for tests, which expect a verdict: an error (busy,
// cancelled) fails the test.
func inspect(tb testing.TB, ctx context.Context, data []byte, limits domain.VerifyLimits, fd *vision.FaceDetector) (domain.ImageVerdict, Clean) {
	tb.Helper()
	v, clean, err := Inspect(ctx, data, limits, fd)
	if err != nil {
		tb.Fatalf("Inspect: %v", err)
	}
	return v, clean
}
