package validator

import (
	"bytes"
	"context"
	"errors"
	"image"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"vigil/domain"
)

// jpegScan is one scan of a JPEG: its SOS segment and entropy-coded data.
type jpegScan struct {
	start, end   int // the scan's bytes: data[start:end]
	ss, se       int
	ah, al       byte
	componentIDs []byte
}

// scansOf lists the scans of a well-formed JPEG.
func scansOf(tb testing.TB, data []byte) []jpegScan {
	tb.Helper()
	var out []jpegScan
	for pos := 2; pos+2 <= len(data); {
		if data[pos] != 0xFF {
			tb.Fatalf("no marker at %d", pos)
		}
		m := data[pos+1]
		if m == mEOI {
			return out
		}
		n := int(data[pos+2])<<8 | int(data[pos+3])
		if m != mSOS {
			pos += 2 + n
			continue
		}
		seg := data[pos+4 : pos+2+n]
		ns := int(seg[0])
		sc := jpegScan{start: pos, ss: int(seg[1+2*ns]), se: int(seg[2+2*ns]), ah: seg[3+2*ns] >> 4, al: seg[3+2*ns] & 0x0F}
		for i := range ns {
			sc.componentIDs = append(sc.componentIDs, seg[1+2*i])
		}
		sc.end = scanEnd(data, pos+2+n)
		if sc.end < 0 {
			tb.Fatal("scan runs to the end")
		}
		out = append(out, sc)
		pos = sc.end
	}
	tb.Fatal("no EOI")
	return nil
}

// repeatScan returns data with n more copies of scan sc right after it.
func repeatScan(data []byte, sc jpegScan, n int) []byte {
	out := bytes.Clone(data[:sc.end])
	for range n {
		out = append(out, data[sc.start:sc.end]...)
	}
	return append(out, data[sc.end:]...)
}

// TestScanBomb: a progressive JPEG whose small DC refinement scan is
// repeated tens of thousands of times (image/jpeg would walk every block on
// each) is rejected as corrupt by the structure walk, quickly, before any
// decoder runs; so is one that sends a first pass twice.
func TestScanBomb(t *testing.T) {
	prog := read(t, filepath.Join(testdata, "valid", "video-001.progressive.jpeg"))
	var dcRefine, acFirst jpegScan
	for _, sc := range scansOf(t, prog) {
		switch {
		case sc.ss == 0 && sc.ah != 0:
			dcRefine = sc
		case sc.ss > 0 && sc.ah == 0 && acFirst.end == 0:
			acFirst = sc
		}
	}
	if dcRefine.end == 0 || acFirst.end == 0 {
		t.Fatal("the sample lacks a DC refinement or an AC first pass")
	}
	bomb := repeatScan(prog, dcRefine, 45000)
	if len(bomb) > 5<<20 {
		t.Fatalf("bomb of %d bytes exceeds the default limit", len(bomb))
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"repeated DC refinement", bomb, "refined"},
		{"repeated AC first pass", repeatScan(prog, acFirst, 3), "sent twice"},
	}
	for _, c := range cases {
		goroutines := runtime.NumGoroutine()
		start := time.Now()
		v, _ := inspect(t, context.Background(), c.data, domain.VerifyLimits{}, nil)
		took := time.Since(start)
		if v.Accepted || v.Reason != domain.Corrupt || !strings.Contains(v.Detail, c.want) {
			t.Errorf("%s: accepted=%v reason=%q (%s), want corrupt: %s", c.name, v.Accepted, v.Reason, v.Detail, c.want)
		}
		if took > time.Second {
			t.Errorf("%s: took %v", c.name, took)
		}
		if n := len(decodeSlots); n != 0 {
			t.Errorf("%s: %d decode slots held after Inspect returned", c.name, n)
		}
		if g := runtime.NumGoroutine(); g > goroutines {
			t.Errorf("%s: %d goroutines after Inspect, %d before", c.name, g, goroutines)
		}
	}
}

// progressiveFrame builds the markers of a one-component progressive JPEG
// with the given scans (each a one-byte entropy segment): enough for the
// structure walk, which reads no entropy-coded data.
func progressiveFrame(scans [][4]byte) []byte {
	b := []byte{0xFF, mSOI, 0xFF, 0xC2, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0}
	for _, s := range scans { // component, Ss, Se, Ah<<4|Al
		b = append(b, 0xFF, mSOS, 0, 8, 1, s[0], 0, s[1], s[2], s[3], 0x55)
	}
	return append(b, 0xFF, mEOI)
}

// TestProgressionRules: each coefficient gets one first pass and then one
// refinement per bit, and at most maxScans scans are taken even when each
// of them is in order.
func TestProgressionRules(t *testing.T) {
	// DC first pass at bit 1, then each AC coefficient alone at bit 1, then
	// every refinement to bit 0: 1 + 63 + 1 + 63 = 128 scans, all in order.
	var many [][4]byte
	many = append(many, [4]byte{1, 0, 0, 0x01})
	for k := byte(1); k < 64; k++ {
		many = append(many, [4]byte{1, k, k, 0x01})
	}
	many = append(many, [4]byte{1, 0, 0, 0x10})
	for k := byte(1); k < 64; k++ {
		many = append(many, [4]byte{1, k, k, 0x10})
	}
	ok := [][4]byte{{1, 0, 0, 0x01}, {1, 1, 63, 0x02}, {1, 1, 63, 0x21}, {1, 0, 0, 0x10}, {1, 1, 63, 0x10}}
	cases := []struct {
		name  string
		scans [][4]byte
		want  string // "" for no problem
	}{
		{"in order", ok, ""},
		{"128 scans", many, "more than 100 scans"},
		{"first pass twice", [][4]byte{{1, 0, 0, 0}, {1, 1, 63, 0}, {1, 1, 63, 0}}, "sent twice"},
		{"refinement before first pass", [][4]byte{{1, 0, 0, 0}, {1, 1, 63, 0x10}}, "before its first pass"},
		{"refinement skipping a bit", [][4]byte{{1, 0, 0, 0}, {1, 1, 63, 0x02}, {1, 1, 63, 0x20}}, "refined from bit 2 to 0"},
		{"refinement repeated", [][4]byte{{1, 0, 0, 0}, {1, 1, 63, 0x01}, {1, 1, 63, 0x10}, {1, 1, 63, 0x10}}, "refined from bit 1 to 0"},
		{"refinement never to bit 0", [][4]byte{{1, 0, 0, 0}, {1, 1, 63, 0x02}, {1, 1, 63, 0x21}}, "never fully sent"},
	}
	for _, c := range cases {
		p := checkJPEG(progressiveFrame(c.scans))
		switch {
		case c.want == "" && p != nil:
			t.Errorf("%s: %s %s", c.name, p.reason, p.detail)
		case c.want != "" && (p == nil || p.reason != domain.Corrupt || !strings.Contains(p.detail, c.want)):
			t.Errorf("%s: %+v, want corrupt: %s", c.name, p, c.want)
		}
	}
	// A baseline frame names each component in one scan only.
	jpg := read(t, filepath.Join(testdata, "valid", "video-001.q50.444.jpeg"))
	scans := scansOf(t, jpg)
	if p := checkJPEG(repeatScan(jpg, scans[len(scans)-1], 1)); p == nil || !strings.Contains(p.detail, "second scan") {
		t.Errorf("baseline scan repeated: %+v, want corrupt", p)
	}
}

// withSlots runs f with n decode slots.
// withSlots gives the test n decode slots, waited for no longer than the
// decode timeout.
func withSlots(t *testing.T, n int) {
	saved, savedWait := decodeSlots, minSlotWait
	decodeSlots, minSlotWait = make(chan struct{}, n), 0
	t.Cleanup(func() { decodeSlots, minSlotWait = saved, savedWait })
}

// TestDecodeSlots: a decoder that overruns its time gets a too_slow verdict
// but keeps its slot until it really returns; while every slot is held a
// decode answers ErrBusy (retry later), not a verdict; once the runaway
// decoder returns, its slot is free again.
func TestDecodeSlots(t *testing.T) {
	withSlots(t, 1)
	limits := domain.VerifyLimits{DecodeTimeout: 50 * time.Millisecond}
	release := make(chan struct{})
	runaway := func([]byte) (image.Image, error) {
		<-release
		return nil, errors.New("released")
	}
	_, reason, _, err := decodeWithin(context.Background(), limits, nil, runaway)
	if err != nil || reason != domain.TooSlow {
		t.Fatalf("runaway decode: reason %q, error %v; want too_slow", reason, err)
	}
	if len(decodeSlots) != 1 {
		t.Fatal("the runaway decoder gave up its slot while still running")
	}
	quick := func([]byte) (image.Image, error) { return image.NewGray(image.Rect(0, 0, 1, 1)), nil }
	start := time.Now()
	_, reason, _, err = decodeWithin(context.Background(), limits, nil, quick)
	if !errors.Is(err, ErrBusy) || domain.KindOf(err) != domain.Unavailable || reason != "" {
		t.Fatalf("decode with no free slot: reason %q, error %v; want ErrBusy", reason, err)
	}
	if took := time.Since(start); took < limits.DecodeTimeout {
		t.Errorf("busy after %v, before the decode timeout", took)
	}
	// The pipeline's Inspect: busy is an error, not a too_slow verdict.
	door := read(t, "../../testdata/faces/gocv_ipc_doorway.jpg")
	if v, _, err := Inspect(context.Background(), door, limits, nil); !errors.Is(err, ErrBusy) || v.Reason != "" {
		t.Fatalf("Inspect with no free slot: %+v, %v; want ErrBusy", v, err)
	}
	// A cancelled caller gets its context's error, not ErrBusy.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, _, err := decodeWithin(ctx, limits, nil, quick); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled wait: %v", err)
	}

	close(release)
	for deadline := time.Now().Add(5 * time.Second); len(decodeSlots) != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the slot was not freed after the decoder returned")
		}
	}
	if img, reason, _, err := decodeWithin(context.Background(), limits, nil, quick); err != nil || reason != "" || img == nil {
		t.Fatalf("decode after the slot came free: reason %q, error %v", reason, err)
	}
	if v, _, err := Inspect(context.Background(), door, domain.VerifyLimits{}, nil); err != nil || !v.Accepted {
		t.Fatalf("Inspect after the slot came free: %+v, %v", v, err)
	}
}
