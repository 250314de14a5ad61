package domain

import (
	"errors"
	"fmt"
)

// MotionSettings are what a user tunes about motion detection. Sensitivity
// (1 = only large, strong changes … 10 = the smallest ones) maps to the
// lower-level thresholds below; each can be overridden (0 = derived).
//
// The analysis compares three frames: a pixel changed when it differs by
// more than PixelThreshold from both of the two frames before it. Leaves in
// the wind and sensor noise flicker back and forth, a moving body does not,
// so the three-frame rule keeps the body and drops most of the flicker.
//
// The derived values were chosen on the test clips (testdata/video) with a
// 32×24 grid over a ≤ 320 px wide analysis frame, see domain/motion.go's
// sensitivity table and app/edge's quality tests:
//
//	sensitivity      1   2   3   4   5   6   7   8   9  10
//	pixel threshold 65  60  55  50  45  40  35  30  25  20
//	cell percent    40  36  32  28  24  20  16  12   8   4
//	min cells       12   9   6   4   3   2   2   1   1   1
type MotionSettings struct {
	Sensitivity int
	// PixelThreshold: a pixel changed when its luma moved by more than this
	// (1..254) from both earlier frames. Derived: 70 − 5·s.
	PixelThreshold int
	// CellPercent: a cell changed when at least this percentage of its
	// watched pixels changed (despeckle). Derived: 44 − 4·s.
	CellPercent int
	// MinCells: a frame shows motion when at least this many cells changed.
	// Derived from the table above.
	MinCells int
	// LightPercent: when more than this percentage of the watched cells change
	// at once, the frame is a light change (a lamp, the sun, the camera's IR
	// switch), not motion. Default 60.
	LightPercent int
}

// DefaultMotionSettings are the settings of a new installation.
func DefaultMotionSettings() MotionSettings { return MotionSettings{Sensitivity: 6} }

// Validate reports every problem at once.
func (s MotionSettings) Validate() error {
	var errs []error
	if s.Sensitivity < 1 || s.Sensitivity > 10 {
		errs = append(errs, fmt.Errorf("sensitivity %d is outside 1..10", s.Sensitivity))
	}
	if s.PixelThreshold < 0 || s.PixelThreshold > 254 {
		errs = append(errs, fmt.Errorf("pixel threshold %d is outside 1..254", s.PixelThreshold))
	}
	if s.CellPercent < 0 || s.CellPercent > 100 {
		errs = append(errs, fmt.Errorf("cell percent %d is outside 1..100", s.CellPercent))
	}
	if s.MinCells < 0 {
		errs = append(errs, fmt.Errorf("min cells %d is negative", s.MinCells))
	}
	if s.LightPercent < 0 || s.LightPercent > 100 {
		errs = append(errs, fmt.Errorf("light percent %d is outside 1..100", s.LightPercent))
	}
	if len(errs) > 0 {
		return E("motion settings", Invalid, errors.Join(errs...))
	}
	return nil
}

// sensitivity clamps s.Sensitivity into 1..10 (Validate reports it).
func (s MotionSettings) sensitivity() int { return min(max(s.Sensitivity, 1), 10) }

// Threshold is the effective per-pixel threshold.
func (s MotionSettings) Threshold() int {
	if s.PixelThreshold > 0 {
		return s.PixelThreshold
	}
	return 70 - 5*s.sensitivity()
}

func (s MotionSettings) cellPercent() int {
	if s.CellPercent > 0 {
		return s.CellPercent
	}
	return 44 - 4*s.sensitivity()
}

var minCellsBySensitivity = [11]int{0, 12, 9, 6, 4, 3, 2, 2, 1, 1, 1}

func (s MotionSettings) minCells() int {
	if s.MinCells > 0 {
		return s.MinCells
	}
	return minCellsBySensitivity[s.sensitivity()]
}

func (s MotionSettings) lightPercent() int {
	if s.LightPercent > 0 {
		return s.LightPercent
	}
	return 60
}

// Verdict is what one analysed frame shows.
type Verdict int

const (
	Quiet       Verdict = iota // nothing worth noting
	Motion                     // enough cells changed
	LightChange                // too much changed at once: light, not motion
)

func (v Verdict) String() string {
	switch v {
	case Motion:
		return "motion"
	case LightChange:
		return "light"
	}
	return "quiet"
}

// FrameMotion is the rules' view of one frame.
type FrameMotion struct {
	Verdict      Verdict
	ChangedCells int
	WatchedCells int
	// Score is the percentage (0..100) of watched cells that changed.
	Score float64
}

// Classify applies the settings to one frame's per-cell change counts.
// cellArea holds the watched pixels of each cell (cells outside every
// region have 0 and never count).
func (s MotionSettings) Classify(cells, cellArea []int32) FrameMotion {
	if len(cells) != len(cellArea) {
		panic(fmt.Sprintf("domain: Classify: %d cells, %d areas", len(cells), len(cellArea)))
	}
	pct := int64(s.cellPercent())
	var m FrameMotion
	for i, n := range cells {
		area := int64(cellArea[i])
		if area == 0 {
			continue
		}
		m.WatchedCells++
		if int64(n)*100 >= pct*area && n > 0 {
			m.ChangedCells++
		}
	}
	if m.WatchedCells == 0 {
		return m
	}
	m.Score = 100 * float64(m.ChangedCells) / float64(m.WatchedCells)
	switch {
	case m.ChangedCells*100 > s.lightPercent()*m.WatchedCells:
		m.Verdict = LightChange
	case m.ChangedCells >= s.minCells():
		m.Verdict = Motion
	}
	return m
}
