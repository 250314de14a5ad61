package vision

// Scaled luma straight from a baseline JPEG: the decoder reads only what the
// motion analysis needs. Luma blocks are entropy-decoded and transformed at the
// requested scale (DC only at 1/8, a box-filtered reduced IDCT at 1/4 and 1/2,
// the full integer IDCT at 1/1); chroma blocks are entropy-decoded only far
// enough to skip them.

import (
	"errors"
	"fmt"
)

// Errors of LumaDecoder.Decode and JPEGSize, wrapped with the details; test
// them with errors.Is.
var (
	// ErrUnsupported: a valid JPEG this decoder does not handle (progressive,
	// lossless, hierarchical, arithmetic-coded, 12-bit, RGB or CMYK, luma
	// subsampled). Callers that must show such a frame can fall back to
	// image/jpeg and downscale its luma; cameras send baseline frames.
	ErrUnsupported = errors.New("unsupported JPEG")
	// ErrCorrupt: malformed or truncated data.
	ErrCorrupt = errors.New("corrupt JPEG")
	// ErrTooLarge: the declared width×height exceeds the decoder's pixel cap.
	ErrTooLarge = errors.New("JPEG too large")
)

// DefaultMaxPixels is the pixel cap of NewLumaDecoder(0): 8192×4096.
const DefaultMaxPixels = 8192 * 4096

// ScaledSize returns the size of a w×h image decoded at 1/scale: each side is
// rounded up, as libjpeg does (a 641×479 image at 1/8 is 81×60). scale must be
// 1, 2, 4 or 8.
func ScaledSize(w, h, scale int) (int, int) {
	checkScale(scale)
	return (w + scale - 1) / scale, (h + scale - 1) / scale
}

func checkScale(scale int) {
	if scale != 1 && scale != 2 && scale != 4 && scale != 8 {
		panic(fmt.Sprintf("vision: JPEG scale %d: want 1, 2, 4 or 8", scale))
	}
}

// JPEGSize returns the width and height a JPEG declares, reading its markers
// up to the frame header only.
func JPEGSize(data []byte) (w, h int, err error) {
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return 0, 0, corrupt("missing SOI marker")
	}
	pos := 2
	for {
		m, seg, next, err := nextSegment(data, pos)
		if err != nil {
			return 0, 0, err
		}
		if isSOF(m) {
			if len(seg) < 6 {
				return 0, 0, corrupt("short frame header")
			}
			return int(seg[3])<<8 | int(seg[4]), int(seg[1])<<8 | int(seg[2]), nil
		}
		if m == mSOS || m == mEOI {
			return 0, 0, corrupt("no frame header")
		}
		pos = next
	}
}

// LumaDecoder decodes the luma plane of baseline JPEGs at 1/1, 1/2, 1/4 or
// 1/8 scale. It keeps its tables and scratch space between frames, so that
// decoding a stream of frames allocates nothing. A LumaDecoder is not safe for
// concurrent use; give each camera its own.
//
// Supported: baseline and extended sequential Huffman-coded 8-bit JPEGs
// (SOF0, SOF1), grayscale or YCbCr with any sampling factors up to 4 in which
// luma is not subsampled (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1 …), interleaved or
// not, with or without restart markers, and MJPEG frames without Huffman
// tables (the AVI1 convention: the tables of JPEG Annex K.3 apply).
type LumaDecoder struct {
	maxPixels int

	buf     []byte // the scan's entropy-coded data without stuffing, then scanPad zeros
	scanLen int    // bytes of data in buf
	rst     []int  // where each restart interval after the first starts in buf

	// Frame state, reset by every Decode.
	width, height  int
	ncomp          int
	comp           [4]jpegComponent
	hmax, vmax     int
	restart        int // restart interval in MCUs, 0 for none
	sawSOF         bool
	adobe          bool
	adobeTransform byte
	quantSet       [4]bool
	dcSet, acSet   [4]bool

	quant [4][64]int32 // zigzag order
	dc    [4]huffTable
	ac    [4]huffTable

	blk [64]int32 // dequantised coefficients of one block, natural order
	tmp [64]uint8 // one block of pixels, for blocks on the image edge
}

type jpegComponent struct {
	id   byte
	h, v int // sampling factors
	tq   int // quantisation table
}

// NewLumaDecoder returns a decoder that refuses images whose declared
// width×height exceeds maxPixels (DefaultMaxPixels when maxPixels <= 0). The
// cap is checked before anything is allocated: Decode's memory is bounded by
// the frame (at most maxPixels bytes) and one copy of the scan's data.
func NewLumaDecoder(maxPixels int) *LumaDecoder {
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	return &LumaDecoder{maxPixels: maxPixels}
}

// Decode writes the luma plane of the JPEG in data, scaled by 1/scale (1, 2,
// 4 or 8; see ScaledSize), into dst.
//
// Each output pixel is the mean of the source pixels it covers (at 1/1 the
// pixel itself); on the right and bottom edges, where an image size is not a
// multiple of scale, it is the mean of the pixels inside the image only. At
// 1/2 to 1/8 the mean comes straight from the coefficients, before the
// pixels are clamped to 0..255, so in saturated high-contrast areas it can
// differ from the mean of the clamped pixels that a full decode gives.
//
// If dst already has the scaled size, Decode writes into it as it is (a
// sub-frame keeps its Stride). Otherwise dst becomes a frame of the scaled
// size with Stride == Width, reusing dst.Pix when its capacity suffices and
// allocating a new one otherwise: a caller that reuses dst allocates once.
//
// The errors wrap ErrUnsupported, ErrCorrupt or ErrTooLarge. After an error
// dst's pixels are unspecified. Decode reads data only up to the end of the
// scan holding luma; it does not require an EOI marker after it.
func (d *LumaDecoder) Decode(data []byte, scale int, dst *Frame) error {
	checkScale(scale)
	d.reset()
	if len(data) < 2 || data[0] != 0xFF || data[1] != 0xD8 {
		return corrupt("missing SOI marker")
	}
	pos := 2
	for {
		m, seg, next, err := nextSegment(data, pos)
		if err != nil {
			return err
		}
		pos = next
		switch {
		case m == mSOF0 || m == mSOF1:
			if err := d.parseSOF(seg); err != nil {
				return err
			}
		case m == mSOF2 || m == mSOF6 || m == mSOF10 || m == mSOF14:
			return unsupported("progressive JPEG")
		case m == mSOF3 || m == mSOF7 || m == mSOF11 || m == mSOF15:
			return unsupported("lossless JPEG")
		case m == mSOF5:
			return unsupported("hierarchical JPEG")
		case m == mSOF9 || m == mSOF13 || m == mDAC:
			return unsupported("arithmetic-coded JPEG")
		case m == mDNL:
			return unsupported("DNL marker (height defined after the scan)")
		case m == mDHT:
			if err := d.parseDHT(seg); err != nil {
				return err
			}
		case m == mDQT:
			if err := d.parseDQT(seg); err != nil {
				return err
			}
		case m == mDRI:
			if len(seg) != 2 {
				return corrupt("DRI length")
			}
			d.restart = int(seg[0])<<8 | int(seg[1])
		case m == mAPP14:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.adobe, d.adobeTransform = true, seg[11]
			}
		case m == mSOS:
			done, end, err := d.scan(data, pos, seg, scale, dst)
			if err != nil || done {
				return err
			}
			pos = end
		case m == mEOI:
			return corrupt("no scan holds luma")
		case m == mSOI:
			return corrupt("SOI marker inside the image")
		}
	}
}

func (d *LumaDecoder) reset() {
	d.width, d.height, d.ncomp, d.hmax, d.vmax, d.restart = 0, 0, 0, 0, 0, 0
	d.sawSOF, d.adobe, d.adobeTransform = false, false, 0
	d.quantSet, d.dcSet, d.acSet = [4]bool{}, [4]bool{}, [4]bool{}
	d.blk = [64]int32{} // an error may have left coefficients behind
}

// Markers.
const (
	mSOF0  = 0xC0
	mSOF1  = 0xC1
	mSOF2  = 0xC2
	mSOF3  = 0xC3
	mDHT   = 0xC4
	mSOF5  = 0xC5
	mSOF6  = 0xC6
	mSOF7  = 0xC7
	mSOF9  = 0xC9
	mSOF10 = 0xCA
	mSOF11 = 0xCB
	mDAC   = 0xCC
	mSOF13 = 0xCD
	mSOF14 = 0xCE
	mSOF15 = 0xCF
	mRST0  = 0xD0
	mSOI   = 0xD8
	mEOI   = 0xD9
	mSOS   = 0xDA
	mDQT   = 0xDB
	mDNL   = 0xDC
	mDRI   = 0xDD
	mAPP14 = 0xEE
)

func isSOF(m byte) bool { return m >= 0xC0 && m <= 0xCF && m != mDHT && m != 0xC8 && m != mDAC }

// nextSegment finds the marker at or after pos and returns it with its
// payload (nil for markers without one) and the position after it. Stray
// bytes before a marker are skipped, as libjpeg does.
func nextSegment(data []byte, pos int) (m byte, seg []byte, next int, err error) {
	for {
		for pos < len(data) && data[pos] != 0xFF {
			pos++
		}
		for pos < len(data) && data[pos] == 0xFF { // fill bytes
			pos++
		}
		if pos >= len(data) {
			return 0, nil, pos, corrupt("unexpected end of data")
		}
		m = data[pos]
		pos++
		switch {
		case m == 0: // a stuffed 0xFF outside a scan: stray data
			continue
		case m == mSOI || m == mEOI || m == 0x01 || (m >= mRST0 && m <= mRST0+7):
			return m, nil, pos, nil
		}
		if pos+2 > len(data) {
			return 0, nil, pos, corrupt("truncated segment length")
		}
		n := int(data[pos])<<8 | int(data[pos+1])
		if n < 2 || pos+n > len(data) {
			return 0, nil, pos, corrupt(fmt.Sprintf("segment %#02x of length %d runs past the data", m, n))
		}
		return m, data[pos+2 : pos+n], pos + n, nil
	}
}

func (d *LumaDecoder) parseSOF(seg []byte) error {
	if d.sawSOF {
		return corrupt("second frame header")
	}
	if len(seg) < 6 {
		return corrupt("short frame header")
	}
	if seg[0] != 8 {
		return unsupported(fmt.Sprintf("%d-bit samples", seg[0]))
	}
	d.height = int(seg[1])<<8 | int(seg[2])
	d.width = int(seg[3])<<8 | int(seg[4])
	if d.height == 0 {
		return unsupported("height 0 (defined by a DNL marker)")
	}
	if d.width == 0 {
		return corrupt("width 0")
	}
	if uint64(d.width)*uint64(d.height) > uint64(d.maxPixels) {
		return fmt.Errorf("vision: %w: %dx%d exceeds the cap of %d pixels", ErrTooLarge, d.width, d.height, d.maxPixels)
	}
	n := int(seg[5])
	if len(seg) != 6+3*n {
		return corrupt("frame header length")
	}
	switch n {
	case 1, 3:
	case 0:
		return corrupt("no components")
	default:
		return unsupported(fmt.Sprintf("%d components", n))
	}
	d.ncomp = n
	for i := range n {
		c := &d.comp[i]
		c.id, c.h, c.v, c.tq = seg[6+3*i], int(seg[7+3*i]>>4), int(seg[7+3*i]&15), int(seg[8+3*i])
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return corrupt("component sampling factors or table")
		}
		for j := range i {
			if d.comp[j].id == c.id {
				return corrupt("duplicate component id")
			}
		}
		if n == 1 { // one component: MCU of one block, whatever it declares
			c.h, c.v = 1, 1
		}
		d.hmax, d.vmax = max(d.hmax, c.h), max(d.vmax, c.v)
	}
	if d.comp[0].h != d.hmax || d.comp[0].v != d.vmax {
		return unsupported("subsampled luma")
	}
	d.sawSOF = true
	return nil
}

func (d *LumaDecoder) parseDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, int(seg[0]&15)
		if tq > 3 || pq > 1 {
			return corrupt("quantisation table id or precision")
		}
		n := 64 << pq
		if len(seg) < 1+n {
			return corrupt("short quantisation table")
		}
		q := &d.quant[tq]
		for k := range 64 {
			if pq == 0 {
				q[k] = int32(seg[1+k])
			} else {
				q[k] = int32(seg[1+2*k])<<8 | int32(seg[2+2*k])
			}
		}
		d.quantSet[tq] = true
		seg = seg[1+n:]
	}
	return nil
}

func (d *LumaDecoder) parseDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return corrupt("short Huffman table")
		}
		tc, th := seg[0]>>4, int(seg[0]&15)
		if tc > 1 || th > 3 {
			return corrupt("Huffman table class or id")
		}
		var counts [16]uint8
		copy(counts[:], seg[1:17])
		total := 0
		for _, c := range counts {
			total += int(c)
		}
		if total > 256 {
			return corrupt("more than 256 Huffman codes")
		}
		if len(seg) < 17+total {
			return corrupt("short Huffman table")
		}
		t, set := &d.dc[th], &d.dcSet[th]
		if tc == 1 {
			t, set = &d.ac[th], &d.acSet[th]
		}
		if err := t.build(&counts, seg[17:17+total], tc == 1); err != nil {
			return err
		}
		*set = true
		seg = seg[17+total:]
	}
	return nil
}

// scanComp is one component of a scan, resolved to its tables.
type scanComp struct {
	h, v   int
	luma   bool
	dc, ac *huffTable
	q      *[64]int32
	pred   int32
}

// scan reads the scan header in seg and decodes the scan whose data starts at
// data[pos]. done reports that luma has been decoded; otherwise end is where
// the next marker starts.
func (d *LumaDecoder) scan(data []byte, pos int, seg []byte, scale int, dst *Frame) (done bool, end int, err error) {
	var sc [4]scanComp
	ns, hasLuma, err := d.parseSOS(seg, &sc)
	if err != nil {
		return false, 0, err
	}
	if !hasLuma {
		end, err := skipEntropyData(data, pos)
		return false, end, err
	}
	ow, oh := ScaledSize(d.width, d.height, scale)
	if !(dst.Width == ow && dst.Height == oh && dst.Stride >= ow && len(dst.Pix) >= (oh-1)*dst.Stride+ow) {
		if cap(dst.Pix) < ow*oh {
			dst.Pix = make([]byte, ow*oh)
		}
		*dst = Frame{Pix: dst.Pix[:ow*oh], Width: ow, Height: oh, Stride: ow}
	}
	if err := d.destuff(data, pos); err != nil {
		return false, 0, err
	}
	return true, 0, d.decodeScan(sc[:ns], scale, dst)
}

// parseSOS reads a scan header into sc and returns the number of components
// in the scan and whether luma is one of them.
func (d *LumaDecoder) parseSOS(seg []byte, sc *[4]scanComp) (ns int, hasLuma bool, err error) {
	if !d.sawSOF {
		return 0, false, corrupt("scan before frame header")
	}
	if d.ncomp == 3 && (d.adobe && d.adobeTransform == 0 ||
		!d.adobe && d.comp[0].id == 'R' && d.comp[1].id == 'G' && d.comp[2].id == 'B') {
		return 0, false, unsupported("RGB colour")
	}
	if len(seg) < 1 {
		return 0, false, corrupt("short scan header")
	}
	ns = int(seg[0])
	if ns < 1 || ns > d.ncomp || len(seg) != 4+2*ns {
		return 0, false, corrupt("scan header")
	}
	if ss, se, a := seg[1+2*ns], seg[2+2*ns], seg[3+2*ns]; ss != 0 || se != 63 || a != 0 {
		return 0, false, corrupt("spectral selection in a sequential scan")
	}
	blocks := 0
	for i := range ns {
		id, tables := seg[1+2*i], seg[2+2*i]
		ci := -1
		for j := range d.ncomp {
			if d.comp[j].id == id {
				ci = j
			}
		}
		if ci < 0 {
			return 0, false, corrupt("scan names an unknown component")
		}
		c, s := &d.comp[ci], &sc[i]
		s.h, s.v, s.luma = c.h, c.v, ci == 0
		if ns == 1 { // a non-interleaved scan codes one block per MCU
			s.h, s.v = 1, 1
		}
		blocks += s.h * s.v
		if s.luma {
			hasLuma = true
			if !d.quantSet[c.tq] {
				return 0, false, corrupt("missing quantisation table")
			}
			s.q = &d.quant[c.tq]
		}
		if s.dc, err = d.table(false, int(tables>>4)); err != nil {
			return 0, false, err
		}
		if s.ac, err = d.table(true, int(tables&15)); err != nil {
			return 0, false, err
		}
	}
	if blocks > 10 {
		return 0, false, corrupt("more than 10 blocks per MCU")
	}
	return ns, hasLuma, nil
}

// decodeScan decodes the MCUs of a scan holding luma from d.buf.
func (d *LumaDecoder) decodeScan(sc []scanComp, scale int, dst *Frame) error {
	mcuW, mcuH := 8*d.hmax, 8*d.vmax
	if len(sc) == 1 {
		mcuW, mcuH = 8, 8 // luma is at full resolution: its blocks tile the image
	}
	cols, rows := (d.width+mcuW-1)/mcuW, (d.height+mcuH-1)/mcuH
	var b bitState
	limit := d.scanLen * 8 // bits of the current restart interval's data
	interval := 0
	if d.restart > 0 && len(d.rst) > 0 {
		limit = d.rst[0] * 8
	}
	left := d.restart
	for my := range rows {
		for mx := range cols {
			if d.restart > 0 {
				if left == 0 { // the next restart interval
					if interval >= len(d.rst) {
						return corrupt("missing restart marker")
					}
					b = bitState{pos: d.rst[interval]}
					interval++
					limit = d.scanLen * 8
					if interval < len(d.rst) {
						limit = d.rst[interval] * 8
					}
					left = d.restart
					for i := range sc {
						sc[i].pred = 0
					}
				}
				left--
			}
			for i := range sc {
				s := &sc[i]
				for v := range s.v {
					for h := range s.h {
						ok := false
						if s.luma {
							b, ok = d.lumaBlock(s, (mx*s.h+h)*8, (my*s.v+v)*8, scale, dst, b)
						} else {
							b, ok = d.skipBlock(s.dc, s.ac, b)
						}
						if !ok {
							return corrupt("bad Huffman code")
						}
						if b.consumed() > limit {
							return corrupt(fmt.Sprintf("data ends in MCU row %d of %d", my+1, rows))
						}
					}
				}
			}
		}
	}
	return nil
}

// table returns the Huffman table a scan selects: the one this frame
// defined, else for ids 0 and 1 the standard table of Annex K (MJPEG).
func (d *LumaDecoder) table(ac bool, id int) (*huffTable, error) {
	if id > 3 {
		return nil, corrupt("Huffman table id")
	}
	if ac {
		if d.acSet[id] {
			return &d.ac[id], nil
		}
	} else if d.dcSet[id] {
		return &d.dc[id], nil
	}
	if id > 1 {
		return nil, corrupt("missing Huffman table")
	}
	std := stdTables()
	if ac {
		return &std[2+id], nil
	}
	return &std[id], nil
}

// skipEntropyData returns the position of the first marker after pos that is
// neither a stuffed 0xFF nor a restart marker.
func skipEntropyData(data []byte, pos int) (int, error) {
	for ; pos+1 < len(data); pos++ {
		if data[pos] == 0xFF {
			if m := data[pos+1]; m != 0 && m != 0xFF && !(m >= mRST0 && m <= mRST0+7) {
				return pos, nil
			}
		}
	}
	return 0, corrupt("unexpected end of data in a scan")
}

func corrupt(msg string) error     { return fmt.Errorf("vision: %w: %s", ErrCorrupt, msg) }
func unsupported(msg string) error { return fmt.Errorf("vision: %w: %s", ErrUnsupported, msg) }
