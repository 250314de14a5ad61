package edge

import (
	"context"
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
	faces bool          // look for faces in still, inside the event's box
	final bool          // the event ended: its last update
}

// Alert is an alerter and when it fires.
type Alert struct {
	ports.Alerter
	// OnFace fires it only for events in which a face was seen (once the
	// peak frame was searched), instead of as soon as an event starts.
	OnFace bool
}

// Recorder stores events and their snapshots and sends alerts, off the
// capture goroutine: the Monitor hands it jobs through a bounded queue and
// never waits for a disk, an encoder or the network.
type Recorder struct {
	store   ports.EventStore
	alerts  []Alert
	faces   *vision.FaceDetector
	pad     float64
	dec     *vision.LumaDecoder
	luma    vision.Frame
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
	// Faces, when set, searches each event's peak frame for faces, inside
	// the event's motion box grown by Pad of its size on each side (default 0.25).
	Faces *vision.FaceDetector
	Pad   float64
}

// NewRecorder builds a Recorder; it starts nothing.
func NewRecorder(store ports.EventStore, alerts []Alert, cfg RecorderConfig, log *slog.Logger) *Recorder {
	if cfg.Queue <= 0 {
		cfg.Queue = 64
	}
	if cfg.Stills <= 0 {
		cfg.Stills = 12
	}
	if cfg.Quality <= 0 || cfg.Quality > 100 {
		cfg.Quality = 85
	}
	if cfg.Pad <= 0 {
		cfg.Pad = 0.25
	}
	r := &Recorder{store: store, alerts: alerts, faces: cfg.Faces, pad: cfg.Pad, dec: vision.NewLumaDecoder(0), log: log, jobs: make(chan recJob, cfg.Queue),
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
	alertsDone := make(chan struct{}, len(r.alerts)+1)
	pending := 0
	fire := func(a Alert, ev domain.Event) {
		pending++
		go func() { // alerts never hold up storage; their adapters retry
			defer func() { alertsDone <- struct{}{} }()
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if err := a.Alert(actx, ev); err != nil {
				r.log.Warn("alert failed", "event", ev.ID, "err", err)
			}
		}()
	}
	for j := range r.jobs {
		jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		ev, faces, err := r.do(jctx, j)
		cancel()
		if err != nil {
			r.log.Error("recording event", "event", j.ev.ID, "err", err)
		}
		for _, a := range r.alerts {
			if (j.alert && !a.OnFace) || (a.OnFace && faces > 0) {
				fire(a, ev)
			}
		}
		for pending > 0 && len(alertsDone) > 0 {
			<-alertsDone
			pending--
		}
	}
	for ; pending > 0; pending-- {
		<-alertsDone
	}
	return nil
}

// do applies a job and returns the event as stored and how many faces the
// job found.
func (r *Recorder) do(ctx context.Context, j recJob) (domain.Event, int, error) {
	defer r.release(j.still)
	ev := r.events[j.ev.ID]
	if ev == nil {
		ev = &domain.Event{}
		r.events[j.ev.ID] = ev
	}
	snaps, faces := ev.Snapshots, ev.Faces
	*ev = j.ev
	ev.Snapshots, ev.Faces = snaps, faces
	if j.final {
		defer delete(r.events, ev.ID)
	}
	found := 0
	if j.faces && r.faces != nil && j.still != nil {
		found = r.findFaces(ev, j.still)
	}
	if err := r.store.SaveEvent(ctx, ev); err != nil {
		return *ev, found, err
	}
	if j.still == nil || j.kind == "" {
		return *ev, found, nil
	}
	jpeg, err := j.still.AppendJPEG(nil, r.quality)
	if err != nil {
		return *ev, found, err
	}
	snap := domain.Snapshot{Kind: j.kind, Frame: j.still.Frame, Time: time.Now(),
		Name: domain.SnapshotName(ev.ID, len(ev.Snapshots)+1)}
	if j.kind == domain.FirstSnapshot {
		snap.Time = ev.Start
	} else if j.kind == domain.PeakSnapshot {
		snap.Time = ev.PeakAt
	} else if !ev.End.IsZero() {
		snap.Time = ev.End
	}
	err = r.store.AddSnapshot(ctx, ev, snap, jpeg)
	return *ev, found, err
}

// findFaces searches the still inside the event's padded motion box and
// records the faces on the event.
func (r *Recorder) findFaces(ev *domain.Event, s *vision.Still) int {
	if err := s.Luma(r.dec, &r.luma); err != nil {
		r.log.Warn("faces: cannot read the frame", "event", ev.ID, "err", err)
		return 0
	}
	w, h := float64(r.luma.Width), float64(r.luma.Height)
	b := ev.BBox
	if b.Empty() {
		b = domain.Box{X1: 1, Y1: 1}
	}
	pw, ph := (b.X1-b.X0)*r.pad, (b.Y1-b.Y0)*r.pad
	region := vision.Rect{X0: int((b.X0 - pw) * w), Y0: int((b.Y0 - ph) * h), X1: int((b.X1+pw)*w + 0.5), Y1: int((b.Y1+ph)*h + 0.5)}
	ev.Faces = ev.Faces[:0]
	for _, f := range r.faces.Detect(r.luma, region) {
		ev.Faces = append(ev.Faces, domain.Face{Score: f.Score, Box: domain.Box{
			X0: float64(f.Box.X0) / w, Y0: float64(f.Box.Y0) / h, X1: float64(f.Box.X1) / w, Y1: float64(f.Box.Y1) / h}})
	}
	return len(ev.Faces)
}
