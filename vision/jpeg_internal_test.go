package vision

import (
	"math"
	"math/rand/v2"
	"testing"
)

// basis[x][u] = C(u)/2 · cos((2x+1)uπ/16), the 1-D IDCT basis.
var basis = func() (b [8][8]float64) {
	for x := range 8 {
		for u := range 8 {
			b[x][u] = math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) / 2
			if u == 0 {
				b[x][u] *= math.Sqrt2 / 2
			}
		}
	}
	return b
}()

// floatIDCT is the textbook 8×8 IDCT, +128, unclamped.
func floatIDCT(blk *[64]int32) (px [64]float64) {
	var tmp [64]float64 // rows transformed
	for v := range 8 {
		for x := range 8 {
			s := 0.0
			for u := range 8 {
				s += float64(blk[v*8+u]) * basis[x][u]
			}
			tmp[v*8+x] = s
		}
	}
	for x := range 8 {
		for y := range 8 {
			s := 0.0
			for v := range 8 {
				s += tmp[v*8+x] * basis[y][v]
			}
			px[y*8+x] = s + 128
		}
	}
	return px
}

// randBlock fills blk with random coefficients at the zigzag positions
// below a random k, which it returns (as decodeAC would).
func randBlock(r *rand.Rand, blk *[64]int32, amp int) int {
	*blk = [64]int32{}
	blk[0] = int32(r.IntN(2*amp*4) - amp*4)
	k := 1 + r.IntN(64)
	for i := 1; i < k; i++ {
		if r.IntN(3) == 0 || i == k-1 {
			a := amp / (1 + i/4)
			blk[zigzag[i]] = int32(r.IntN(2*a+1) - a)
		}
	}
	return k
}

func TestIDCTs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var blk [64]int32
	var out [64]byte
	for _, scale := range []int{1, 2, 4} {
		var worst float64
		var sumErr float64
		n := 0
		for range 2000 {
			k := randBlock(r, &blk, 200)
			ref := floatIDCT(&blk)
			b := blk
			switch scale {
			case 1:
				idct8(&b, k, out[:], 8)
			case 2:
				idct4(&b, k, out[:], 8)
			case 4:
				idct2(&b, out[:], 8)
			}
			m := 8 / scale
			for oy := range m {
				for ox := range m {
					s := 0.0
					for y := oy * scale; y < oy*scale+scale; y++ {
						for x := ox * scale; x < ox*scale+scale; x++ {
							s += ref[y*8+x]
						}
					}
					want := math.Min(255, math.Max(0, s/float64(scale*scale)))
					e := math.Abs(float64(out[oy*8+ox]) - want)
					worst = max(worst, e)
					sumErr += e
					n++
				}
			}
		}
		t.Logf("scale 1/%d: max error %.3f, mean %.3f", scale, worst, sumErr/float64(n))
		if worst > 1 {
			t.Errorf("scale 1/%d: max error %.3f against the float IDCT", scale, worst)
		}
	}
}
