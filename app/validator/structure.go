package validator

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"vigil/domain"
)

// problem is a structural finding: the rule's reason and what broke it.
type problem struct {
	reason domain.Reason
	detail string
}

func corruptf(format string, a ...any) *problem {
	return &problem{domain.Corrupt, fmt.Sprintf(format, a...)}
}

// scriptMarks are the openings of script code that have no business in an
// image's metadata; finding one there makes the file a polyglot. They are long
// enough that binary metadata (an EXIF thumbnail) does not hold them by chance.
var scriptMarks = [][]byte{[]byte("<?php"), []byte("<script")}

func holdsScript(b []byte) bool {
	for _, m := range scriptMarks {
		if indexFold(b, m) >= 0 {
			return true
		}
	}
	return false
}

// indexFold is bytes.Index ignoring ASCII case; m must be lower case.
func indexFold(b, m []byte) int {
	for i := 0; i+len(m) <= len(b); i++ {
		j := 0
		for ; j < len(m); j++ {
			c := b[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != m[j] {
				break
			}
		}
		if j == len(m) {
			return i
		}
	}
	return -1
}

// JPEG markers.
const (
	mSOF0 = 0xC0
	mDHT  = 0xC4
	mJPG  = 0xC8
	mDAC  = 0xCC
	mRST0 = 0xD0
	mRST7 = 0xD7
	mSOI  = 0xD8
	mEOI  = 0xD9
	mSOS  = 0xDA
	mAPP0 = 0xE0
	mAPPF = 0xEF
	mCOM  = 0xFE
)

// maxScans bounds the scans of a JPEG. Real encoders emit one per component
// (baseline) or about ten to twenty (progressive); image/jpeg walks every
// block of the image on every scan, so a file of many small repeated scans
// would keep its decoder busy for minutes.
const maxScans = 100

// checkJPEG walks the markers of a JPEG from SOI to EOI. The rules: every
// segment is a marker (optionally preceded by 0xFF fill bytes) with a length
// that fits the data; there is one frame header; every scan names components
// of the frame and its entropy-coded data ends in a marker; by EOI every
// coefficient of every component has been sent (a baseline frame: each
// component in exactly one scan; a progressive one: each of the 64
// coefficients of each component in one first pass, then refined one bit per
// scan down to the last bit); there are at most maxScans scans; nothing
// follows EOI; no APPn or COM
// segment carries script code. image/jpeg is lenient on all of these: it
// skips stray bytes and decodes incomplete progressive images without error.
func checkJPEG(data []byte) *problem {
	type component struct {
		id   byte
		seen bool      // in some scan
		sent [64]bool  // progressive: the coefficient's first pass came
		bit  [64]uint8 // progressive: the lowest bit sent so far (Al)
	}
	var (
		scans       int
		comps       []component
		frame       bool
		progressive bool
		script      bool
		pos         = 2 // after SOI
	)
	for {
		if pos >= len(data) {
			return corruptf("no EOI marker: the file is truncated")
		}
		if data[pos] != 0xFF {
			return corruptf("stray byte %#02x at offset %d where a marker belongs", data[pos], pos)
		}
		for pos < len(data) && data[pos] == 0xFF {
			pos++
		}
		if pos >= len(data) {
			return corruptf("no EOI marker: the file ends in fill bytes")
		}
		m := data[pos]
		pos++
		switch {
		case m == mEOI:
			if !frame {
				return corruptf("EOI before any frame header")
			}
			for _, c := range comps {
				if !progressive && !c.seen {
					return corruptf("component %d is in no scan", c.id)
				}
				if progressive {
					for k := range c.sent {
						if !c.sent[k] || c.bit[k] != 0 {
							return corruptf("progressive image incomplete: coefficient %d of component %d never fully sent", k, c.id)
						}
					}
				}
			}
			if pos < len(data) {
				return &problem{domain.TrailingData, fmt.Sprintf("%d bytes after EOI", len(data)-pos)}
			}
			if script {
				return &problem{domain.EmbeddedCode, "script code in an APPn or COM segment"}
			}
			return nil
		case m == 0 || m == mSOI || m == 0x01 || (m >= mRST0 && m <= mRST7):
			return corruptf("marker %#02x at offset %d outside its place", m, pos-2)
		}
		if pos+2 > len(data) {
			return corruptf("segment %#02x: truncated length", m)
		}
		n := int(binary.BigEndian.Uint16(data[pos:]))
		if n < 2 || pos+n > len(data) {
			return corruptf("segment %#02x of length %d at offset %d runs past the data", m, n, pos-2)
		}
		seg := data[pos+2 : pos+n]
		pos += n
		switch {
		case m >= mSOF0 && m <= 0xCF && m != mDHT && m != mJPG && m != mDAC:
			if frame {
				return corruptf("a second frame header")
			}
			frame = true
			progressive = m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE
			if len(seg) < 6 {
				return corruptf("frame header too short")
			}
			nf := int(seg[5])
			if nf == 0 || len(seg) != 6+3*nf {
				return corruptf("frame header of %d bytes for %d components", len(seg), nf)
			}
			for i := range nf {
				id := seg[6+3*i]
				for _, c := range comps {
					if c.id == id {
						return corruptf("component %d declared twice", id)
					}
				}
				comps = append(comps, component{id: id})
			}
		case m == mSOS:
			if !frame {
				return corruptf("scan before the frame header")
			}
			if len(seg) < 1 {
				return corruptf("scan header too short")
			}
			if scans++; scans > maxScans {
				return corruptf("more than %d scans", maxScans)
			}
			ns := int(seg[0])
			if ns == 0 || len(seg) != 4+2*ns {
				return corruptf("scan header of %d bytes for %d components", len(seg), ns)
			}
			ss, se := int(seg[1+2*ns]), int(seg[2+2*ns])
			ah, al := seg[3+2*ns]>>4, seg[3+2*ns]&0x0F
			if ss > se || se > 63 {
				return corruptf("scan spectral selection %d..%d", ss, se)
			}
			for i := range ns {
				id := seg[1+2*i]
				k := -1
				for j := range comps {
					if comps[j].id == id {
						k = j
					}
				}
				if k < 0 {
					return corruptf("scan names component %d, not in the frame", id)
				}
				if !progressive {
					if comps[k].seen {
						return corruptf("component %d in a second scan of a baseline frame", id)
					}
					comps[k].seen = true
					continue
				}
				comps[k].seen = true
				if p := progress(&comps[k].sent, &comps[k].bit, id, ss, se, ah, al); p != nil {
					return p
				}
			}
			end := scanEnd(data, pos)
			if end < 0 {
				return corruptf("scan data at offset %d runs to the end of the file: truncated", pos)
			}
			pos = end
		case (m >= mAPP0 && m <= mAPPF) || m == mCOM:
			script = script || holdsScript(seg)
		}
	}
}

// progress records a progressive scan of coefficients ss..se of component
// id with successive approximation ah, al: a first pass (ah 0) of a
// coefficient not sent yet, or a refinement of the next bit (ah the last
// pass's al, al one less) of one that was.
func progress(sent *[64]bool, bit *[64]uint8, id byte, ss, se int, ah, al byte) *problem {
	for c := ss; c <= se; c++ {
		switch {
		case ah == 0 && sent[c]:
			return corruptf("coefficient %d of component %d sent twice", c, id)
		case ah == 0:
			sent[c], bit[c] = true, al
		case !sent[c]:
			return corruptf("coefficient %d of component %d refined before its first pass", c, id)
		case ah != bit[c] || al+1 != ah:
			return corruptf("coefficient %d of component %d refined from bit %d to %d, want %d to %d", c, id, ah, al, bit[c], max(int(bit[c])-1, 0))
		default:
			bit[c] = al
		}
	}
	return nil
}

// scanEnd returns the offset of the first marker after pos that is neither a
// stuffed 0xFF00 nor a restart marker, or -1 when the data ends first.
func scanEnd(data []byte, pos int) int {
	for {
		i := bytes.IndexByte(data[pos:], 0xFF)
		if i < 0 {
			return -1
		}
		pos += i
		if pos+1 >= len(data) {
			return -1
		}
		if m := data[pos+1]; m != 0 && m != 0xFF && (m < mRST0 || m > mRST7) {
			return pos
		}
		pos++
	}
}

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// checkPNG walks the chunks of a PNG. The rules: IHDR first; every chunk
// fits the data and its CRC matches (image/png checks the CRC of the chunks
// it reads but stops at IEND and skips unknown ones unread); PLTE, when
// present, holds 1..256 entries and is required by colour type 3; IDAT is
// present and its chunks are consecutive; IEND is last and nothing follows;
// no text chunk carries script code. It returns the number of palette
// entries for the index check after decoding.
func checkPNG(data []byte) (paletteLen int, p *problem) {
	var (
		pos                 = len(pngSignature)
		first               = true
		colorType           byte
		idat, idatDone, end bool
		script              bool
	)
	for !end {
		if pos+8 > len(data) {
			return 0, corruptf("no IEND chunk: the file is truncated")
		}
		n := binary.BigEndian.Uint32(data[pos:])
		typ := data[pos+4 : pos+8]
		if n > 1<<31-1 || uint64(pos)+12+uint64(n) > uint64(len(data)) {
			return 0, corruptf("chunk %q of length %d at offset %d runs past the data", typ, n, pos)
		}
		for _, c := range typ {
			if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
				return 0, corruptf("bad chunk type %q at offset %d", typ, pos)
			}
		}
		body := data[pos+8 : pos+8+int(n)]
		want := binary.BigEndian.Uint32(data[pos+8+int(n):])
		if got := crc32.ChecksumIEEE(data[pos+4 : pos+8+int(n)]); got != want {
			return 0, corruptf("chunk %q at offset %d: CRC %08x, want %08x", typ, pos, got, want)
		}
		pos += 12 + int(n)
		name := string(typ)
		if first != (name == "IHDR") {
			return 0, corruptf("IHDR is not the first chunk")
		}
		if idat && name != "IDAT" {
			idatDone = true
		}
		switch name {
		case "IHDR":
			if n != 13 {
				return 0, corruptf("IHDR of %d bytes", n)
			}
			colorType = body[9]
		case "PLTE":
			if n == 0 || n%3 != 0 || n > 256*3 {
				return 0, corruptf("PLTE of %d bytes", n)
			}
			paletteLen = int(n) / 3
		case "IDAT":
			if idatDone {
				return 0, corruptf("IDAT chunks are not consecutive")
			}
			idat = true
		case "IEND":
			end = true
		case "tEXt", "iTXt":
			script = script || holdsScript(body)
		}
		first = false
	}
	switch {
	case !idat:
		return 0, corruptf("no IDAT chunk")
	case colorType == 3 && paletteLen == 0:
		return 0, corruptf("paletted image without PLTE")
	case pos < len(data):
		return 0, &problem{domain.TrailingData, fmt.Sprintf("%d bytes after IEND", len(data)-pos)}
	case script:
		return 0, &problem{domain.EmbeddedCode, "script code in a text chunk"}
	}
	return paletteLen, nil
}
