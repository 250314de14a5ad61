package vision

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
)

// Huffman decoding. The scan's entropy-coded bytes are first copied without
// their 0xFF00 stuffing (destuff), so that the bit reader refills 56+ bits
// with one unaligned load and no branch per byte. A 9-bit lookahead table
// resolves most codes in one load, and for most coefficients also the
// magnitude bits after the code: the entry then holds the run, the value and
// the total length. A second table gives, for skipping a coefficient, only
// its total length and how far it moves the zigzag index.

const (
	lutBits  = 9
	maxCode  = 16           // longest Huffman code
	needBits = maxCode + 11 // most bits one symbol and its magnitude use
	scanPad  = 512          // zero bytes after the scan data: more than one block reads
)

// Lookahead entries (lut, uint32). A complete entry (lutDone) holds the bits
// to consume (code and magnitude), the step to add to the zigzag index before
// storing the value (the run; 15 for ZRL, which stores a zero; eobStep for
// EOB, which stores a zero where nothing was yet and ends the block) and the
// value. An incomplete entry, whose magnitude bits do not fit in the
// lookahead, holds the code length, run and size; 0 is a code longer than
// lutBits (or none).
const (
	lutLen   = 0x3F   // bits to consume
	lutDone  = 1 << 6 // complete entry
	lutBad   = 1 << 7 // a symbol an 8-bit sequential JPEG cannot hold
	lutStepS = 8      // <<: step (8 bits)
	lutSizeS = 16     // <<: magnitude size, incomplete entries (4 bits)
	lutValS  = 16     // >> (arithmetic): the value, complete entries
	eobStep  = 128
)

// Skip entries (skip, uint16): the bits to consume (code and magnitude) in
// the low 6 bits, and how far the zigzag index moves (run+1, 16 for ZRL, 64
// for EOB) from bit 8. 0: decode bit by bit.

type huffTable struct {
	lut     [1 << lutBits]uint32
	skip    [1 << lutBits]uint16
	maxcode [maxCode + 1]int32 // largest code of each length, -1 if none
	valoff  [maxCode + 1]int32 // vals index of a code of that length, minus the code
	vals    [256]uint8
	ac      bool

	// The DHT bytes (counts, then symbols) the table was built from: cameras
	// send the same tables in every frame, and rebuilding them costs more
	// than comparing.
	src    [16 + 256]byte
	srcLen int
}

// build makes the table from a DHT's counts of codes per length and its
// symbols, checking that they form a prefix code.
func (t *huffTable) build(counts *[16]uint8, vals []byte, ac bool) error {
	if t.srcLen == 16+len(vals) && t.ac == ac && [16]byte(t.src[:16]) == *counts && string(t.src[16:t.srcLen]) == string(vals) {
		return nil
	}
	t.srcLen = 0
	if err := t.construct(counts, vals, ac); err != nil {
		return err
	}
	copy(t.src[:], counts[:])
	t.srcLen = 16 + copy(t.src[16:], vals)
	return nil
}

// construct fills the lookahead, skip and canonical-code tables.
func (t *huffTable) construct(counts *[16]uint8, vals []byte, ac bool) error {
	t.ac = ac
	t.lut = [1 << lutBits]uint32{}
	t.skip = [1 << lutBits]uint16{}
	t.vals = [256]uint8{}
	copy(t.vals[:], vals)
	code, k := int32(0), int32(0)
	for l := 1; l <= maxCode; l++ {
		n := int32(counts[l-1])
		t.valoff[l] = k - code
		t.maxcode[l] = code + n - 1
		if n == 0 {
			t.maxcode[l] = -1
		}
		if code+n > 1<<l {
			return corrupt("Huffman table overflows its code space")
		}
		for range n {
			if l <= lutBits {
				r, s, eob, ok := symbolInfo(t.vals[k], ac)
				shift := lutBits - l
				base := int(code) << shift
				for i := range 1 << shift {
					switch {
					case !ok:
						t.lut[base+i] = uint32(l) | lutBad
					case s <= shift: // the magnitude bits are in the lookahead too
						v := extend(int32(i>>(shift-s))&(1<<s-1), s)
						t.lut[base+i] = entry(l+s, r, eob, v)
						t.skip[base+i] = skipEntry(l+s, r, eob)
					default:
						t.lut[base+i] = uint32(l) | uint32(r)<<lutStepS | uint32(s)<<lutSizeS
						t.skip[base+i] = skipEntry(l+s, r, eob)
					}
				}
			}
			code++
			k++
		}
		code <<= 1
	}
	return nil
}

// symbolInfo splits a symbol into run and magnitude size (ZRL: run 15, size
// 0); ok is false for symbols an 8-bit sequential JPEG cannot hold.
func symbolInfo(sym uint8, ac bool) (r, s int, eob, ok bool) {
	if !ac {
		return 0, int(sym), false, sym <= 11
	}
	r, s = int(sym>>4), int(sym&15)
	switch {
	case s == 0 && r == 0:
		return 0, 0, true, true
	case s == 0 && r == 15:
		return 15, 0, false, true
	case s == 0 || s > 10:
		return 0, 0, false, false
	}
	return r, s, false, true
}

// entry is a complete lookahead entry.
func entry(n, r int, eob bool, v int32) uint32 {
	if eob {
		r = eobStep
	}
	return uint32(n) | lutDone | uint32(r)<<lutStepS | uint32(v)<<lutValS
}

// skipEntry is a skip entry.
func skipEntry(n, r int, eob bool) uint16 {
	if eob {
		return uint16(n) | 64<<8
	}
	return uint16(n) | uint16(r+1)<<8
}

// complete returns the complete entry for the symbol at the top of acc,
// whose lookahead entry e is incomplete, or 0 for an invalid code.
func (t *huffTable) complete(e uint32, acc uint64) uint32 {
	var l, r, s int
	eob := false
	switch {
	case e&lutBad != 0:
		return 0
	case e != 0:
		l, r, s = int(e&lutLen), int(e>>lutStepS)&0xFF, int(e>>lutSizeS)&15
	default:
		sym, sl := t.slowSymbol(acc)
		var ok bool
		if r, s, eob, ok = symbolInfo(sym, t.ac); sl == 0 || !ok {
			return 0
		}
		l = sl
	}
	v := extend(int32(acc<<uint(l)>>(64-s)), s) // x>>64 is 0 in Go
	return entry(l+s, r, eob, v)
}

// extend turns s magnitude bits v into the coefficient value they code.
func extend(v int32, s int) int32 {
	if s == 0 {
		return 0
	}
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v
}

// slowSymbol decodes a code longer than lutBits from the top of acc. It
// returns the symbol and the code length, or l = 0 for an invalid code.
func (t *huffTable) slowSymbol(acc uint64) (sym uint8, l int) {
	for l = lutBits + 1; l <= maxCode; l++ {
		code := int32(acc >> (64 - l))
		if code <= t.maxcode[l] {
			return t.vals[uint8(t.valoff[l]+code)], l
		}
	}
	return 0, 0
}

// bitState is the bit reader's state, passed by value so that it lives in
// registers: acc holds n valid bits, most significant first, and the bits
// below them are the stream's next bits (or zero); pos is the next byte of
// the destuffed data to load.
type bitState struct {
	acc uint64
	n   int
	pos int
}

// refill tops acc up to at least 56 bits with one 8-byte load. It reloads
// the bytes that were only partly counted; they OR onto themselves.
func refill(buf []byte, b bitState) bitState {
	w := binary.BigEndian.Uint64(buf[b.pos:])
	b.acc |= w >> (uint(b.n) & 63)
	b.pos += (63 - b.n) >> 3
	b.n |= 56
	return b
}

// consumed is how many bits of the data the reader has used.
func (b bitState) consumed() int { return b.pos*8 - b.n }

// destuff copies the entropy-coded data starting at data[pos] into d.buf
// without stuffing, up to the first marker that is not RSTn or the end of the
// data, and records where each restart interval starts.
func (d *LumaDecoder) destuff(data []byte, pos int) error {
	need := len(data) - pos + scanPad
	if cap(d.buf) < need {
		d.buf = make([]byte, need+need/4)
	}
	buf := d.buf[:need]
	d.rst = d.rst[:0]
	o := 0
	for pos < len(data) {
		i := bytes.IndexByte(data[pos:], 0xFF)
		if i < 0 {
			o += copy(buf[o:], data[pos:])
			pos = len(data)
			break
		}
		o += copy(buf[o:], data[pos:pos+i])
		pos += i + 1
		for pos < len(data) && data[pos] == 0xFF { // fill bytes
			pos++
		}
		if pos >= len(data) {
			break
		}
		switch m := data[pos]; {
		case m == 0:
			buf[o] = 0xFF
			o++
			pos++
		case m >= mRST0 && m <= mRST0+7:
			if want := len(d.rst) & 7; int(m-mRST0) != want {
				return corrupt(fmt.Sprintf("RST%d marker where RST%d belongs", m-mRST0, want))
			}
			d.rst = append(d.rst, o)
			pos++
		default: // the end of the scan
			pos = len(data)
		}
	}
	d.scanLen = o
	clear(buf[o : o+scanPad])
	return nil
}

// skipBlock reads past one block whose values are not needed.
func (d *LumaDecoder) skipBlock(dc, ac *huffTable, b bitState) (bitState, bool) {
	if b.n < needBits {
		b = refill(d.buf, b)
	}
	e := dc.skip[b.acc>>(64-lutBits)]
	if e == 0 {
		c := dc.complete(dc.lut[b.acc>>(64-lutBits)], b.acc)
		if c == 0 {
			return b, false
		}
		e = uint16(c & lutLen)
	}
	b.acc <<= e & 63
	b.n -= int(e & 63)
	return d.skipAC(ac, b)
}

// skipAC reads past the AC coefficients of one block, two codes per refill.
func (d *LumaDecoder) skipAC(t *huffTable, b bitState) (bitState, bool) {
	buf := d.buf
	acc, n, pos := b.acc, b.n, b.pos
	for k := 1; k < 64; {
		if n < 2*needBits {
			w := binary.BigEndian.Uint64(buf[pos:])
			acc |= w >> (uint(n) & 63)
			pos += (63 - n) >> 3
			n |= 56
		}
		e := t.skip[acc>>(64-lutBits)]
		if e == 0 {
			if e = t.slowSkip(acc); e == 0 {
				return bitState{acc, n, pos}, false
			}
		}
		acc <<= e & 63
		n -= int(e & 63)
		if k += int(e >> 8); k >= 64 {
			break
		}
		e = t.skip[acc>>(64-lutBits)]
		if e == 0 {
			if e = t.slowSkip(acc); e == 0 {
				return bitState{acc, n, pos}, false
			}
		}
		acc <<= e & 63
		n -= int(e & 63)
		k += int(e >> 8)
	}
	return bitState{acc, n, pos}, true
}

// slowSkip returns the skip entry for the code at the top of acc that the
// skip table does not resolve, or 0 for an invalid code.
func (t *huffTable) slowSkip(acc uint64) uint16 {
	c := t.complete(t.lut[acc>>(64-lutBits)], acc)
	if c == 0 {
		return 0
	}
	return skipEntry(int(c&lutLen), int(c>>lutStepS)&0xFF, c>>lutStepS&0xFF == eobStep)
}

// decodeDC reads a DC difference.
func (d *LumaDecoder) decodeDC(t *huffTable, b bitState) (int32, bitState, bool) {
	if b.n < needBits {
		b = refill(d.buf, b)
	}
	e := t.lut[b.acc>>(64-lutBits)]
	if e&lutDone == 0 {
		if e = t.complete(e, b.acc); e == 0 {
			return 0, b, false
		}
	}
	b.acc <<= e & 63
	b.n -= int(e & 63)
	return int32(e) >> lutValS, b, true
}

// decodeAC decodes the AC coefficients of one block into d.blk (natural
// order, dequantised with q), which must be zero but for blk[0]. It returns
// 1 + the zigzag index of the last coefficient (1 for a block with DC only),
// or 0 for invalid data.
func (d *LumaDecoder) decodeAC(t *huffTable, q *[64]int32, b bitState) (int, bitState) {
	blk := &d.blk
	k := 1
	for k < 64 {
		if b.n < 2*needBits { // two codes per refill: a branch that predicts well
			b = refill(d.buf, b)
		}
		e := t.lut[b.acc>>(64-lutBits)]
		if e&lutDone == 0 {
			if e = t.complete(e, b.acc); e == 0 {
				return 0, b
			}
		}
		b.acc <<= e & 63
		b.n -= int(e & 63)
		k += int(e>>lutStepS) & 0xFF
		blk[zigzag[k&63]&63] = int32(e) >> lutValS * q[k&63]
		if k++; k >= 64 {
			break
		}
		e = t.lut[b.acc>>(64-lutBits)]
		if e&lutDone == 0 {
			if e = t.complete(e, b.acc); e == 0 {
				return 0, b
			}
		}
		b.acc <<= e & 63
		b.n -= int(e & 63)
		k += int(e>>lutStepS) & 0xFF
		blk[zigzag[k&63]&63] = int32(e) >> lutValS * q[k&63]
		k++
	}
	switch {
	case k > eobStep:
		return k - eobStep - 1, b
	case k > 64: // a run past the end of the block
		return 0, b
	}
	return k, b
}

// zigzag maps a zigzag index to the natural (row-major) index.
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

// The Huffman tables of JPEG Annex K.3 (ITU-T T.81), which MJPEG frames
// without DHT segments use: counts of codes per length, then symbols.
var (
	stdDCLuma       = [16]uint8{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0}
	stdDCLumaVals   = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	stdDCChroma     = [16]uint8{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}
	stdDCChromaVals = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	stdACLuma       = [16]uint8{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d}
	stdACLumaVals   = []byte{
		0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
		0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
		0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
		0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
		0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
		0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
		0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
		0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
		0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
		0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
		0xf9, 0xfa,
	}
	stdACChroma     = [16]uint8{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77}
	stdACChromaVals = []byte{
		0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
		0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
		0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
		0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
		0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
		0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
		0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
		0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
		0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
		0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
		0xf9, 0xfa,
	}
)

// stdTables returns the Annex K tables, built once: DC luma, DC chroma, AC
// luma, AC chroma.
var stdTables = sync.OnceValue(func() *[4]huffTable {
	var t [4]huffTable
	for i, src := range []struct {
		counts *[16]uint8
		vals   []byte
	}{{&stdDCLuma, stdDCLumaVals}, {&stdDCChroma, stdDCChromaVals}, {&stdACLuma, stdACLumaVals}, {&stdACChroma, stdACChromaVals}} {
		if err := t[i].build(src.counts, src.vals, i >= 2); err != nil {
			panic(err)
		}
	}
	return &t
})
