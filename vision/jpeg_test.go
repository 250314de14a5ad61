package vision_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"vigil/vision"
)

var (
	jpegClips = flag.String("jpeg.clips", filepath.Join("..", "..", "shared", "data", "video"),
		"folder of MJPEG clips to compare against image/jpeg (skipped when absent)")
	jpegAllFrames = flag.Bool("jpeg.all", false, "compare every frame of the clips, not every 20th (50th with -short)")
)

var scales = []int{1, 2, 4, 8}

// refLuma decodes data with image/jpeg and returns its luma plane (Y of
// YCbCr, or Gray).
func refLuma(tb testing.TB, data []byte) vision.Frame {
	tb.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("image/jpeg: %v", err)
	}
	b := img.Bounds()
	f := vision.NewFrame(b.Dx(), b.Dy())
	switch m := img.(type) {
	case *image.YCbCr:
		for y := range f.Height {
			copy(f.Row(y), m.Y[y*m.YStride:])
		}
	case *image.Gray:
		for y := range f.Height {
			copy(f.Row(y), m.Pix[y*m.Stride:])
		}
	default:
		tb.Fatalf("image/jpeg gave a %T", img)
	}
	return f
}

// boxAverage scales src by 1/scale: each output pixel is the rounded mean of
// the source pixels its box covers; boxes cut by the right or bottom edge
// average only the pixels inside the image (the rule LumaDecoder follows).
func boxAverage(src vision.Frame, scale int) vision.Frame {
	w, h := vision.ScaledSize(src.Width, src.Height, scale)
	dst := vision.NewFrame(w, h)
	for oy := range h {
		for ox := range w {
			sum, n := 0, 0
			for y := oy * scale; y < min(oy*scale+scale, src.Height); y++ {
				for x := ox * scale; x < min(ox*scale+scale, src.Width); x++ {
					sum += int(src.Pix[y*src.Stride+x])
					n++
				}
			}
			dst.Pix[oy*w+ox] = uint8((sum + n/2) / n)
		}
	}
	return dst
}

// agreement accumulates how far decoded frames are from the reference.
type agreement struct {
	n, within1, within2 int
	sumAbs, maxAbs      int
}

func (a *agreement) add(got, want vision.Frame) {
	for y := range want.Height {
		g, w := got.Row(y), want.Row(y)
		for x := range w {
			d := int(g[x]) - int(w[x])
			if d < 0 {
				d = -d
			}
			a.n++
			a.sumAbs += d
			a.maxAbs = max(a.maxAbs, d)
			if d <= 1 {
				a.within1++
			}
			if d <= 2 {
				a.within2++
			}
		}
	}
}

func (a agreement) mad() float64   { return float64(a.sumAbs) / float64(max(1, a.n)) }
func (a agreement) frac1() float64 { return float64(a.within1) / float64(max(1, a.n)) }
func (a agreement) frac2() float64 { return float64(a.within2) / float64(max(1, a.n)) }
func (a agreement) String() string {
	return fmt.Sprintf("%d px: MAD %.3f, max %d, ±1 %.4f%%, ±2 %.4f%%", a.n, a.mad(), a.maxAbs, 100*a.frac1(), 100*a.frac2())
}

// check fails t when a misses the target of its scale: at 1/8 ±2 levels on
// ≥ 99 % of the pixels, at 1/4 and 1/2 a MAD ≤ 1.5 levels, at 1/1 (the same
// IDCT precision as image/jpeg's, different rounding) ±1 on ≥ 99.9 %.
func (a agreement) check(t *testing.T, what string, scale int) { a.checkWithin2(t, what, scale, 0.99) }

// checkWithin2 is check with another share of pixels within ±2 at 1/8.
func (a agreement) checkWithin2(t *testing.T, what string, scale int, within2 float64) {
	t.Helper()
	t.Logf("%s 1/%d: %v", what, scale, a)
	switch scale {
	case 8:
		if a.frac2() < within2 {
			t.Errorf("%s 1/8: only %.3f%% within ±2", what, 100*a.frac2())
		}
	case 4, 2:
		if a.mad() > 1.5 {
			t.Errorf("%s 1/%d: MAD %.3f > 1.5", what, scale, a.mad())
		}
	case 1:
		if a.frac1() < 0.999 || a.maxAbs > 3 {
			t.Errorf("%s 1/1: %.3f%% within ±1, max %d", what, 100*a.frac1(), a.maxAbs)
		}
	}
}

// compareAll decodes data at every scale and adds the agreement with the
// reference to agr (indexed by scale).
func compareAll(t *testing.T, d *vision.LumaDecoder, data []byte, agr map[int]*agreement) {
	t.Helper()
	ref := refLuma(t, data)
	for _, s := range scales {
		var f vision.Frame
		if err := d.Decode(data, s, &f); err != nil {
			t.Fatalf("1/%d: %v", s, err)
		}
		want := boxAverage(ref, s)
		if f.Width != want.Width || f.Height != want.Height {
			t.Fatalf("1/%d: %dx%d, want %dx%d", s, f.Width, f.Height, want.Width, want.Height)
		}
		if agr[s] == nil {
			agr[s] = new(agreement)
		}
		agr[s].add(f, want)
	}
}

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "jpeg", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// splitMJPEG cuts a stream of concatenated JPEGs at each EOI that a SOI
// follows (or that ends the stream).
func splitMJPEG(data []byte) [][]byte {
	var frames [][]byte
	for len(data) > 0 {
		i := bytes.Index(data, []byte{0xFF, 0xD9})
		for i >= 0 && i+2 < len(data) && !bytes.HasPrefix(data[i+2:], []byte{0xFF, 0xD8}) {
			j := bytes.Index(data[i+2:], []byte{0xFF, 0xD9})
			if j < 0 {
				i = -1
				break
			}
			i += 2 + j
		}
		if i < 0 {
			break
		}
		frames = append(frames, data[:i+2])
		data = data[i+2:]
	}
	return frames
}

var realFrames = []string{"pets-001.jpg", "pets-200.jpg", "pets-400.jpg", "tree-001.jpg", "tree-055.jpg"}

// TestLumaJPEGRealFrames: camera frames (PETS 2009 4:2:0 768×576 and the tree
// clip's 320×240 with all components 1×2) against image/jpeg.
func TestLumaJPEGRealFrames(t *testing.T) {
	d := vision.NewLumaDecoder(0)
	agr := map[int]*agreement{}
	for _, name := range realFrames {
		compareAll(t, d, readTestdata(t, name), agr)
	}
	for _, s := range scales {
		agr[s].check(t, "real frames", s)
	}
}

// TestLumaJPEGClips: the repository's clip (testdata/video) and the clips
// of ../shared/data/video when they are there (the PETS clip is too big to
// ship): every 20th frame (every 50th with -short, all with -jpeg.all).
func TestLumaJPEGClips(t *testing.T) {
	clips, _ := filepath.Glob(filepath.Join(*jpegClips, "*.mjpeg"))
	if len(clips) == 0 {
		clips = []string{filepath.Join("..", "testdata", "video", "tree-wind-hand.mjpeg")}
		t.Logf("no clips in %s: only %s", *jpegClips, clips[0])
	}
	d := vision.NewLumaDecoder(0)
	for _, clip := range clips {
		data, err := os.ReadFile(clip)
		if err != nil {
			t.Fatal(err)
		}
		frames := splitMJPEG(data)
		agr := map[int]*agreement{}
		n, every := 0, 20
		switch {
		case *jpegAllFrames:
			every = 1
		case testing.Short():
			every = 50
		}
		for i, f := range frames {
			if i%every != 0 {
				continue
			}
			compareAll(t, d, f, agr)
			n++
		}
		for _, s := range scales {
			agr[s].check(t, fmt.Sprintf("%s (%d frames)", filepath.Base(clip), n), s)
		}
	}
}

// testPlanes returns a w×h YCbCr image cut from a PETS frame (tiled when
// larger).
func testPlanes(t testing.TB, w, h int) planes {
	t.Helper()
	m, err := petsImage()
	if err != nil {
		t.Fatal(err)
	}
	p := planes{w: w, h: h, y: make([]byte, w*h), cb: make([]byte, w*h), cr: make([]byte, w*h)}
	for y := range h {
		for x := range w {
			sx, sy := (x+100)%m.Rect.Dx(), (y+50)%m.Rect.Dy()
			i := y*w + x
			p.y[i], p.cb[i], p.cr[i] = m.Y[m.YOffset(sx, sy)], m.Cb[m.COffset(sx, sy)], m.Cr[m.COffset(sx, sy)]
		}
	}
	return p
}

// stressPlanes is testPlanes with black-and-white stripes over half of the
// picture, like a camera's on-screen clock: the IDCT rings past 0 and 255
// there, which tests clamping.
func stressPlanes(t testing.TB, w, h int) planes {
	p := testPlanes(t, w, h)
	for y := range h {
		for x := range w {
			if (x/3+y/5)%2 == 0 {
				p.y[y*w+x] = 255 * byte((x/7+y/11)%2)
			}
		}
	}
	return p
}

var petsImage = sync.OnceValues(func() (*image.YCbCr, error) {
	data, err := os.ReadFile(filepath.Join("testdata", "jpeg", "pets-200.jpg"))
	if err != nil {
		return nil, err
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return img.(*image.YCbCr), nil
})

var samplings = []struct {
	name string
	o    encOptions
}{
	{"gray", encOptions{gray: true}},
	{"4:4:4", encOptions{h: 1, v: 1}},
	{"4:2:2", encOptions{h: 2, v: 1}},
	{"4:2:0", encOptions{h: 2, v: 2}},
	{"4:4:0", encOptions{h: 1, v: 2}},
	{"4:1:1", encOptions{h: 4, v: 1}},
}

var (
	testSizes = [][2]int{{1, 1}, {7, 9}, {17, 33}, {64, 48}, {130, 70}, {641, 479}}
	qualities = []int{50, 75, 90, 100}
)

// TestLumaJPEGGenerated: every sampling, quality and size (641×479 at q90
// only, but for image/jpeg at all), encoded by the test encoder and 4:2:0 by
// image/jpeg, against image/jpeg's decode; then the same (up to 130×70) with
// stripes that saturate (reduced scales average before clamping: ±2 on ≥ 97 %
// at 1/8).
func TestLumaJPEGGenerated(t *testing.T) {
	d := vision.NewLumaDecoder(0)
	stress := map[int]*agreement{}
	for _, smp := range samplings {
		agr := map[int]*agreement{}
		for _, sz := range testSizes {
			p, ps := testPlanes(t, sz[0], sz[1]), stressPlanes(t, sz[0], sz[1])
			for _, q := range qualities {
				if sz[0] > 200 && q != 90 {
					continue
				}
				o := smp.o
				o.quality, o.interleaved = q, true
				compareAll(t, d, encodeJPEG(p, o), agr)
				if sz[0] < 200 {
					compareAll(t, d, encodeJPEG(ps, o), stress)
				}
			}
		}
		for _, s := range scales {
			agr[s].check(t, smp.name, s)
		}
	}
	agr := map[int]*agreement{}
	for _, sz := range testSizes {
		p, ps := testPlanes(t, sz[0], sz[1]), stressPlanes(t, sz[0], sz[1])
		for _, q := range qualities {
			compareAll(t, d, stdEncode(t, p, q), agr)
			if sz[0] < 200 {
				compareAll(t, d, stdEncode(t, ps, q), stress)
			}
		}
	}
	for _, s := range scales {
		agr[s].check(t, "image/jpeg 4:2:0", s)
	}
	for _, s := range scales {
		stress[s].checkWithin2(t, "saturated stripes, all samplings", s, 0.97)
	}
}

// stdEncode encodes p with image/jpeg (4:2:0).
func stdEncode(t *testing.T, p planes, q int) []byte {
	t.Helper()
	m := image.NewYCbCr(image.Rect(0, 0, p.w, p.h), image.YCbCrSubsampleRatio444)
	copy(m.Y, p.y)
	copy(m.Cb, p.cb)
	copy(m.Cr, p.cr)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decodeAll returns the frames of data at every scale.
func decodeAll(t *testing.T, d *vision.LumaDecoder, data []byte) []vision.Frame {
	t.Helper()
	var out []vision.Frame
	for _, s := range scales {
		var f vision.Frame
		if err := d.Decode(data, s, &f); err != nil {
			t.Fatalf("1/%d: %v", s, err)
		}
		out = append(out, f)
	}
	return out
}

func sameFrames(a, b []vision.Frame) bool {
	for i := range a {
		if a[i].Width != b[i].Width || a[i].Height != b[i].Height || !bytes.Equal(a[i].Pix, b[i].Pix) {
			return false
		}
	}
	return true
}

// TestLumaJPEGRestartAndScans: restart intervals and non-interleaved scans
// code the same coefficients, so they must decode to the same pixels.
func TestLumaJPEGRestartAndScans(t *testing.T) {
	d := vision.NewLumaDecoder(0)
	for _, smp := range samplings {
		for _, sz := range [][2]int{{17, 33}, {130, 70}} {
			p := testPlanes(t, sz[0], sz[1])
			o := smp.o
			o.quality, o.interleaved = 75, true
			want := decodeAll(t, d, encodeJPEG(p, o))
			for _, ri := range []int{1, 2, 3, 7, 8, 9, 100} {
				o.restart = ri
				if got := decodeAll(t, d, encodeJPEG(p, o)); !sameFrames(got, want) {
					t.Errorf("%s %dx%d: restart interval %d changes the picture", smp.name, sz[0], sz[1], ri)
				}
			}
			o.restart, o.interleaved = 0, false
			if got := decodeAll(t, d, encodeJPEG(p, o)); !sameFrames(got, want) {
				t.Errorf("%s %dx%d: non-interleaved scans change the picture", smp.name, sz[0], sz[1])
			}
			o.restart = 3
			if got := decodeAll(t, d, encodeJPEG(p, o)); !sameFrames(got, want) {
				t.Errorf("%s %dx%d: non-interleaved scans with restarts change the picture", smp.name, sz[0], sz[1])
			}
		}
	}
	// Go's restart-interval test file, against image/jpeg.
	agr := map[int]*agreement{}
	compareAll(t, d, readTestdata(t, "video-001.restart2.jpeg"), agr)
	for _, s := range scales {
		agr[s].check(t, "video-001.restart2.jpeg", s)
	}
}

// TestLumaJPEGEdgeFiles: Go's 4:4:4 and grayscale test files.
func TestLumaJPEGEdgeFiles(t *testing.T) {
	d := vision.NewLumaDecoder(0)
	for _, name := range []string{"video-001.q50.444.jpeg", "video-005.gray.jpeg"} {
		agr := map[int]*agreement{}
		compareAll(t, d, readTestdata(t, name), agr)
		for _, s := range scales {
			agr[s].check(t, name, s)
		}
	}
}

// segments returns the marker segments of a JPEG before its first scan.
func segments(t *testing.T, data []byte) (markers []byte, spans [][2]int) {
	t.Helper()
	for p := 2; p+4 <= len(data); {
		m, n := data[p+1], int(data[p+2])<<8|int(data[p+3])
		markers, spans = append(markers, m), append(spans, [2]int{p, p + 2 + n})
		if m == 0xDA {
			break
		}
		p += 2 + n
	}
	return markers, spans
}

// stripDHT removes the DHT segments of data.
func stripDHT(t *testing.T, data []byte) []byte {
	t.Helper()
	markers, spans := segments(t, data)
	out := slices.Clone(data)
	for i := len(markers) - 1; i >= 0; i-- {
		if markers[i] == 0xC4 {
			out = slices.Delete(out, spans[i][0], spans[i][1])
		}
	}
	if bytes.Equal(out, data) {
		t.Fatal("no DHT segment")
	}
	return out
}

// TestLumaJPEGNoDHT: an MJPEG frame without DHT segments decodes with the
// Annex K tables, exactly as the same frame with them. image/jpeg writes
// exactly those tables (checked first), so its frames stripped of their DHT
// segments are what a UVC camera sends.
func TestLumaJPEGNoDHT(t *testing.T) {
	p := testPlanes(t, 97, 61)
	data := stdEncode(t, p, 80)
	tables := map[byte]vision.HuffmanSpec{} // by class<<4 | id
	markers, spans := segments(t, data)
	for i, m := range markers {
		for b := data[spans[i][0]+4 : spans[i][1]]; m == 0xC4 && len(b) > 0; {
			var h vision.HuffmanSpec
			copy(h.Counts[:], b[1:17])
			n := 0
			for _, c := range h.Counts {
				n += int(c)
			}
			h.Vals = b[17 : 17+n]
			tables[b[0]] = h
			b = b[17+n:]
		}
	}
	if len(tables) != 4 {
		t.Fatalf("image/jpeg wrote %d Huffman tables", len(tables))
	}
	for i, s := range vision.StdHuffman() {
		if h := tables[byte(i/2<<4|i%2)]; h.Counts != s.Counts || !bytes.Equal(h.Vals, s.Vals) {
			t.Fatalf("image/jpeg's Huffman table %#02x is not that of Annex K", i/2<<4|i%2)
		}
	}
	d := vision.NewLumaDecoder(0)
	if !sameFrames(decodeAll(t, d, stripDHT(t, data)), decodeAll(t, d, data)) {
		t.Error("the frame without DHT decodes differently")
	}
	for _, smp := range samplings { // and the test encoder's own DHT-less frames
		o := smp.o
		o.quality, o.interleaved = 60, true
		withDHT := encodeJPEG(p, o)
		o.noDHT = true
		if !sameFrames(decodeAll(t, d, encodeJPEG(p, o)), decodeAll(t, d, withDHT)) {
			t.Errorf("%s: the frame without DHT decodes differently", smp.name)
		}
	}
}

// TestLumaJPEGUnsupported: valid JPEGs the decoder does not handle give
// ErrUnsupported, never a picture.
func TestLumaJPEGUnsupported(t *testing.T) {
	base := encodeJPEG(testPlanes(t, 40, 24), encOptions{h: 2, v: 2, quality: 75, interleaved: true})
	markers, spans := segments(t, base)
	sof := spans[slices.Index(markers, 0xC0)][0]
	withSOF := func(m byte) []byte {
		b := slices.Clone(base)
		b[sof+1] = m
		return b
	}
	precision := func(p byte) []byte {
		b := slices.Clone(base)
		b[sof+4] = p
		return b
	}
	cases := map[string][]byte{
		"progressive (Go)":      readTestdata(t, "video-001.progressive.jpeg"),
		"CMYK (Go)":             readTestdata(t, "video-001.cmyk.jpeg"),
		"RGB (Go)":              readTestdata(t, "video-001.rgb.jpeg"),
		"progressive SOF2":      withSOF(0xC2),
		"lossless SOF3":         withSOF(0xC3),
		"hierarchical SOF5":     withSOF(0xC5),
		"arithmetic SOF9":       withSOF(0xC9),
		"arithmetic prog SOF10": withSOF(0xCA),
		"12-bit":                precision(12),
		"16-bit":                precision(16),
	}
	d := vision.NewLumaDecoder(0)
	for name, data := range cases {
		for _, s := range scales {
			var f vision.Frame
			err := d.Decode(data, s, &f)
			if !errors.Is(err, vision.ErrUnsupported) {
				t.Errorf("%s 1/%d: err = %v, want ErrUnsupported", name, s, err)
			}
		}
	}
	// image/jpeg, the documented fallback, decodes the real ones.
	for name, data := range cases {
		if strings.Contains(name, "Go") {
			if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
				t.Errorf("%s: image/jpeg: %v", name, err)
			}
		}
	}
}

// TestLumaJPEGHostile: truncations, bad segments, huge sizes, bad Huffman
// data: always an error, never a panic, a hang or a large allocation.
func TestLumaJPEGHostile(t *testing.T) {
	good := encodeJPEG(testPlanes(t, 100, 60), encOptions{h: 2, v: 2, quality: 90, interleaved: true, restart: 4})
	markers, spans := segments(t, good)
	d := vision.NewLumaDecoder(1 << 20)
	var f vision.Frame
	sosEnd := spans[len(spans)-1][1]

	// Every truncation inside the headers or the scan fails.
	for n := 0; n < len(good)-2; n++ {
		err := d.Decode(good[:n], 4, &f)
		if err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(good))
		}
		if !errors.Is(err, vision.ErrCorrupt) {
			t.Fatalf("truncated to %d: %v, want ErrCorrupt", n, err)
		}
		if n == sosEnd+10 {
			t.Logf("e.g. %v", err)
		}
	}
	// Without its EOI the frame is complete.
	if err := d.Decode(good[:len(good)-2], 4, &f); err != nil {
		t.Errorf("without EOI: %v", err)
	}

	// Random byte flips in the scan: error or a frame of the right size.
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		b := slices.Clone(good)
		for range 1 + r.IntN(4) {
			i := sosEnd + r.IntN(len(b)-sosEnd)
			b[i] ^= byte(1 + r.IntN(255))
		}
		s := scales[r.IntN(4)]
		if err := d.Decode(b, s, &f); err == nil {
			if w, h := vision.ScaledSize(100, 60, s); f.Width != w || f.Height != h {
				t.Fatalf("flipped bytes: %dx%d frame", f.Width, f.Height)
			}
		}
	}

	edit := func(at int, bs ...byte) []byte {
		b := slices.Clone(good)
		copy(b[at:], bs)
		return b
	}
	seg := func(m byte) int { return spans[slices.Index(markers, m)][0] }
	sos := seg(0xDA)
	insert := func(m byte, payload []byte) []byte { // a segment before the scan
		return slices.Concat(good[:sos], []byte{0xFF, m, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}, payload, good[sos:])
	}
	var many [16]byte // 257 codes: 2 of 15 bits, 255 of 16
	many[14], many[15] = 2, 255
	hostile := map[string][]byte{
		"257 Huffman codes":          insert(0xC4, slices.Concat([]byte{0x00}, many[:], make([]byte, 257))),
		"no SOI":                     good[2:],
		"SOS before SOF":             slices.Concat(good[:seg(0xC0)], good[seg(0xDA):]),
		"no quant table":             slices.Concat(good[:seg(0xDB)], good[seg(0xDB)+4+64+1:]),
		"DQT id 5":                   edit(seg(0xDB)+4, 0x05),
		"DHT id 7":                   edit(seg(0xC4)+4, 0x07),
		"SOF 0 components":           edit(seg(0xC0)+9, 0),
		"SOF sampling 0":             edit(seg(0xC0)+11, 0x00),
		"SOF sampling 5x1":           edit(seg(0xC0)+11, 0x51),
		"SOF width 0":                edit(seg(0xC0)+7, 0, 0),
		"SOF 65535x65535":            edit(seg(0xC0)+5, 0xFF, 0xFF, 0xFF, 0xFF),
		"segment length 1":           edit(seg(0xDB)+2, 0, 1),
		"segment past the end":       edit(seg(0xDB)+2, 0xFF, 0xF0),
		"Huffman overfull":           edit(seg(0xC4)+5, 0, 5),                                            // 5 codes of 2 bits
		"only 16-bit codes":          edit(seg(0xC4)+5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12), // DC luma
		"scan of unknown component":  edit(seg(0xDA)+5, 9),
		"spectral selection":         edit(sosEnd-3, 1, 63, 0),
		"missing restart":            bytes.Replace(good, []byte{0xFF, 0xD2}, []byte{0xFF, 0x00}, 1),
		"restarts out of order":      bytes.Replace(good, []byte{0xFF, 0xD2}, []byte{0xFF, 0xD5}, 1),
		"codes that never end":       slices.Concat(good[:sosEnd], bytes.Repeat([]byte{0xFF, 0}, 500), []byte{0xFF, 0xD9}),
		"lottapixel (fuzzdb)":        malformed(t, "lottapixel.jpg"),
		"truncated_jpeg (Pillow)":    malformed(t, "truncated_jpeg.jpg"),
		"progressive truncated (Go)": malformed(t, "video-001.progressive.truncated.jpeg"),
	}
	for name, data := range hostile {
		for _, s := range scales {
			var f vision.Frame
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			err := d.Decode(data, s, &f)
			runtime.ReadMemStats(&ms1)
			if err == nil {
				t.Errorf("%s 1/%d: no error", name, s)
				continue
			}
			if a := ms1.TotalAlloc - ms0.TotalAlloc; a > 64<<10 {
				t.Errorf("%s 1/%d: allocated %d bytes before failing", name, s, a)
			}
			if s == 1 {
				t.Logf("%s: %v", name, err)
			}
		}
	}
	var f2 vision.Frame
	if err := vision.NewLumaDecoder(64*64).Decode(good, 8, &f2); !errors.Is(err, vision.ErrTooLarge) {
		t.Errorf("100x60 under a 4096-pixel cap: %v", err)
	}
	if f2.Pix != nil {
		t.Error("a frame over the cap got pixels")
	}
}

func malformed(t *testing.T, name string) []byte {
	t.Helper()
	return readTestdata(t, filepath.Join("malformed", name))
}

// TestLumaJPEGMalformedAccepted: the two malformed-but-decodable files of the
// data set: the polyglot with PHP in its metadata and the truncated APP14.
func TestLumaJPEGMalformedAccepted(t *testing.T) {
	d := vision.NewLumaDecoder(0)
	for _, name := range []string{"POC_phpinfo-metadata.jpg", "truncated_app14.jpg"} {
		data := malformed(t, name)
		var f vision.Frame
		err := d.Decode(data, 8, &f)
		_, stdErr := jpeg.Decode(bytes.NewReader(data))
		t.Logf("%s: %v (image/jpeg: %v)", name, err, stdErr)
		if err == nil && stdErr == nil {
			agr := map[int]*agreement{}
			compareAll(t, d, data, agr)
			for _, s := range scales {
				agr[s].check(t, name, s)
			}
		}
	}
}

// TestLumaJPEGDst: the destination is reused, resized or written in place
// (a sub-frame keeps its stride; nothing outside it changes).
func TestLumaJPEGDst(t *testing.T) {
	data := readTestdata(t, "tree-001.jpg") // 320×240
	d := vision.NewLumaDecoder(0)
	var f vision.Frame
	if err := d.Decode(data, 4, &f); err != nil {
		t.Fatal(err)
	}
	if f.Width != 80 || f.Height != 60 || f.Stride != 80 || len(f.Pix) != 80*60 {
		t.Fatalf("1/4: %dx%d stride %d, %d bytes", f.Width, f.Height, f.Stride, len(f.Pix))
	}
	want := slices.Clone(f.Pix)
	p := &f.Pix[0]
	if err := d.Decode(data, 8, &f); err != nil { // smaller: same array
		t.Fatal(err)
	}
	if f.Width != 40 || &f.Pix[0] != p {
		t.Errorf("1/8 after 1/4: %dx%d, new array %v", f.Width, f.Height, &f.Pix[0] != p)
	}
	if err := d.Decode(data, 2, &f); err != nil { // larger: new array
		t.Fatal(err)
	}
	if f.Width != 160 || f.Height != 120 || len(f.Pix) != 160*120 {
		t.Errorf("1/2: %dx%d, %d bytes", f.Width, f.Height, len(f.Pix))
	}

	// Into an 80×60 window of a larger canvas filled with a canary.
	canvas := vision.NewFrame(100, 70)
	for i := range canvas.Pix {
		canvas.Pix[i] = 0xA5
	}
	win := canvas.Sub(vision.Rect{X0: 7, Y0: 5, X1: 87, Y1: 65})
	if err := d.Decode(data, 4, &win); err != nil {
		t.Fatal(err)
	}
	if win.Stride != 100 {
		t.Errorf("sub-frame stride became %d", win.Stride)
	}
	for y := range 70 {
		for x := range 100 {
			in := x >= 7 && x < 87 && y >= 5 && y < 65
			v := canvas.Pix[y*100+x]
			if in && v != want[(y-5)*80+x-7] {
				t.Fatalf("(%d,%d) = %d, want %d", x, y, v, want[(y-5)*80+x-7])
			}
			if !in && v != 0xA5 {
				t.Fatalf("(%d,%d) outside the window changed", x, y)
			}
		}
	}
}

// TestLumaJPEGAllocs: after the first frame, Decode allocates nothing.
func TestLumaJPEGAllocs(t *testing.T) {
	frames := [][]byte{readTestdata(t, "pets-001.jpg"), readTestdata(t, "pets-200.jpg"), readTestdata(t, "video-001.restart2.jpeg")}
	for _, s := range scales {
		d := vision.NewLumaDecoder(0)
		var f vision.Frame
		for _, data := range frames {
			if err := d.Decode(data, s, &f); err != nil {
				t.Fatal(err)
			}
		}
		i := 0
		n := testing.AllocsPerRun(20, func() {
			if err := d.Decode(frames[i%len(frames)], s, &f); err != nil {
				t.Fatal(err)
			}
			i++
		})
		if n != 0 {
			t.Errorf("1/%d: %v allocations per frame", s, n)
		}
	}
}

func TestScaledSize(t *testing.T) {
	for _, c := range []struct{ w, h, s, ow, oh int }{
		{640, 480, 8, 80, 60}, {641, 479, 8, 81, 60}, {1, 1, 8, 1, 1}, {7, 9, 4, 2, 3}, {17, 33, 2, 9, 17}, {17, 33, 1, 17, 33},
	} {
		if w, h := vision.ScaledSize(c.w, c.h, c.s); w != c.ow || h != c.oh {
			t.Errorf("ScaledSize(%d, %d, %d) = %d, %d, want %d, %d", c.w, c.h, c.s, w, h, c.ow, c.oh)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("scale 3 did not panic")
		}
	}()
	vision.ScaledSize(10, 10, 3)
}

func TestJPEGSize(t *testing.T) {
	w, h, err := vision.JPEGSize(readTestdata(t, "pets-001.jpg"))
	if err != nil || w != 768 || h != 576 {
		t.Errorf("JPEGSize = %d, %d, %v", w, h, err)
	}
	if _, _, err := vision.JPEGSize([]byte{0xFF, 0xD8, 0xFF, 0xD9}); !errors.Is(err, vision.ErrCorrupt) {
		t.Errorf("no SOF: %v", err)
	}
}
