package vision

import "encoding/binary"

// Inverse DCTs of a luma block at the four scales, in fixed point with 13
// fractional bits for the constants and 2 more bits kept between the column
// and the row pass; every intermediate fits in 32 bits for valid data.
//
// The 1/2 and 1/4 transforms are not truncated IDCTs: each output is exactly
// (up to rounding) the mean of the 2×2 or 4×4 pixels the full IDCT would give,
// which is the separable transform with basis b_u(i) = C(u)/2 · mean over the
// box i of cos((2x+1)uπ/16). Along one axis, for boxes of 2 this folds into a
// 4-point IDCT of (β_k F_k − β_{8−k} F_{8−k}), β_u = cos(uπ/16)/2, with F_4
// dropping out; for boxes of 4 only F_0 and the odd F_u count, with mirrored
// signs in the two halves.

const (
	fixBits   = 13
	pass1Bits = 2
)

// Constants of the Loeffler–Ligtenberg–Moschytz 8-point IDCT, ×2^13
// (c_k = cos(kπ/16)).
const (
	fix0541 = 4433  // √2·c6
	fix0765 = 6270  // √2·(c2−c6)
	fix1847 = 15137 // √2·(c2+c6)
	fix1175 = 9633  // √2·c3
	fix0298 = 2446  // √2·(−c1+c3+c5−c7)
	fix2053 = 16819 // √2·(c1+c3−c5+c7)
	fix3072 = 25172 // √2·(c1+c3+c5−c7)
	fix1501 = 12299 // √2·(c1+c3−c5−c7)
	fix0899 = 7373  // √2·(c3−c7)
	fix2562 = 20995 // √2·(c1+c3)
	fix1961 = 16069 // √2·(c3+c5)
	fix0390 = 3196  // √2·(c3−c5)
)

// Box-filtered reduced transforms, ×2^13: a0 = 1/(2√2) for F_0; for 1/2,
// h2 = cos(π/4)β_2, h6 = cos(π/4)β_6, hAB = cos(Aπ/8)·β_B; for 1/4,
// qU = (1/8)·Σ_{x<4} cos((2x+1)Uπ/16).
const (
	a0  = 2896
	h2  = 2676
	h6  = 1108
	h11 = 3711
	h17 = 738
	h33 = 1303
	h35 = 871
	h31 = 1537
	h37 = 306
	h13 = 3146
	h15 = 2102
	q1  = 2624
	q3  = -922
	q5  = 616
	q7  = -522
)

func clamp8(v int) uint8 {
	if uint(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// zzExtent[k&63]&15 is how many leading columns (horizontal frequencies)
// of a block whose last coefficient is at zigzag index k−1 can be nonzero,
// zzExtent[k&63]>>4 how many leading rows (k = 64 is entry 0: all of them).
var zzExtent = func() (e [64]uint8) {
	cols, rows := uint8(0), uint8(0)
	for k := 1; k <= 64; k++ {
		cols, rows = max(cols, zigzag[k-1]&7+1), max(rows, zigzag[k-1]>>3+1)
		e[k&63] = rows<<4 | cols
	}
	return e
}()

// dcPixel is the mean pixel of a block whose dequantised DC coefficient is dc.
func dcPixel(dc int32) uint8 { return clamp8(int(dc+4)>>3 + 128) }

// lumaBlock decodes the luma block whose top-left pixel is (x0, y0) and
// writes it at 1/scale into dst.
func (d *LumaDecoder) lumaBlock(s *scanComp, x0, y0, scale int, dst *Frame, b bitState) (bitState, bool) {
	diff, b, ok := d.decodeDC(s.dc, b)
	if !ok {
		return b, false
	}
	s.pred += diff
	if x0 >= d.width || y0 >= d.height { // MCU padding outside the image
		return d.skipAC(s.ac, b)
	}
	inside := x0+8 <= d.width && y0+8 <= d.height
	if scale == 8 && inside {
		dst.Pix[y0/8*dst.Stride+x0/8] = dcPixel(s.pred * s.q[0])
		return d.skipAC(s.ac, b)
	}
	d.blk[0] = s.pred * s.q[0]
	k, b := d.decodeAC(s.ac, s.q, b)
	if k == 0 {
		return b, false
	}
	switch {
	case !inside:
		d.edgeBlock(k, x0, y0, scale, dst)
	case k == 1:
		fillBlock(dcPixel(d.blk[0]), dst.Pix[y0/scale*dst.Stride+x0/scale:], dst.Stride, 8/scale)
	case scale == 1:
		idct8(&d.blk, k, dst.Pix[y0*dst.Stride+x0:], dst.Stride)
	case scale == 2:
		idct4(&d.blk, k, dst.Pix[y0/2*dst.Stride+x0/2:], dst.Stride)
	default:
		idct2(&d.blk, dst.Pix[y0/4*dst.Stride+x0/4:], dst.Stride)
	}
	if k == 1 {
		d.blk[0] = 0
	} else {
		d.blk = [64]int32{}
	}
	return b, true
}

// edgeBlock writes a block that the right or bottom edge of the image cuts:
// each output pixel is the mean of the block's pixels inside the image.
func (d *LumaDecoder) edgeBlock(k, x0, y0, scale int, dst *Frame) {
	if k == 1 {
		fillBlock(dcPixel(d.blk[0]), d.tmp[:], 8, 8)
	} else {
		idct8(&d.blk, k, d.tmp[:], 8)
	}
	w, h := min(8, d.width-x0), min(8, d.height-y0)
	for oy := 0; oy*scale < h; oy++ {
		row := dst.Pix[(y0/scale+oy)*dst.Stride+x0/scale:]
		for ox := 0; ox*scale < w; ox++ {
			sum, n := 0, 0
			for y := oy * scale; y < min(oy*scale+scale, h); y++ {
				for x := ox * scale; x < min(ox*scale+scale, w); x++ {
					sum += int(d.tmp[y*8+x])
					n++
				}
			}
			row[ox] = uint8((sum + n/2) / n)
		}
	}
}

// fillBlock sets an n×n square of out (rows stride apart) to v.
func fillBlock(v uint8, out []byte, stride, n int) {
	for y := range n {
		row := out[y*stride : y*stride+n]
		for x := range row {
			row[x] = v
		}
	}
}

// idct8 is the full accurate integer IDCT (8×8 pixels out, rows stride
// apart) of a block whose last coefficient is at zigzag index k−1.
func idct8(blk *[64]int32, k int, out []byte, stride int) {
	const sh1, rnd1 = fixBits - pass1Bits, 1 << (fixBits - pass1Bits - 1)
	var ws [64]int
	cols := int(zzExtent[k&63] & 15)
	// Columns: one vertical 8-point transform per horizontal frequency; the
	// columns from cols on are zero and stay so.
	for u := range min(cols, 8) {
		// Even part.
		z2, z3 := int(blk[16+u]), int(blk[48+u])
		z1 := (z2 + z3) * fix0541
		t2 := z1 - z3*fix1847
		t3 := z1 + z2*fix0765
		z2, z3 = int(blk[u]), int(blk[32+u])
		t0 := (z2+z3)<<fixBits + rnd1
		t1 := (z2-z3)<<fixBits + rnd1
		t10, t13 := t0+t3, t0-t3
		t11, t12 := t1+t2, t1-t2
		// Odd part.
		o0, o1, o2, o3 := int(blk[56+u]), int(blk[40+u]), int(blk[24+u]), int(blk[8+u])
		z1, z2, z3, z4 := o0+o3, o1+o2, o0+o2, o1+o3
		z5 := (z3 + z4) * fix1175
		o0 *= fix0298
		o1 *= fix2053
		o2 *= fix3072
		o3 *= fix1501
		z1 *= -fix0899
		z2 *= -fix2562
		z3 = z3*-fix1961 + z5
		z4 = z4*-fix0390 + z5
		o0 += z1 + z3
		o1 += z2 + z4
		o2 += z2 + z3
		o3 += z1 + z4
		ws[u], ws[56+u] = (t10+o3)>>sh1, (t10-o3)>>sh1
		ws[8+u], ws[48+u] = (t11+o2)>>sh1, (t11-o2)>>sh1
		ws[16+u], ws[40+u] = (t12+o1)>>sh1, (t12-o1)>>sh1
		ws[24+u], ws[32+u] = (t13+o0)>>sh1, (t13-o0)>>sh1
	}
	// Rows: horizontal transforms, descaled with +128 and rounding.
	const sh = fixBits + pass1Bits + 3
	const bias = 128<<sh + 1<<(sh-1)
	for y := range 8 {
		r := (*[8]int)(ws[y*8:])
		dst := out[y*stride : y*stride+8]
		var t10, t11, t12, t13, o0, o1, o2, o3 int
		switch {
		case cols == 1: // constant rows
			v := uint64(clamp8((r[0]<<fixBits + bias) >> sh))
			binary.LittleEndian.PutUint64(dst, v*0x0101010101010101)
			continue
		default:
			z2, z3 := r[2], r[6]
			z1 := (z2 + z3) * fix0541
			t2 := z1 - z3*fix1847
			t3 := z1 + z2*fix0765
			t0 := (r[0]+r[4])<<fixBits + bias
			t1 := (r[0]-r[4])<<fixBits + bias
			t10, t13 = t0+t3, t0-t3
			t11, t12 = t1+t2, t1-t2
			o0, o1, o2, o3 = r[7], r[5], r[3], r[1]
			z1, z2, z3, z4 := o0+o3, o1+o2, o0+o2, o1+o3
			z5 := (z3 + z4) * fix1175
			o0 *= fix0298
			o1 *= fix2053
			o2 *= fix3072
			o3 *= fix1501
			z1 *= -fix0899
			z2 *= -fix2562
			z3 = z3*-fix1961 + z5
			z4 = z4*-fix0390 + z5
			o0 += z1 + z3
			o1 += z2 + z4
			o2 += z2 + z3
			o3 += z1 + z4
		}
		v := uint64(clamp8((t10+o3)>>sh)) |
			uint64(clamp8((t11+o2)>>sh))<<8 |
			uint64(clamp8((t12+o1)>>sh))<<16 |
			uint64(clamp8((t13+o0)>>sh))<<24 |
			uint64(clamp8((t13-o0)>>sh))<<32 |
			uint64(clamp8((t12-o1)>>sh))<<40 |
			uint64(clamp8((t11-o2)>>sh))<<48 |
			uint64(clamp8((t10-o3)>>sh))<<56
		binary.LittleEndian.PutUint64(dst, v)
	}
}

// idct4 writes the 2×2 box means of the pixels of a block whose last
// coefficient is at zigzag index k−1 (4×4 out).
func idct4(blk *[64]int32, k int, out []byte, stride int) {
	var ws [32]int // 4 rows × 8 horizontal frequencies
	for u := range min(int(zzExtent[k&63]&15), 8) {
		if u == 4 {
			continue // F_4 does not reach a 2-pixel mean along the rows
		}
		// blk[32+u] (vertical frequency 4) drops out likewise.
		ea := int(blk[u]) * a0
		eb := int(blk[16+u])*h2 - int(blk[48+u])*h6
		f1, f3, f5, f7 := int(blk[8+u]), int(blk[24+u]), int(blk[40+u]), int(blk[56+u])
		o0 := f1*h11 + f3*h33 - f5*h35 - f7*h17
		o1 := f1*h31 - f3*h13 + f5*h15 - f7*h37
		e0, e1 := ea+eb, ea-eb
		const sh, rnd = fixBits - pass1Bits, 1 << (fixBits - pass1Bits - 1)
		ws[u] = (e0 + o0 + rnd) >> sh
		ws[8+u] = (e1 + o1 + rnd) >> sh
		ws[16+u] = (e1 - o1 + rnd) >> sh
		ws[24+u] = (e0 - o0 + rnd) >> sh
	}
	const sh = fixBits + pass1Bits
	const bias = 128<<sh + 1<<(sh-1)
	for y := range 4 {
		r := (*[8]int)(ws[y*8:])
		ea := r[0]*a0 + bias
		eb := r[2]*h2 - r[6]*h6
		o0 := r[1]*h11 + r[3]*h33 - r[5]*h35 - r[7]*h17
		o1 := r[1]*h31 - r[3]*h13 + r[5]*h15 - r[7]*h37
		e0, e1 := ea+eb, ea-eb
		v := uint32(clamp8((e0+o0)>>sh)) |
			uint32(clamp8((e1+o1)>>sh))<<8 |
			uint32(clamp8((e1-o1)>>sh))<<16 |
			uint32(clamp8((e0-o0)>>sh))<<24
		binary.LittleEndian.PutUint32(out[y*stride:y*stride+4], v)
	}
}

// idct2 writes the 4×4 box means of the block's pixels (2×2 out). Only
// frequencies 0, 1, 3, 5 and 7 reach a 4-pixel mean, along either axis.
func idct2(blk *[64]int32, out []byte, stride int) {
	// Columns: even (F_0) and odd parts of the vertical transform.
	col := func(u int) (e, o int) {
		return int(blk[u]) * a0, int(blk[8+u])*q1 + int(blk[24+u])*q3 + int(blk[40+u])*q5 + int(blk[56+u])*q7
	}
	e0, o0 := col(0)
	e1, o1 := col(1)
	e3, o3 := col(3)
	e5, o5 := col(5)
	e7, o7 := col(7)
	const sh1, rnd1 = fixBits - pass1Bits, 1 << (fixBits - pass1Bits - 1)
	const sh = fixBits + pass1Bits
	const bias = 128<<sh + 1<<(sh-1)
	// Top row of boxes: even + odd; bottom: even − odd.
	ev := (e0+o0+rnd1)>>sh1*a0 + bias
	od := (e1+o1+rnd1)>>sh1*q1 + (e3+o3+rnd1)>>sh1*q3 + (e5+o5+rnd1)>>sh1*q5 + (e7+o7+rnd1)>>sh1*q7
	out[0] = clamp8((ev + od) >> sh)
	out[1] = clamp8((ev - od) >> sh)
	ev = (e0-o0+rnd1)>>sh1*a0 + bias
	od = (e1-o1+rnd1)>>sh1*q1 + (e3-o3+rnd1)>>sh1*q3 + (e5-o5+rnd1)>>sh1*q5 + (e7-o7+rnd1)>>sh1*q7
	out[stride] = clamp8((ev + od) >> sh)
	out[stride+1] = clamp8((ev - od) >> sh)
}
