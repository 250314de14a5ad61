package edge

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"vigil/domain"
	"vigil/ports"
	"vigil/vision"
)

// recJob is one piece of work for the Recorder: an update of an event's
// record, with a frame to store as one of its snapshots.
type recJob struct {
	ev    domain.Event // the event's fields as the Monitor sees them (no snapshots)
	kind  domain.SnapshotKind
	still *vision.Still // nil: metadata only
	alert bool          // tell the alerters (the event just started)
}

// Recorder stores events and their snapshots and sends alerts, off the
// capture goroutine: the Monitor hands it jobs through a bounded queue and
// never waits for a disk, an encoder or the network.
type Recorder struct {
	store   ports.EventStore
	alerts  []ports.Alerter
	log     *slog.Logger
	jobs    chan recJob
	free    chan *vision.Still
	quality int
	events  map[domain.EventID]*domain.Event
}

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	// Queue is how many jobs may wait (default 64); Stills is how many
	// frames may be held at once, waiting or in use (default 12).
	Queue, Stills int
	// Quality of JPEGs the Recorder encodes (sources without JPEG); default 85.
	Quality int
}

// NewRecorder builds a Recorder; it starts nothing.
func NewRecorder(store ports.EventStore, alerts []ports.Alerter, cfg RecorderConfig, log *slog.Logger) *Recorder {
	if cfg.Queue <= 0 {
		cfg.Queue = 64
	}
	if cfg.Stills <= 0 {
		cfg.Stills = 12
	}
	if cfg.Quality <= 0 || cfg.Quality > 100 {
		cfg.Quality = 85
	}
	r := &Recorder{store: store, alerts: alerts, log: log, jobs: make(chan recJob, cfg.Queue),
		free: make(chan *vision.Still, cfg.Stills), quality: cfg.Quality, events: map[domain.EventID]*domain.Event{}}
	for range cfg.Stills {
		r.free <- new(vision.Still)
	}
	return r
}

// still takes a free frame buffer, or nil when all are busy.
func (r *Recorder) still() *vision.Still {
	select {
	case s := <-r.free:
		s.Reset()
		return s
	default:
		return nil
	}
}

func (r *Recorder) release(s *vision.Still) {
	if s != nil {
		r.free <- s
	}
}

// submit queues a job without blocking; it reports false (and releases
// the job's frame) when the queue is full.
func (r *Recorder) submit(j recJob) bool {
	select {
	case r.jobs <- j:
		return true
	default:
		r.release(j.still)
		return false
	}
}

// close ends the queue: Run returns once it has done what was queued.
func (r *Recorder) close() { close(r.jobs) }

// Run does the queued jobs until the Monitor closes the queue. Storage
// keeps going after ctx ends so the last event is closed properly; each
// job gets at most a minute.
func (r *Recorder) Run(ctx context.Context) error {
	var alertsDone = make(chan struct{}, len(r.alerts))
	pending := 0
	for j := range r.jobs {
		jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		if err := r.do(jctx, j); err != nil {
			r.log.Error("recording event", "event", j.ev.ID, "err", err)
		}
		cancel()
		if j.alert {
			for _, a := range r.alerts {
				pending++
				go func() { // alerts never hold up storage; their adapters retry
					defer func() { alertsDone <- struct{}{} }()
					actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
					defer cancel()
					if err := a.Alert(actx, j.ev); err != nil {
						r.log.Warn("alert failed", "event", j.ev.ID, "err", err)
					}
				}()
			}
		}
		for len(alertsDone) > 0 {
			<-alertsDone
			pending--
		}
	}
	for ; pending > 0; pending-- {
		<-alertsDone
	}
	return nil
}

func (r *Recorder) do(ctx context.Context, j recJob) error {
	defer r.release(j.still)
	ev := r.events[j.ev.ID]
	if ev == nil {
		ev = &domain.Event{}
		r.events[j.ev.ID] = ev
	}
	snaps := ev.Snapshots
	*ev = j.ev
	ev.Snapshots = snaps
	if !ev.Running() {
		defer delete(r.events, ev.ID)
	}
	if err := r.store.SaveEvent(ctx, ev); err != nil {
		return err
	}
	if j.still == nil {
		return nil
	}
	jpeg, err := j.still.AppendJPEG(nil, r.quality)
	if err != nil {
		return err
	}
	snap := domain.Snapshot{Kind: j.kind, Frame: j.still.Frame, Time: time.Now(),
		Name: fmt.Sprintf("%s-%d.jpg", ev.ID, len(ev.Snapshots)+1)}
	if j.kind == domain.FirstSnapshot {
		snap.Time = ev.Start
	} else if j.kind == domain.PeakSnapshot {
		snap.Time = ev.PeakAt
	} else if !ev.End.IsZero() {
		snap.Time = ev.End
	}
	return r.store.AddSnapshot(ctx, ev, snap, jpeg)
}
