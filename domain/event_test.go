package domain

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)

// feed observes verdicts at 10 fps and returns the changes.
func feed(tr *Tracker, from time.Time, vs ...Verdict) []Change {
	var out []Change
	for i, v := range vs {
		out = append(out, tr.Observe(from.Add(time.Duration(i)*100*time.Millisecond), v, true))
	}
	return out
}

func rep(v Verdict, n int) []Verdict { return slices.Repeat([]Verdict{v}, n) }

func TestTrackerStartsAfterNFramesAndEndsAfterTheGap(t *testing.T) {
	tr, err := NewTracker(EventRules{StartFrames: 3, QuietGap: time.Second, Cooldown: 2 * time.Second, MaxLength: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// Two motion frames, a quiet one, then three: the event starts on the third of those.
	got := feed(tr, t0, Motion, Motion, Quiet, Motion, Motion, Motion, Motion)
	want := []Change{NoChange, NoChange, NoChange, NoChange, NoChange, Started, Continues}
	if !slices.Equal(got, want) {
		t.Fatalf("start: %v, want %v", got, want)
	}
	// The last motion was at 0.6 s: quiet until 1.5 s keeps it, at 1.6 s it ends.
	got = feed(tr, t0.Add(700*time.Millisecond), rep(Quiet, 10)...)
	if got[8] != Continues || got[9] != Ended || tr.Active() {
		t.Fatalf("end: %v", got)
	}
	// Cooldown: motion within 2 s of the end starts nothing.
	end := t0.Add(1600 * time.Millisecond)
	got = feed(tr, end.Add(100*time.Millisecond), rep(Motion, 5)...)
	if slices.Contains(got, Started) {
		t.Fatalf("started during cooldown: %v", got)
	}
	got = feed(tr, end.Add(2*time.Second), rep(Motion, 3)...)
	if got[0] != Started {
		t.Fatalf("after cooldown: %v", got) // the run of motion frames carried on
	}
}

func TestTrackerIgnoresLightAndDisarmed(t *testing.T) {
	tr, _ := NewTracker(DefaultEventRules())
	got := feed(tr, t0, Motion, Motion, LightChange, Motion, Motion, LightChange, LightChange, LightChange)
	if slices.Contains(got, Started) {
		t.Fatalf("light changes made an event: %v", got)
	}
	for i := 0; i < 10; i++ {
		if tr.Observe(t0.Add(time.Duration(i)*time.Second), Motion, false) != NoChange {
			t.Fatal("disarmed frame started an event")
		}
	}
}

func TestTrackerSplitsLongEvents(t *testing.T) {
	tr, _ := NewTracker(EventRules{StartFrames: 1, QuietGap: time.Second, Cooldown: time.Minute, MaxLength: 10 * time.Second})
	var starts, ends int
	for i := 0; i < 250; i++ { // 25 s of motion
		switch tr.Observe(t0.Add(time.Duration(i)*100*time.Millisecond), Motion, true) {
		case Started:
			starts++
		case Ended:
			ends++
		}
	}
	if starts != 3 || ends != 2 {
		t.Fatalf("%d starts, %d ends in 25 s of motion with 10 s events; want 3 and 2", starts, ends)
	}
}

func TestEventRulesValidation(t *testing.T) {
	err := EventRules{StartFrames: 0, QuietGap: -1, Cooldown: -1, MaxLength: -5}.Validate()
	if KindOf(err) != Invalid {
		t.Fatal(err)
	}
	for _, want := range []string{"start frames", "quiet gap", "cooldown", "max length"} {
		if !contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if err := DefaultEventRules().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSchedule(t *testing.T) {
	s := &Schedule{}
	s.Days[time.Saturday] = []Window{{22 * 60, 24 * 60}}
	s.Days[time.Sunday] = []Window{{0, 7 * 60}}
	sat := time.Date(2026, 11, 28, 23, 30, 0, 0, time.UTC) // a Saturday
	if !s.Armed(sat) || s.Armed(sat.Add(-2*time.Hour)) || !s.Armed(sat.Add(2*time.Hour)) || s.Armed(sat.Add(8*time.Hour)) {
		t.Error("Armed wrong around Saturday night")
	}
	var none *Schedule
	if !none.Armed(sat) || !AlwaysArmed().Armed(sat) || none.Validate() != nil {
		t.Error("nil / always schedules")
	}
	s.Days[time.Monday] = []Window{{600, 500}, {0, 1441}}
	if err := s.Validate(); KindOf(err) != Invalid || !contains(err.Error(), "Monday window 0") || !contains(err.Error(), "Monday window 1") {
		t.Errorf("validate: %v", err)
	}
}

func TestEventIDSortsByTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	var ids []EventID
	for i := 0; i < 200; i++ {
		var e [10]byte
		for j := range e {
			e[j] = byte(r.Uint32())
		}
		at := t0.Add(time.Duration(r.IntN(1e6)) * time.Millisecond)
		id := NewEventID(at, e)
		if len(id) != 26 || !id.Time().Equal(at) {
			t.Fatalf("%s: time %v, want %v", id, id.Time(), at)
		}
		if p, err := ParseEventID(string(id)); err != nil || p != id {
			t.Fatalf("ParseEventID(%s): %v", id, err)
		}
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b EventID) int { return a.Time().Compare(b.Time()) })
	if !slices.IsSortedFunc(ids, func(a, b EventID) int {
		if a.Time().Equal(b.Time()) {
			return 0
		}
		if a < b {
			return -1
		}
		return 1
	}) {
		t.Fatal("text order differs from time order")
	}
	for _, bad := range []string{"", "01JDZ2F7QH4M8RS0XK3V9TB6W", "01JDZ2F7QH4M8RS0XK3V9TB6WU", "../../etc/passwd_________", "81JDZ2F7QH4M8RS0XK3V9TB6WA"} {
		if _, err := ParseEventID(bad); err == nil {
			t.Errorf("ParseEventID(%q) accepted", bad)
		}
	}
}

func TestThrottle(t *testing.T) {
	th := Throttle{MinGap: 10 * time.Second}
	got := []bool{th.Allow(t0), th.Allow(t0.Add(time.Second)), th.Allow(t0.Add(9 * time.Second)), th.Allow(t0.Add(10 * time.Second)), th.Allow(t0.Add(11 * time.Second))}
	if !slices.Equal(got, []bool{true, false, false, true, false}) {
		t.Fatalf("Allow = %v", got)
	}
}

func TestBackoff(t *testing.T) {
	got := []time.Duration{Backoff(0, time.Second, time.Minute), Backoff(1, time.Second, time.Minute), Backoff(3, time.Second, time.Minute), Backoff(20, time.Second, time.Minute)}
	if !slices.Equal(got, []time.Duration{time.Second, time.Second, 4 * time.Second, time.Minute}) {
		t.Fatalf("Backoff = %v", got)
	}
}
