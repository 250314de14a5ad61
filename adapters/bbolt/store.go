// Package bbolt is the edge's durable event store: an index of events and
// their snapshots, and the upload outbox, in one bbolt file; the snapshot
// files themselves in a disk.Dir.
//
// # Records
//
// Bucket "events": key = the event ID (26 bytes, so keys sort by start
// time), value = JSON of eventRecord (the event's fields, its snapshots
// with their uploaded time and the cloud's rejection when known, its
// faces). Bucket "outbox": key = 8-byte
// big-endian enqueue sequence, value = 8-byte big-endian due time (Unix
// nanoseconds, 0 = due now) followed by JSON of uploadRecord. Bucket
// "outbox_names": snapshot name → outbox key. Bucket "meta": "version" →
// the format version (1).
//
// # Crash safety
//
// AddSnapshot writes the file first (temporary file, fsync, rename, fsync
// of the directory), then in ONE transaction appends the snapshot to its
// event and queues its upload; if the transaction fails the file is
// removed. Removals (DeleteEvent, Prune) go the other way: files first,
// then the index. So a crash leaves at worst a file without an index entry
// or an index entry without its file, and Reconcile, run at start-up,
// repairs both.
package bbolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"vigil/adapters/disk"
	"vigil/domain"
	"vigil/ports"
)

const formatVersion = 1

var (
	bucketMeta        = []byte("meta")
	bucketEvents      = []byte("events")
	bucketOutbox      = []byte("outbox")
	bucketOutboxNames = []byte("outbox_names")
	keyVersion        = []byte("version")
)

// Options tune a Store. The zero value is fine.
type Options struct {
	// Timeout is how long Open waits for another process to let go of the
	// database file before it gives up (default 1 s).
	Timeout time.Duration
	// Now is the clock that stamps outbox entries (default time.Now).
	Now func() time.Time
}

// Store is the bbolt event store. Its methods are safe for concurrent use.
type Store struct {
	db    *bolt.DB
	files *disk.Dir
	now   func() time.Time
	free  func() (int64, error) // files.Free; tests fake a filling disk
	// indexHook, when set by a test, runs at the end of AddSnapshot's
	// transaction; its error aborts it.
	indexHook func() error

	// mu orders the steps that touch both the files and the index
	// (AddSnapshot, DeleteEvent, Prune, Reconcile), so that Reconcile never
	// sees a file that AddSnapshot is about to index.
	mu sync.Mutex

	closeOnce sync.Once
	closeErr  error
}

var (
	_ ports.EventStore      = (*Store)(nil)
	_ ports.RejectionMarker = (*Store)(nil)
)

// Open opens (creating it if needed) the database at dbPath, with the
// snapshot files in files. A database held by another process is an
// Unavailable error after opts.Timeout. Call Reconcile before recording.
func Open(dbPath string, files *disk.Dir, opts Options) (*Store, error) {
	if files == nil {
		return nil, domain.E("bbolt: open "+dbPath, domain.Invalid, errors.New("no snapshot directory"))
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	db, err := bolt.Open(dbPath, 0o600, &bolt.Options{Timeout: opts.Timeout, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, domain.E("bbolt: open "+dbPath, domain.Unavailable,
			fmt.Errorf("database locked by another process (waited %v): %w", opts.Timeout, err))
	}
	if err != nil {
		return nil, fmt.Errorf("bbolt: open %s: %w", dbPath, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketEvents, bucketOutbox, bucketOutboxNames} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if v := meta.Get(keyVersion); v != nil {
			if len(v) != 8 || binary.BigEndian.Uint64(v) != formatVersion {
				return fmt.Errorf("format version %x, this program reads %d", v, formatVersion)
			}
			return nil
		}
		return meta.Put(keyVersion, binary.BigEndian.AppendUint64(nil, formatVersion))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bbolt: open %s: %w", dbPath, err)
	}
	return &Store{db: db, files: files, now: opts.Now, free: files.Free}, nil
}

// Close closes the database; calling it again does nothing.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("bbolt: close: %w", err)
		}
	})
	return s.closeErr
}

// Files is the snapshot directory the store indexes (the UI and the
// uploader read the files from it).
func (s *Store) Files() *disk.Dir { return s.files }

// --- records -----------------------------------------------------------

type boxRecord struct {
	X0 float64 `json:"x0"`
	Y0 float64 `json:"y0"`
	X1 float64 `json:"x1"`
	Y1 float64 `json:"y1"`
}

type faceRecord struct {
	Box   boxRecord `json:"box"`
	Score float64   `json:"score"`
}

type snapshotRecord struct {
	Name     string    `json:"name"`
	Kind     string    `json:"kind,omitempty"`
	Frame    int64     `json:"frame"`
	Time     time.Time `json:"time,omitzero"`
	Bytes    int       `json:"bytes"`
	Uploaded time.Time `json:"uploaded,omitzero"`
	// Rejected and RejectReason: the cloud quarantined the file (added to
	// format 1 without a version change: older records lack them).
	Rejected     time.Time `json:"rejected,omitzero"`
	RejectReason string    `json:"reject_reason,omitempty"`
}

// eventRecord is an event as stored; its ID is the key.
type eventRecord struct {
	Start        time.Time        `json:"start"`
	End          time.Time        `json:"end,omitzero"`
	PeakScore    float64          `json:"peak_score"`
	PeakAt       time.Time        `json:"peak_at,omitzero"`
	BBox         boxRecord        `json:"bbox"`
	ChangedCells int              `json:"changed_cells"`
	Frames       int              `json:"frames"`
	Snapshots    []snapshotRecord `json:"snapshots,omitempty"`
	Faces        []faceRecord     `json:"faces,omitempty"`
}

func box(b domain.Box) boxRecord    { return boxRecord(b) }
func (b boxRecord) box() domain.Box { return domain.Box(b) }

func snapRecord(s domain.Snapshot) snapshotRecord {
	return snapshotRecord{Name: s.Name, Kind: string(s.Kind), Frame: s.Frame, Time: s.Time, Bytes: s.Bytes, Uploaded: s.Uploaded,
		Rejected: s.Rejected, RejectReason: s.RejectReason}
}

func (r snapshotRecord) snapshot() domain.Snapshot {
	return domain.Snapshot{Kind: domain.SnapshotKind(r.Kind), Frame: r.Frame, Time: r.Time, Name: r.Name, Bytes: r.Bytes, Uploaded: r.Uploaded,
		Rejected: r.Rejected, RejectReason: r.RejectReason}
}

// record is ev without its snapshots.
func record(ev *domain.Event) eventRecord {
	r := eventRecord{Start: ev.Start, End: ev.End, PeakScore: ev.PeakScore, PeakAt: ev.PeakAt, BBox: box(ev.BBox),
		ChangedCells: ev.ChangedCells, Frames: ev.Frames}
	for _, f := range ev.Faces {
		r.Faces = append(r.Faces, faceRecord{Box: box(f.Box), Score: f.Score})
	}
	return r
}

func (r *eventRecord) event(id domain.EventID) domain.Event {
	ev := domain.Event{ID: id, Start: r.Start, End: r.End, PeakScore: r.PeakScore, PeakAt: r.PeakAt, BBox: r.BBox.box(),
		ChangedCells: r.ChangedCells, Frames: r.Frames}
	for _, s := range r.Snapshots {
		ev.Snapshots = append(ev.Snapshots, s.snapshot())
	}
	for _, f := range r.Faces {
		ev.Faces = append(ev.Faces, domain.Face{Box: f.Box.box(), Score: f.Score})
	}
	return ev
}

func (r *eventRecord) snapshot(name string) int {
	return slices.IndexFunc(r.Snapshots, func(s snapshotRecord) bool { return s.Name == name })
}

// getEvent reads an event's record; ok is false when there is none.
func getEvent(tx *bolt.Tx, id domain.EventID) (rec eventRecord, ok bool, err error) {
	v := tx.Bucket(bucketEvents).Get([]byte(id))
	if v == nil {
		return rec, false, nil
	}
	if err := json.Unmarshal(v, &rec); err != nil {
		return rec, false, fmt.Errorf("event %s: %w", id, err)
	}
	return rec, true, nil
}

func putEvent(tx *bolt.Tx, id domain.EventID, rec *eventRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketEvents).Put([]byte(id), v)
}

// --- events ------------------------------------------------------------

func notFound(op string, what string) error {
	return domain.E(op, domain.NotFound, errors.New(what))
}

// SaveEvent implements ports.EventStore: it creates or updates the event's
// record; the stored snapshots are kept whatever ev.Snapshots holds.
func (s *Store) SaveEvent(ctx context.Context, ev *domain.Event) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bbolt: save event %s: %w", ev.ID, err)
	}
	if _, err := domain.ParseEventID(string(ev.ID)); err != nil {
		return fmt.Errorf("bbolt: save event: %w", err)
	}
	rec := record(ev)
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, ok, err := getEvent(tx, ev.ID)
		if err != nil {
			return err
		}
		if ok {
			rec.Snapshots = old.Snapshots
		}
		return putEvent(tx, ev.ID, &rec)
	})
	if err != nil {
		return fmt.Errorf("bbolt: save event %s: %w", ev.ID, err)
	}
	return nil
}

// AddSnapshot implements ports.EventStore. snap.Name must be
// {ev.ID}-{n}.jpg (Invalid otherwise) and new (Conflict otherwise). The
// file is written first, then one transaction records the snapshot in its
// event (creating the record from ev if it is unknown) and queues its
// upload; on success snap, with Bytes set, is appended to ev.Snapshots.
func (s *Store) AddSnapshot(ctx context.Context, ev *domain.Event, snap domain.Snapshot, jpeg []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bbolt: add snapshot %s: %w", snap.Name, err)
	}
	id, _, err := disk.ParseName(snap.Name)
	if err != nil {
		return fmt.Errorf("bbolt: add snapshot: %w", err)
	}
	if id != ev.ID {
		return domain.E("bbolt: add snapshot "+snap.Name, domain.Invalid, fmt.Errorf("the name is not of event %s", ev.ID))
	}
	if len(jpeg) == 0 {
		return domain.E("bbolt: add snapshot "+snap.Name, domain.Invalid, errors.New("no bytes"))
	}
	snap.Bytes, snap.Uploaded = len(jpeg), time.Time{}

	s.mu.Lock()
	defer s.mu.Unlock()
	exists := errors.New("exists")
	err = s.db.View(func(tx *bolt.Tx) error {
		rec, _, err := getEvent(tx, ev.ID)
		if err == nil && rec.snapshot(snap.Name) >= 0 {
			err = exists
		}
		return err
	})
	if errors.Is(err, exists) {
		return domain.E("bbolt: add snapshot "+snap.Name, domain.Conflict, err)
	}
	if err != nil {
		return fmt.Errorf("bbolt: add snapshot %s: %w", snap.Name, err)
	}
	if err := s.files.Write(snap.Name, jpeg); err != nil {
		return fmt.Errorf("bbolt: add snapshot: %w", err)
	}
	now := s.now()
	err = s.db.Update(func(tx *bolt.Tx) error {
		rec, ok, err := getEvent(tx, ev.ID)
		if err != nil {
			return err
		}
		if !ok {
			rec = record(ev)
		}
		if rec.snapshot(snap.Name) >= 0 {
			return exists
		}
		rec.Snapshots = append(rec.Snapshots, snapRecord(snap))
		if err := putEvent(tx, ev.ID, &rec); err != nil {
			return err
		}
		if err := enqueue(tx, snap.Name, snap.Bytes, now); err != nil {
			return err
		}
		if s.indexHook != nil {
			return s.indexHook()
		}
		return nil
	})
	if err != nil {
		if rerr := s.files.Remove(snap.Name); rerr != nil {
			err = errors.Join(err, rerr) // Reconcile indexes the file at the next start
		}
		if errors.Is(err, exists) {
			return domain.E("bbolt: add snapshot "+snap.Name, domain.Conflict, err)
		}
		return fmt.Errorf("bbolt: add snapshot %s: %w", snap.Name, err)
	}
	ev.Snapshots = append(ev.Snapshots, snap)
	return nil
}

// Event returns a stored event with its snapshots (NotFound if unknown).
func (s *Store) Event(ctx context.Context, id domain.EventID) (domain.Event, error) {
	if err := ctx.Err(); err != nil {
		return domain.Event{}, fmt.Errorf("bbolt: event %s: %w", id, err)
	}
	if _, err := domain.ParseEventID(string(id)); err != nil {
		return domain.Event{}, fmt.Errorf("bbolt: event: %w", err)
	}
	var ev domain.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, ok, err := getEvent(tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("bbolt: event "+string(id), "no such event")
		}
		ev = rec.event(id)
		return nil
	})
	if err != nil {
		if domain.KindOf(err) == domain.NotFound {
			return domain.Event{}, err
		}
		return domain.Event{}, fmt.Errorf("bbolt: event %s: %w", id, err)
	}
	return ev, nil
}

// Events returns up to limit events, newest first, whose IDs sort before
// before (all when before is empty): pass the last ID of a page to get the
// next. When day is not zero only events that started on that calendar day
// (in day's location) are returned.
func (s *Store) Events(ctx context.Context, before domain.EventID, limit int, day time.Time) ([]domain.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bbolt: events: %w", err)
	}
	if limit <= 0 {
		return nil, domain.E("bbolt: events", domain.Invalid, fmt.Errorf("limit %d: want at least 1", limit))
	}
	var lo, hi []byte // keys in [lo, hi); nil: unbounded
	if before != "" {
		if _, err := domain.ParseEventID(string(before)); err != nil {
			return nil, fmt.Errorf("bbolt: events: %w", err)
		}
		hi = []byte(before)
	}
	if !day.IsZero() {
		start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, day.Location())
		lo = []byte(domain.NewEventID(start, [10]byte{}))
		end := []byte(domain.NewEventID(start.AddDate(0, 0, 1), [10]byte{}))
		if hi == nil || string(end) < string(hi) {
			hi = end
		}
	}
	var out []domain.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		var k, v []byte
		if hi == nil {
			k, v = c.Last()
		} else if k, _ = c.Seek(hi); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && len(out) < limit && (lo == nil || string(k) >= string(lo)); k, v = c.Prev() {
			var rec eventRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("event %s: %w", k, err)
			}
			out = append(out, rec.event(domain.EventID(k)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bbolt: events: %w", err)
	}
	return out, nil
}

// DeleteEvent removes an event: its files, then its record, outbox
// entries and score trace (NotFound if unknown).
func (s *Store) DeleteEvent(ctx context.Context, id domain.EventID) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bbolt: delete event %s: %w", id, err)
	}
	if _, err := domain.ParseEventID(string(id)); err != nil {
		return fmt.Errorf("bbolt: delete event: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var rec eventRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		r, ok, err := getEvent(tx, id)
		if err == nil && !ok {
			err = notFound("bbolt: delete event "+string(id), "no such event")
		}
		rec = r
		return err
	})
	if domain.KindOf(err) == domain.NotFound {
		return err
	}
	if err != nil {
		return fmt.Errorf("bbolt: delete event %s: %w", id, err)
	}
	for _, sn := range rec.Snapshots {
		if err := s.files.Remove(sn.Name); err != nil {
			return fmt.Errorf("bbolt: delete event %s: %w", id, err)
		}
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		// Read again: the uploader may have changed the record meanwhile.
		rec, _, err := getEvent(tx, id)
		if err != nil {
			return err
		}
		for _, sn := range rec.Snapshots {
			if err := dequeue(tx, sn.Name); err != nil {
				return err
			}
		}
		return deleteEvent(tx, id)
	})
	if err != nil {
		return fmt.Errorf("bbolt: delete event %s: %w", id, err)
	}
	return nil
}

// InUse reports whether another process holds the database at dbPath
// open (a running vigil-edge), waiting at most timeout for its lock. A
// missing database is not in use. It opens the file read-only and creates
// nothing.
func InUse(dbPath string, timeout time.Duration) (bool, error) {
	if _, err := os.Stat(dbPath); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("bbolt: %w", err)
	}
	db, err := bolt.Open(dbPath, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: true})
	if errors.Is(err, berrors.ErrTimeout) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("bbolt: open %s: %w", dbPath, err)
	}
	return false, db.Close()
}
