package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// UploaderConfig tunes an Uploader. The zero value is fine.
type UploaderConfig struct {
	// Workers is how many uploads run at once (default 2).
	Workers int
	// Batch is how many due entries are taken from the outbox at a time
	// (default 16).
	Batch int
	// Poll is how often the outbox is looked at for entries that came due
	// (default 1 s); Wake looks at once.
	Poll time.Duration
	// Base and Limit bound the back-off after a failed attempt: Base after
	// the first, doubling up to Limit (defaults 2 s and 10 min), of which a
	// random half to all is waited (half jitter).
	Base, Limit time.Duration
	// Timeout bounds one attempt: the grant and the PUT (default 1 min).
	Timeout time.Duration
	// Now is the clock (default time.Now); Jitter turns a back-off into the
	// wait (default a uniform draw from [d/2, d]). Tests set both.
	Now    func() time.Time
	Jitter func(d time.Duration) time.Duration
	// Notify, when set, is woken after each snapshot the object store took
	// (a CloudWatch then asks the cloud for its verdict).
	Notify Waker
}

// UploaderStatus is what the UI shows of the uploader (the queue length
// comes from the store).
type UploaderStatus struct {
	Uploaded    int       // snapshots the cloud accepted since the start
	Dropped     int       // entries dropped because their snapshot was deleted
	Failures    int       // failed attempts since the start
	LastUpload  time.Time // zero: none yet
	LastError   string    // the last failure, "" when none
	LastErrorAt time.Time
	// HeldUntil is set while the cloud or the object store is down (or
	// refuses the device): no upload starts before it.
	HeldUntil time.Time
}

// Uploader empties the outbox: for each due snapshot it reads the file,
// asks the cloud for a grant for that one object, PUTs the bytes with it,
// and marks the snapshot uploaded once the object store answered 2xx. A
// failed attempt leaves the entry queued, due again after an exponential
// back-off with jitter; a snapshot whose file retention deleted meanwhile
// leaves the queue. Every attempt gets a new grant: grants are short-lived
// and never reused. While the cloud or the object store is unreachable
// (or refuses the device) the whole uploader holds off, with the same
// back-off, instead of trying every entry. It runs off the capture path:
// nothing the Recorder does waits for it.
type Uploader struct {
	outbox  ports.Outbox
	files   ports.SnapshotReader
	granter ports.UploadGranter
	putter  ports.ObjectPutter
	cfg     UploaderConfig
	log     *slog.Logger
	wake    chan struct{}

	mu      sync.Mutex
	status  UploaderStatus
	down    int       // consecutive attempts that found the target down
	logged  time.Time // when a failure was last logged
	muted   int       // failures not logged since
	failing bool      // the last attempt failed (to log the recovery once)
}

// NewUploader builds an Uploader; it starts nothing.
func NewUploader(outbox ports.Outbox, files ports.SnapshotReader, granter ports.UploadGranter, putter ports.ObjectPutter,
	cfg UploaderConfig, log *slog.Logger) *Uploader {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 16
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Base <= 0 {
		cfg.Base = 2 * time.Second
	}
	if cfg.Limit <= 0 {
		cfg.Limit = 10 * time.Minute
	}
	cfg.Limit = max(cfg.Limit, cfg.Base)
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Jitter == nil {
		cfg.Jitter = halfJitter
	}
	return &Uploader{outbox: outbox, files: files, granter: granter, putter: putter, cfg: cfg, log: log,
		wake: make(chan struct{}, 1)}
}

// halfJitter is a uniform draw from [d/2, d].
func halfJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d-d/2+1)
}

// Wake makes the uploader look at the outbox now (a snapshot was just
// queued). It never blocks.
func (u *Uploader) Wake() {
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// Status returns the uploader's figures.
func (u *Uploader) Status() UploaderStatus {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.status
}

// Run uploads until ctx ends. Uploads in flight then are cancelled and
// their entries stay queued as they were. It returns nil: failures are
// logged and retried, never passed up (they must not stop capture).
func (u *Uploader) Run(ctx context.Context) error {
	work := make(chan domain.Upload)
	done := make(chan string, u.cfg.Workers) // a worker sends at most one after the loop stops reading
	var wg sync.WaitGroup
	for range u.cfg.Workers {
		wg.Go(func() {
			for it := range work {
				u.attempt(ctx, it)
				done <- it.Name
			}
		})
	}
	defer wg.Wait()
	defer close(work)

	poll := time.NewTicker(u.cfg.Poll)
	defer poll.Stop()
	busy := map[string]bool{} // names being uploaded
	var next []domain.Upload  // due entries taken from the outbox, not started yet
	for {
		next = u.dispatch(ctx, work, busy, next)
		select {
		case <-ctx.Done():
			return nil
		case name := <-done:
			delete(busy, name)
		case <-u.wake:
		case <-poll.C:
		}
	}
}

// dispatch starts uploads while a worker is free, taking due entries from
// the outbox when next runs out; it returns the entries it did not start.
func (u *Uploader) dispatch(ctx context.Context, work chan<- domain.Upload, busy map[string]bool, next []domain.Upload) []domain.Upload {
	for len(busy) < u.cfg.Workers && ctx.Err() == nil {
		now := u.cfg.Now()
		if now.Before(u.Status().HeldUntil) {
			return nil // taken again, fresh, once the hold ends
		}
		if len(next) == 0 {
			ups, err := u.outbox.Pending(ctx, now, u.cfg.Batch+len(busy))
			if err != nil {
				if ctx.Err() == nil {
					u.failed(fmt.Errorf("outbox: %w", err), false, now)
				}
				return nil
			}
			for _, it := range ups {
				if !busy[it.Name] {
					next = append(next, it)
				}
			}
			if len(next) == 0 {
				return nil
			}
		}
		it := next[0]
		next = next[1:]
		if busy[it.Name] {
			continue
		}
		select {
		case work <- it:
			busy[it.Name] = true
		case <-ctx.Done():
		}
	}
	return next
}

// attempt uploads one snapshot and records the outcome in the outbox.
func (u *Uploader) attempt(ctx context.Context, it domain.Upload) {
	key, err := u.send(ctx, it)
	if err != nil && ctx.Err() != nil {
		return // shutting down: the entry stays as it was
	}
	// The outcome is recorded even when ctx ends meanwhile: an object that
	// arrived must not be sent again after a restart.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := u.cfg.Now()
	var se *stepError // every error of send is one
	errors.As(err, &se)
	kind := domain.KindOf(err)
	switch {
	case err == nil, se.step == "grant" && kind == domain.Conflict:
		// Sent; or the cloud holds it already: an earlier attempt arrived
		// but its answer was lost.
		if u.settle(rctx, it, now) {
			u.uploaded(it.Name, key, now)
		}
	case se.step == "read" && kind == domain.NotFound:
		// The file is gone (retention): nothing is left to send.
		if u.settle(rctx, it, now) {
			u.mu.Lock()
			u.status.Dropped++
			u.mu.Unlock()
			u.log.Info("upload dropped: the snapshot was deleted", "name", it.Name)
		}
	default:
		if ferr := u.outbox.Failed(rctx, it.Name, now.Add(u.backoff(it.Attempts+1)), err.Error()); ferr != nil && domain.KindOf(ferr) != domain.NotFound {
			err = fmt.Errorf("%w (and recording the failure: %v)", err, ferr)
		}
		u.failed(err, targetDown(err), now)
	}
}

// settle takes a finished entry out of the outbox. Uploaded is the
// outbox's one way to let go of an entry; its NotFound means the entry
// went already, with its snapshot (retention). When it cannot be recorded
// the entry is tried again (sent again, to the same key) after a back-off
// rather than at once.
func (u *Uploader) settle(ctx context.Context, it domain.Upload, now time.Time) bool {
	err := u.outbox.Uploaded(ctx, it.Name, now)
	if err == nil || domain.KindOf(err) == domain.NotFound {
		return true
	}
	_ = u.outbox.Failed(ctx, it.Name, now.Add(u.backoff(it.Attempts+1)), "done, but not recorded: "+err.Error())
	u.failed(fmt.Errorf("upload %s: done, but not recorded: %w", it.Name, err), false, now)
	return false
}

// backoff is the wait after n failures: exponential, with jitter.
func (u *Uploader) backoff(n int) time.Duration {
	return u.cfg.Jitter(domain.Backoff(n, u.cfg.Base, u.cfg.Limit))
}

// send reads, grants and puts one snapshot; key is the object key once a
// grant was given. Its errors are *stepError.
func (u *Uploader) send(ctx context.Context, it domain.Upload) (key string, err error) {
	body, err := u.files.Read(it.Name)
	if err != nil {
		return "", &stepError{step: "read", err: fmt.Errorf("upload %s: %w", it.Name, err)}
	}
	it.Bytes = len(body) // the grant is for what is sent
	ctx, cancel := context.WithTimeout(ctx, u.cfg.Timeout)
	defer cancel()
	g, err := u.granter.Grant(ctx, it)
	if err != nil {
		return "", &stepError{step: "grant", err: fmt.Errorf("upload %s: %w", it.Name, err)}
	}
	key = g.Key
	if key == "" {
		key = it.Name
	}
	if err := u.putter.Put(ctx, g, body); err != nil {
		return key, &stepError{step: "put", err: fmt.Errorf("upload %s: %w", it.Name, err)}
	}
	return key, nil
}

// stepError says which step of an attempt failed.
type stepError struct {
	step string // "read", "grant" or "put"
	err  error
}

func (e *stepError) Error() string { return e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

// targetDown reports whether a failure is the whole target's rather than
// the snapshot's, so that every upload would fail alike: the cloud or the
// object store unreachable, or the cloud refusing the device (bad secret,
// no license) or answering nonsense. Only a grant refused as Invalid is
// the snapshot's own; a PUT's 403 is its grant's (expired, say), and the
// next attempt has a new one.
func targetDown(err error) bool {
	var se *stepError
	if !errors.As(err, &se) {
		return false
	}
	kind := domain.KindOf(err)
	switch se.step {
	case "grant":
		return kind != domain.Invalid
	case "put":
		return kind == domain.Unavailable
	}
	return false
}

func (u *Uploader) uploaded(name, key string, now time.Time) {
	u.mu.Lock()
	u.status.Uploaded++
	u.status.LastUpload = now
	u.down = 0
	u.status.HeldUntil = time.Time{}
	recovered := u.failing
	u.failing = false
	u.mu.Unlock()
	if recovered {
		u.log.Info("uploads resumed", "key", key)
	}
	u.log.Debug("uploaded", "name", name, "key", key)
	if u.cfg.Notify != nil {
		u.cfg.Notify.Wake()
	}
}

// failed records a failure for the status and logs it, at most once a
// minute (with the number of failures not logged since). When down, the
// whole uploader holds off.
func (u *Uploader) failed(err error, down bool, now time.Time) {
	u.mu.Lock()
	u.status.Failures++
	u.status.LastError, u.status.LastErrorAt = err.Error(), now
	u.failing = true
	if down {
		u.down++
		hold := now.Add(u.backoff(u.down))
		if hold.After(u.status.HeldUntil) {
			u.status.HeldUntil = hold
		}
	}
	log := u.logged.IsZero() || now.Sub(u.logged) >= time.Minute || now.Before(u.logged)
	muted := u.muted
	if log {
		u.logged, u.muted = now, 0
	} else {
		u.muted++
	}
	held := u.status.HeldUntil
	u.mu.Unlock()
	if log {
		args := []any{"err", err, "kind", domain.KindOf(err)}
		if muted > 0 {
			args = append(args, "failures_not_logged", muted)
		}
		if held.After(now) {
			args = append(args, "held_for", held.Sub(now).Round(time.Millisecond))
		}
		u.log.Warn("upload failed", args...)
	}
}

// Waker is woken after each stored snapshot: the Uploader (new snapshots
// go out at once instead of at the next poll) and Retention (the quota
// holds between its periods).
type Waker interface{ Wake() }

// WakeOnSnapshot wraps store so that every snapshot it stores wakes ws.
func WakeOnSnapshot(store ports.EventStore, ws ...Waker) ports.EventStore {
	return wakingStore{store, ws}
}

type wakingStore struct {
	ports.EventStore
	ws []Waker
}

func (w wakingStore) AddSnapshot(ctx context.Context, ev *domain.Event, snap domain.Snapshot, jpeg []byte) error {
	err := w.EventStore.AddSnapshot(ctx, ev, snap, jpeg)
	if err == nil {
		for _, x := range w.ws {
			x.Wake()
		}
	}
	return err
}
