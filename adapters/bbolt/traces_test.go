package bbolt

import (
	"context"
	"testing"
	"time"

	"vigil/domain"
)

func TestScoreTraces(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openAt(t, dir)
	ev := newEvent(time.Unix(1000, 0), 7)
	if err := s.SaveEvent(ctx, &ev); err != nil {
		t.Fatal(err)
	}
	id := ev.ID
	if _, ok, err := s.Trace(ctx, id); ok || err != nil {
		t.Fatalf("trace before any: ok=%v err=%v", ok, err)
	}
	want := domain.ScoreTrace{Scores: []float32{0, 1.5, 7, 3}, Step: 2, PreRoll: 1, Threshold: 1.25}
	if err := s.SaveTrace(ctx, id, want); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTrace(ctx, "not-an-id", want); err == nil {
		t.Fatal("a bad event ID was accepted")
	}
	s.Close()
	s = openAt(t, dir) // survives a reopen
	got, ok, err := s.Trace(ctx, id)
	if !ok || err != nil || got.Step != 2 || got.PreRoll != 1 || got.Threshold != 1.25 || len(got.Scores) != 4 || got.Scores[2] != 7 {
		t.Fatalf("read back %+v ok=%v err=%v", got, ok, err)
	}
	if err := s.DeleteTrace(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Trace(ctx, id); ok {
		t.Fatal("trace outlived its delete")
	}
}
