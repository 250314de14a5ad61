package vision

import (
	_ "embed"
	"fmt"
	"sync"

	pigo "github.com/esimov/pigo/core"
)

// The pigo face cascade (MIT, see cascade/LICENSE), built into every binary
// so the edge and the validator need no file beside them.
//
//go:embed cascade/facefinder
var facefinder []byte

var (
	cascadeOnce sync.Once
	cascade     *pigo.Pigo
	cascadeErr  error
)

// FaceOptions tune face detection. Zero values take the defaults.
type FaceOptions struct {
	// MinSize and MaxSize bound the face size in pixels (defaults 24 and
	// the smaller side of the searched region).
	MinSize, MaxSize int
	// Shift is the step of the search window as a fraction of its size
	// (default 0.1); Scale the growth of the window between passes (1.1).
	Shift, Scale float64
	// IoU merges overlapping detections in pigo's clustering (default 0.2).
	IoU float64
	// Overlap drops a detection when more than this fraction of its box
	// lies inside a stronger one (default 0.3): pigo reports one face as
	// two nested boxes, or a weak false hit on the chin below a face.
	Overlap float64
	// MinScore drops weaker detections. Default 11: pigo scores the faces of
	// real camera frames from about 40 to several hundred and its false hits
	// (a chin, a shirt) up to about 10.5; a weakly lit portrait scores 7–10
	// and needs a lower setting, at the price of false hits.
	MinScore float64
}

// Face is a detected face: its box in frame pixels and pigo's score.
type Face struct {
	Box   Rect
	Score float64
}

// FaceDetector finds faces in luma frames with pigo. It is safe for
// concurrent use: the unpacked cascade is shared and read-only.
type FaceDetector struct {
	o FaceOptions
	p *pigo.Pigo
}

// NewFaceDetector unpacks the embedded cascade (once per process).
func NewFaceDetector(o FaceOptions) (*FaceDetector, error) {
	cascadeOnce.Do(func() { cascade, cascadeErr = pigo.NewPigo().Unpack(facefinder) })
	if cascadeErr != nil {
		return nil, fmt.Errorf("vision: face cascade: %w", cascadeErr)
	}
	if o.MinSize <= 0 {
		o.MinSize = 24
	}
	if o.Shift <= 0 {
		o.Shift = 0.1
	}
	if o.Scale <= 1 {
		o.Scale = 1.1
	}
	if o.IoU <= 0 {
		o.IoU = 0.2
	}
	if o.Overlap <= 0 {
		o.Overlap = 0.3
	}
	if o.MinScore <= 0 {
		o.MinScore = 11
	}
	return &FaceDetector{o: o, p: cascade}, nil
}

// Detect finds faces inside region of f (an empty region searches the
// whole frame). Boxes are in f's pixel coordinates, strongest first.
func (d *FaceDetector) Detect(f Frame, region Rect) []Face {
	f.check("faces")
	if region.Empty() {
		region = Rect{0, 0, f.Width, f.Height}
	}
	region = region.Intersect(Rect{0, 0, f.Width, f.Height})
	maxSize := d.o.MaxSize
	if side := min(region.Dx(), region.Dy()); maxSize <= 0 || maxSize > side {
		maxSize = side
	}
	if region.Empty() || maxSize < d.o.MinSize {
		return nil
	}
	sub := f.Sub(region)
	dets := d.p.RunCascade(pigo.CascadeParams{
		MinSize: d.o.MinSize, MaxSize: maxSize, ShiftFactor: d.o.Shift, ScaleFactor: d.o.Scale,
		ImageParams: pigo.ImageParams{Pixels: sub.Pix, Rows: sub.Height, Cols: sub.Width, Dim: sub.Stride},
	}, 0)
	dets = d.p.ClusterDetections(dets, d.o.IoU)
	var out []Face
	for _, det := range dets {
		if float64(det.Q) < d.o.MinScore {
			continue
		}
		h := det.Scale / 2
		box := Rect{region.X0 + det.Col - h, region.Y0 + det.Row - h, region.X0 + det.Col + h, region.Y0 + det.Row + h}
		out = append(out, Face{Box: box.Intersect(region), Score: float64(det.Q)})
	}
	for i := 1; i < len(out); i++ { // strongest first (few faces: insertion sort)
		for j := i; j > 0 && out[j].Score > out[j-1].Score; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	kept := out[:0]
	for _, f := range out {
		if !overlapsStronger(f, kept, d.o.Overlap) {
			kept = append(kept, f)
		}
	}
	out = kept
	return out
}

// overlapsStronger reports whether more than frac of f's area lies inside
// one of the (stronger) faces already kept.
func overlapsStronger(f Face, kept []Face, frac float64) bool {
	area := float64(f.Box.Dx() * f.Box.Dy())
	for _, k := range kept {
		in := f.Box.Intersect(k.Box)
		if !in.Empty() && float64(in.Dx()*in.Dy()) > frac*area {
			return true
		}
	}
	return false
}
