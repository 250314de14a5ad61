package vision

import "encoding/binary"

// swarImpl handles eight pixels per uint64 in plain Go: the portable fast
// path where no assembly exists (and with -tags purego).
var swarImpl = &Impl{
	name:  "swar",
	cpu:   func() bool { return true },
	diff2: diff2SWAR,
	diff3: diff3SWAR,
	yuyv:  yuyvSWAR,
	down2: down2SWAR,
	probe: probeSWAR,
}

const (
	lo16  = 0x00FF00FF00FF00FF // low byte of each 16-bit lane
	one16 = 0x0100010001000100 // 256 in each 16-bit lane
	top16 = 0x8000800080008000 // bit 15 of each 16-bit lane
	lane1 = 0x0001000100010001 // 1 in each 16-bit lane
)

// swarConsts returns the two per-lane addends that turn d = 256+a-b into
// "changed" flags for threshold t: d+kx has bit 15 set iff a-b > t, and d+ky
// has bit 15 clear iff b-a > t. No lane ever borrows or carries into the next.
func swarConsts(t int) (kx, ky uint64) {
	return uint64(0x8000-257-t) * lane1, uint64(0x8000-256+t) * lane1
}

// swarChanged returns, for each of the eight bytes, 1 where |a-b| > t.
func swarChanged(a, b, kx, ky uint64) uint64 {
	de := a&lo16 + one16 - b&lo16
	do := (a>>8)&lo16 + one16 - (b>>8)&lo16
	ce := ((de + kx) | ^(de + ky)) & top16
	co := ((do + kx) | ^(do + ky)) & top16
	return ce>>15 | co>>7
}

func diff2SWAR(a, b, m []byte, sa, sb, sm, x0, x1, rows, thr int, acc []byte) uint64 {
	kx, ky := swarConsts(thr)
	var changed uint64
	for r := range rows {
		ra, rb, rm := a[r*sa:], b[r*sb:], m[r*sm:]
		var any uint64
		x := x0
		for ; x+8 <= x1; x += 8 {
			inc := swarChanged(binary.LittleEndian.Uint64(ra[x:]), binary.LittleEndian.Uint64(rb[x:]), kx, ky)
			if inc != 0 {
				inc &= binary.LittleEndian.Uint64(rm[x:])
				binary.LittleEndian.PutUint64(acc[x:], binary.LittleEndian.Uint64(acc[x:])+inc)
				any |= inc
			}
		}
		for ; x < x1; x++ {
			if rm[x] != 0 && absDiff(ra[x], rb[x]) > thr {
				acc[x]++
				any = 1
			}
		}
		if any != 0 {
			changed |= 1 << r
		}
	}
	return changed
}

func diff3SWAR(a, b, c, m []byte, sa, sb, sc, sm, x0, x1, rows, thr int, acc []byte) uint64 {
	kx, ky := swarConsts(thr)
	var changed uint64
	for r := range rows {
		ra, rb, rc, rm := a[r*sa:], b[r*sb:], c[r*sc:], m[r*sm:]
		var any uint64
		x := x0
		for ; x+8 <= x1; x += 8 {
			vc := binary.LittleEndian.Uint64(rc[x:])
			inc := swarChanged(vc, binary.LittleEndian.Uint64(ra[x:]), kx, ky) &
				swarChanged(vc, binary.LittleEndian.Uint64(rb[x:]), kx, ky)
			if inc != 0 {
				inc &= binary.LittleEndian.Uint64(rm[x:])
				binary.LittleEndian.PutUint64(acc[x:], binary.LittleEndian.Uint64(acc[x:])+inc)
				any |= inc
			}
		}
		for ; x < x1; x++ {
			if rm[x] != 0 && absDiff(rc[x], ra[x]) > thr && absDiff(rc[x], rb[x]) > thr {
				acc[x]++
				any = 1
			}
		}
		if any != 0 {
			changed |= 1 << r
		}
	}
	return changed
}

func yuyvSWAR(dst, src []byte) {
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		v := binary.LittleEndian.Uint64(src[2*i:])
		v &= lo16                           // Y bytes in the low byte of each lane
		v = (v | v>>8) & 0x0000FFFF0000FFFF // pairs
		v = v | v>>16
		binary.LittleEndian.PutUint32(dst[i:], uint32(v))
	}
	for ; i < len(dst); i++ {
		dst[i] = src[2*i]
	}
}

func down2SWAR(dst, r0, r1 []byte) {
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		u := binary.LittleEndian.Uint64(r0[2*i:])
		v := binary.LittleEndian.Uint64(r1[2*i:])
		// Four 16-bit lane sums of 2×2 blocks, +2, >>2: each fits 10 bits.
		s := u&lo16 + (u>>8)&lo16 + v&lo16 + (v>>8)&lo16 + 2*lane1
		s = (s >> 2) & lo16
		s = (s | s>>8) & 0x0000FFFF0000FFFF
		s = s | s>>16
		binary.LittleEndian.PutUint32(dst[i:], uint32(s))
	}
	down2Generic(dst[i:], r0[2*i:], r1[2*i:])
}

func probeSWAR(a, b []byte) uint64 {
	var s0, s1 uint64
	i := 0
	for ; i+16 <= len(a); i += 16 {
		s0 ^= binary.LittleEndian.Uint64(a[i:]) ^ binary.LittleEndian.Uint64(b[i:])
		s1 ^= binary.LittleEndian.Uint64(a[i+8:]) ^ binary.LittleEndian.Uint64(b[i+8:])
	}
	for ; i < len(a); i++ {
		s0 += uint64(a[i] ^ b[i])
	}
	return s0 ^ s1
}
