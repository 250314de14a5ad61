package domain

// MinChangedCells is the effective number of changed cells that makes a
// frame show motion (MinCells, or the value derived from Sensitivity). The
// live view draws it as the threshold line of the score chart.
func (s MotionSettings) MinChangedCells() int { return s.minCells() }
