package domain

// MinChangedCells is the effective number of changed cells that makes a
// frame show motion (MinCells, or the value derived from Sensitivity). The
// live view draws it as the threshold line of the score chart.
func (s MotionSettings) MinChangedCells() int { return s.minCells() }

// ScoreTrace is an event's score over time, for its chart: one point per
// Step frames (the highest score among them), starting PreRoll points
// before the event did.
type ScoreTrace struct {
	Scores    []float32 // percent of watched cells changed
	Step      int
	PreRoll   int
	Threshold float32 // the score at which a frame shows motion
}
