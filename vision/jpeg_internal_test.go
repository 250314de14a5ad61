package vision

import (
	"math"
	"math/rand/v2"
	"testing"
)

// floatIDCT is the textbook 8×8 IDCT, +128, unclamped.
func floatIDCT(blk *[64]int32) (px [64]float64) {
	c := func(u int) float64 {
		if u == 0 {
			return math.Sqrt2 / 2
		}
		return 1
	}
	for y := range 8 {
		for x := range 8 {
			s := 0.0
			for v := range 8 {
				for u := range 8 {
					s += c(u) * c(v) * float64(blk[v*8+u]) *
						math.Cos(float64(2*x+1)*float64(u)*math.Pi/16) * math.Cos(float64(2*y+1)*float64(v)*math.Pi/16)
				}
			}
			px[y*8+x] = s/4 + 128
		}
	}
	return px
}

func randBlock(r *rand.Rand, blk *[64]int32, amp int) {
	*blk = [64]int32{}
	blk[0] = int32(r.IntN(2*amp*4) - amp*4)
	for i := 1; i < 64; i++ {
		if r.IntN(3) == 0 {
			a := amp / (1 + i/4)
			blk[i] = int32(r.IntN(2*a+1) - a)
		}
	}
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
			randBlock(r, &blk, 200)
			ref := floatIDCT(&blk)
			b := blk
			switch scale {
			case 1:
				idct8(&b, out[:], 8)
			case 2:
				idct4(&b, out[:], 8)
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
