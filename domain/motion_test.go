package domain

import (
	"errors"
	"testing"
)

func TestSensitivityMapping(t *testing.T) {
	for _, c := range []struct{ s, thr, pct, cells int }{{1, 65, 40, 12}, {6, 40, 20, 2}, {10, 20, 4, 1}} {
		m := MotionSettings{Sensitivity: c.s}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		if m.Threshold() != c.thr || m.cellPercent() != c.pct || m.minCells() != c.cells {
			t.Errorf("sensitivity %d: %d %d %d, want %d %d %d", c.s, m.Threshold(), m.cellPercent(), m.minCells(), c.thr, c.pct, c.cells)
		}
	}
	// A higher sensitivity never makes any threshold stricter.
	for s := 2; s <= 10; s++ {
		a, b := MotionSettings{Sensitivity: s - 1}, MotionSettings{Sensitivity: s}
		if b.Threshold() >= a.Threshold() || b.cellPercent() >= a.cellPercent() || b.minCells() > a.minCells() {
			t.Errorf("sensitivity %d is not more sensitive than %d", s, s-1)
		}
	}
	if got := (MotionSettings{Sensitivity: 3, PixelThreshold: 9}).Threshold(); got != 9 {
		t.Errorf("override threshold = %d", got)
	}
}

func TestValidateReportsEverything(t *testing.T) {
	err := MotionSettings{Sensitivity: 11, PixelThreshold: 300, CellPercent: -1, LightPercent: 101}.Validate()
	if KindOf(err) != Invalid {
		t.Fatalf("kind %v, want invalid", KindOf(err))
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal("not a domain error")
	}
	for _, want := range []string{"sensitivity 11", "pixel threshold 300", "cell percent -1", "light percent 101"} {
		if !contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if KindOf(errors.New("x")) != Internal || Unavailable.String() != "unavailable" {
		t.Error("KindOf/String")
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestClassify(t *testing.T) {
	s := MotionSettings{Sensitivity: 6} // 20 % of a cell, 2 cells, light above 60 %
	area := []int32{100, 100, 100, 100, 100, 100, 100, 100, 100, 0}
	cases := []struct {
		name  string
		cells []int32
		want  Verdict
		n     int
	}{
		{"quiet", []int32{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Quiet, 0},
		{"specks", []int32{19, 19, 19, 19, 19, 19, 19, 19, 19, 0}, Quiet, 0},
		{"one cell", []int32{20, 19, 0, 0, 0, 0, 0, 0, 0, 0}, Quiet, 1},
		{"two cells", []int32{20, 90, 19, 0, 0, 0, 0, 0, 0, 0}, Motion, 2},
		{"unwatched cell ignored", []int32{90, 0, 0, 0, 0, 0, 0, 0, 0, 99}, Quiet, 1},
		{"light", []int32{50, 50, 50, 50, 50, 50, 0, 0, 0, 0}, LightChange, 6},
	}
	for _, c := range cases {
		got := s.Classify(c.cells, area)
		if got.Verdict != c.want || got.ChangedCells != c.n || got.WatchedCells != 9 {
			t.Errorf("%s: %+v, want %v with %d cells", c.name, got, c.want, c.n)
		}
	}
}
