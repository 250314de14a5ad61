package vision_test

// A small baseline JPEG encoder for the tests: any sampling factors (image/jpeg
// writes 4:2:0 only), restart intervals, frames without DHT segments (the
// MJPEG convention) and non-interleaved scans.

import (
	"bytes"
	"math"

	"vigil/vision"
)

type encOptions struct {
	gray        bool
	h, v        int // luma sampling factors; chroma is 1×1 (4:4:4 when 1×1)
	quality     int // 1..100, IJG scaling of the Annex K tables
	restart     int // restart interval in MCUs, 0 for none
	noDHT       bool
	interleaved bool // one scan for all components (else one scan each)
}

// planes is a full-resolution YCbCr image.
type planes struct {
	w, h      int
	y, cb, cr []byte
}

var (
	// Annex K.1 quantisation tables, natural order.
	stdQuantLuma = [64]int{
		16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
		14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
		18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
		49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
	}
	stdQuantChroma = [64]int{
		17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
		24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
	}
	natural = func() (z [64]int) { // zigzag index → natural index
		i := 0
		for s := 0; s < 15; s++ {
			for j := 0; j <= s; j++ {
				y := j
				if s%2 == 0 {
					y = s - j
				}
				x := s - y
				if x < 8 && y < 8 {
					z[i] = y*8 + x
					i++
				}
			}
		}
		return z
	}()
)

func scaleQuant(t *[64]int, quality int) (q [64]int) {
	s := 5000 / quality
	if quality >= 50 {
		s = 200 - 2*quality
	}
	for i, v := range t {
		q[i] = min(255, max(1, (v*s+50)/100))
	}
	return q
}

type huffCode struct {
	code [256]uint32
	size [256]uint8
}

func makeCode(spec vision.HuffmanSpec) (c huffCode) {
	code, k := uint32(0), 0
	for l := 1; l <= 16; l++ {
		for range spec.Counts[l-1] {
			c.code[spec.Vals[k]], c.size[spec.Vals[k]] = code, uint8(l)
			code++
			k++
		}
		code <<= 1
	}
	return c
}

type bitWriter struct {
	out   *bytes.Buffer
	acc   uint32
	nbits uint
}

func (w *bitWriter) put(code uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | code>>uint(i)&1
		w.nbits++
		if w.nbits == 8 {
			w.out.WriteByte(byte(w.acc))
			if byte(w.acc) == 0xFF {
				w.out.WriteByte(0)
			}
			w.acc, w.nbits = 0, 0
		}
	}
}

func (w *bitWriter) flush() {
	for w.nbits != 0 {
		w.put(1, 1)
	}
}

func magnitude(v int) (uint32, uint) {
	a := v
	if a < 0 {
		a = -a
	}
	s := uint(0)
	for a>>s != 0 {
		s++
	}
	if v < 0 {
		v += 1<<s - 1
	}
	return uint32(v), s
}

type encComp struct {
	id, h, v, tq, tab int
	w, h2             int    // plane size
	plane             []byte // w×h2
	pred              int
}

// encodeJPEG encodes p as a baseline JPEG.
func encodeJPEG(p planes, o encOptions) []byte {
	std := vision.StdHuffman()
	codes := [4]huffCode{makeCode(std[0]), makeCode(std[1]), makeCode(std[2]), makeCode(std[3])}
	qt := [2][64]int{scaleQuant(&stdQuantLuma, o.quality), scaleQuant(&stdQuantChroma, o.quality)}
	hmax, vmax := max(1, o.h), max(1, o.v)
	comps := []*encComp{{id: 1, h: hmax, v: vmax, tq: 0, tab: 0}}
	if !o.gray {
		comps = append(comps, &encComp{id: 2, h: 1, v: 1, tq: 1, tab: 1}, &encComp{id: 3, h: 1, v: 1, tq: 1, tab: 1})
	}
	if o.gray {
		hmax, vmax = 1, 1
		comps[0].h, comps[0].v = 1, 1
	}
	for i, c := range comps {
		c.w, c.h2 = (p.w*c.h+hmax-1)/hmax, (p.h*c.v+vmax-1)/vmax
		c.plane = make([]byte, c.w*c.h2)
		src := [3][]byte{p.y, p.cb, p.cr}[i]
		fx, fy := hmax/c.h, vmax/c.v
		for y := range c.h2 {
			for x := range c.w {
				sum, n := 0, 0
				for yy := y * fy; yy < min(y*fy+fy, p.h); yy++ {
					for xx := x * fx; xx < min(x*fx+fx, p.w); xx++ {
						sum += int(src[yy*p.w+xx])
						n++
					}
				}
				c.plane[y*c.w+x] = byte((sum + n/2) / n)
			}
		}
	}

	var out bytes.Buffer
	seg := func(m byte, payload []byte) {
		out.Write([]byte{0xFF, m, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)})
		out.Write(payload)
	}
	out.Write([]byte{0xFF, 0xD8})
	seg(0xE0, []byte{'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0})
	for t := range 1 + min(1, len(comps)-1) {
		b := []byte{byte(t)}
		for k := range 64 {
			b = append(b, byte(qt[t][natural[k]]))
		}
		seg(0xDB, b)
	}
	sof := []byte{8, byte(p.h >> 8), byte(p.h), byte(p.w >> 8), byte(p.w), byte(len(comps))}
	for _, c := range comps {
		sof = append(sof, byte(c.id), byte(c.h<<4|c.v), byte(c.tq))
	}
	seg(0xC0, sof)
	if !o.noDHT {
		for i, s := range std {
			if len(comps) == 1 && i%2 == 1 {
				continue
			}
			b := []byte{byte(i/2<<4 | i%2)}
			b = append(b, s.Counts[:]...)
			seg(0xC4, append(b, s.Vals...))
		}
	}
	if o.restart > 0 {
		seg(0xDD, []byte{byte(o.restart >> 8), byte(o.restart)})
	}

	scans := [][]*encComp{comps}
	if !o.interleaved && len(comps) > 1 {
		scans = [][]*encComp{{comps[0]}, {comps[1]}, {comps[2]}}
	}
	for _, sc := range scans {
		sos := []byte{byte(len(sc))}
		for _, c := range sc {
			sos = append(sos, byte(c.id), byte(c.tab<<4|c.tab))
		}
		seg(0xDA, append(sos, 0, 63, 0))
		w := &bitWriter{out: &out}
		block := func(c *encComp, bx, by int) {
			var px [64]float64
			for y := range 8 {
				for x := range 8 {
					sx, sy := min(bx*8+x, c.w-1), min(by*8+y, c.h2-1)
					px[y*8+x] = float64(c.plane[sy*c.w+sx]) - 128
				}
			}
			coef := fdct(&px)
			q := &qt[c.tq]
			var zz [64]int
			for k := range 64 {
				zz[k] = int(math.Round(coef[natural[k]] / float64(q[natural[k]])))
			}
			dc, ac := &codes[c.tab], &codes[2+c.tab]
			diff := zz[0] - c.pred
			c.pred = zz[0]
			bitsv, s := magnitude(diff)
			w.put(dc.code[s], uint(dc.size[s]))
			w.put(bitsv, s)
			run := 0
			for k := 1; k < 64; k++ {
				if zz[k] == 0 {
					run++
					continue
				}
				for run > 15 {
					w.put(ac.code[0xF0], uint(ac.size[0xF0]))
					run -= 16
				}
				bitsv, s := magnitude(zz[k])
				sym := byte(run<<4) | byte(s)
				w.put(ac.code[sym], uint(ac.size[sym]))
				w.put(bitsv, s)
				run = 0
			}
			if run > 0 {
				w.put(ac.code[0], uint(ac.size[0]))
			}
		}
		var cols, rows int
		if len(sc) == 1 {
			cols, rows = (sc[0].w+7)/8, (sc[0].h2+7)/8
		} else {
			cols, rows = (p.w+8*hmax-1)/(8*hmax), (p.h+8*vmax-1)/(8*vmax)
		}
		for _, c := range sc {
			c.pred = 0
		}
		n, rst := 0, 0
		for my := range rows {
			for mx := range cols {
				if o.restart > 0 && n > 0 && n%o.restart == 0 {
					w.flush()
					out.Write([]byte{0xFF, byte(0xD0 + rst)})
					rst = (rst + 1) & 7
					for _, c := range sc {
						c.pred = 0
					}
				}
				n++
				for _, c := range sc {
					if len(sc) == 1 {
						block(c, mx, my)
						continue
					}
					for v := range c.v {
						for h := range c.h {
							block(c, mx*c.h+h, my*c.v+v)
						}
					}
				}
			}
		}
		w.flush()
	}
	out.Write([]byte{0xFF, 0xD9})
	return out.Bytes()
}

// fdct is the textbook forward DCT of a level-shifted block.
func fdct(px *[64]float64) (out [64]float64) {
	var tmp [64]float64
	for y := range 8 { // rows
		for u := range 8 {
			s := 0.0
			for x := range 8 {
				s += px[y*8+x] * cosTab[x][u]
			}
			tmp[y*8+u] = s * cu(u) / 2
		}
	}
	for u := range 8 { // columns
		for v := range 8 {
			s := 0.0
			for y := range 8 {
				s += tmp[y*8+u] * cosTab[y][v]
			}
			out[v*8+u] = s * cu(v) / 2
		}
	}
	return out
}

var cosTab = func() (t [8][8]float64) {
	for x := range 8 {
		for u := range 8 {
			t[x][u] = math.Cos(float64(2*x+1) * float64(u) * math.Pi / 16)
		}
	}
	return t
}()

func cu(u int) float64 {
	if u == 0 {
		return math.Sqrt2 / 2
	}
	return 1
}
