package vision

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// An Impl is one complete set of pixel kernels: the per-pixel Go reference
// ("generic"), eight pixels per uint64 in Go ("swar"), or Go assembly
// ("sse2", "avx2", "neon"). Every Impl computes exactly the same results; they
// differ only in speed. The best one this CPU can run is chosen at start-up
// and can be overridden by name (see Use).
type Impl struct {
	name string
	// cpu reports whether this CPU can run the implementation.
	cpu func() bool

	// diff2 is the band kernel of the fused two-frame difference. For rows
	// r in [0, rows) and columns x in [x0, x1), where the mask byte
	// m[r*sm+x] is 0xFF (mask bytes are 0 or 0xFF) and
	// |a[r*sa+x] - b[r*sb+x]| > thr, it increments acc[x] (a wrapping byte
	// counter: the caller flushes acc long before 255 rows) and marks row r
	// as changed. It returns the changed rows as a bitmask (bit r).
	// 1 <= rows <= 64; 0 <= x0 < x1; 0 <= thr <= 254; the caller has checked
	// every bound, so kernels may skip bounds checks, and no kernel reads or
	// writes outside the columns [x0, x1) of those rows.
	//
	// The window is the same for every row of a call: the kernels run the
	// same loop trip counts row after row (which the branch predictor
	// learns), test whole blocks of pixels for any change before counting,
	// and read the mask only where something changed.
	diff2 func(a, b, m []byte, sa, sb, sm, x0, x1, rows, thr int, acc []byte) uint64
	// diff3 is the three-frame rule: pixel x of the current frame c counts
	// only if it differs by more than thr from both earlier frames a and b.
	diff3 func(a, b, c, m []byte, sa, sb, sc, sm, x0, x1, rows, thr int, acc []byte) uint64
	// yuyv writes the luma bytes of packed YUYV src (Y0 U Y1 V ...) into dst:
	// dst[i] = src[2*i] for i < len(dst); len(src) >= 2*len(dst).
	yuyv func(dst, src []byte)
	// down2 averages 2×2 blocks of two source rows r0, r1:
	// dst[i] = (r0[2i] + r0[2i+1] + r1[2i] + r1[2i+1] + 2) >> 2;
	// len(r0), len(r1) >= 2*len(dst).
	down2 func(dst, r0, r1 []byte)
	// probe reads every byte of a and b (len(a) == len(b)) as fast as this
	// CPU can and folds them into a value: the read ceiling the kernels are
	// measured against.
	probe func(a, b []byte) uint64
}

// Name is the implementation's name: generic, swar, sse2, avx2 or neon.
func (k *Impl) Name() string { return k.name }

func (k *Impl) String() string { return k.name }

// all lists every implementation compiled into this binary, slowest first.
var all = append([]*Impl{genericImpl, swarImpl}, archImpls()...)

var active atomic.Pointer[Impl]

func init() { active.Store(best()) }

func best() *Impl {
	k := all[0]
	for _, c := range all {
		if c.cpu() {
			k = c
		}
	}
	return k
}

// Impls returns the implementations this CPU can run, slowest first.
func Impls() []*Impl {
	var out []*Impl
	for _, k := range all {
		if k.cpu() {
			out = append(out, k)
		}
	}
	return out
}

// Lookup returns the implementation with the given name, or an error naming
// the ones this CPU can run.
func Lookup(name string) (*Impl, error) {
	for _, k := range all {
		if k.name == name {
			if !k.cpu() {
				return nil, fmt.Errorf("vision: kernel %q is not supported by this CPU (have %s)", name, implNames())
			}
			return k, nil
		}
	}
	return nil, fmt.Errorf("vision: unknown kernel %q (have %s)", name, implNames())
}

func implNames() string {
	var names []string
	for _, k := range Impls() {
		names = append(names, k.name)
	}
	return strings.Join(names, ", ")
}

// Active returns the implementation used by the package-level functions and
// by Differs built without an explicit Impl.
func Active() *Impl { return active.Load() }

// Use makes the named implementation the active one; "" or "auto" restores
// the best one for this CPU. Programs call it once at start-up (vigil-edge
// reads VIGIL_KERNEL); tests and benchmarks pass an Impl explicitly instead.
func Use(name string) error {
	if name == "" || name == "auto" {
		active.Store(best())
		return nil
	}
	k, err := Lookup(name)
	if err != nil {
		return err
	}
	active.Store(k)
	return nil
}
