package validator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"vigil/domain"
	"vigil/ports"
	"vigil/vision"
)

// Stores are the pipeline's dependencies outside the process.
type Stores struct {
	Uploads    ports.Uploads
	Quarantine ports.Quarantine
	Production ports.Production
	Directory  ports.Directory
	Index      ports.ImageIndex
	// Verdicts keeps each upload's one verdict; nil: Index, when it
	// implements ports.Verdicts too.
	Verdicts ports.Verdicts
}

func (s *Stores) check() error {
	if s.Verdicts == nil {
		s.Verdicts, _ = s.Index.(ports.Verdicts)
	}
	var missing []string
	if s.Uploads == nil {
		missing = append(missing, "uploads")
	}
	if s.Quarantine == nil {
		missing = append(missing, "quarantine")
	}
	if s.Production == nil {
		missing = append(missing, "production")
	}
	if s.Directory == nil {
		missing = append(missing, "directory")
	}
	if s.Index == nil {
		missing = append(missing, "image index")
	}
	if s.Verdicts == nil {
		missing = append(missing, "verdict")
	}
	if len(missing) > 0 {
		return domain.E("validator", domain.Invalid, fmt.Errorf("no %s store", strings.Join(missing, ", ")))
	}
	return nil
}

// Verdict is what became of one upload.
type Verdict string

const (
	Accepted  Verdict = "accepted"  // verified; clean copy, thumbnail and item in production
	Rejected  Verdict = "rejected"  // quarantined with a REJECT item
	Duplicate Verdict = "duplicate" // an earlier or concurrent delivery's verdict, followed
	Gone      Verdict = "gone"      // the upload object is not there (handled by an earlier delivery)
	Ignored   Verdict = "ignored"   // not an upload key: none of the validator's work
)

// Outcome is the result of handling one upload object.
type Outcome struct {
	Key     string
	Verdict Verdict
	Reason  domain.Reason
	Detail  string
	Bytes   int64
	Width   int
	Height  int
	Faces   int
	// Where the clean copy or the quarantined original went.
	ImageKey, ThumbKey, QuarantineKey string
}

// Pipeline is the validator's use case (DESIGN.md §4): for one upload
// object, parse its key → check its size → read it under a hard limit →
// inspect it → check the device and its license → find faces → record the
// verdict (only if none is) → record the image (only if absent) → put a
// clean copy and a thumbnail to production (only if absent) → delete the
// upload. Any failure to verify records a rejected verdict, quarantines the
// upload and records a REJECT item instead. Errors of the stores (down,
// refusing) are returned, never taken for a verdict, so the caller retries
// the event; every step is idempotent, so a retried or duplicated event
// yields one object and one item.
//
// Verdicts are exclusive and sticky: each upload has one verdict, recorded
// by a conditional write before any of its effects. A delivery first looks
// the verdict up and, when there is one, completes it instead of judging
// the upload again; of two deliveries judging at once (the event and the
// sweep, two retries), the one whose write loses follows the winner's
// verdict, whatever it found itself. So a redelivery after a partial
// failure or a concurrent delivery never flips the verdict, whatever
// changed meanwhile (the device revoked or restored, the license, a slower
// decode), and an upload ends in production or in quarantine, never both.
type Pipeline struct {
	s      Stores
	fd     *vision.FaceDetector
	limits domain.VerifyLimits
	now    func() time.Time
	log    *slog.Logger
}

// NewPipeline returns a pipeline over s. fd nil: no face detection; now nil:
// time.Now; log nil: no logs.
// s.Verdicts nil: s.Index, which must then implement ports.Verdicts.
func NewPipeline(s Stores, fd *vision.FaceDetector, limits domain.VerifyLimits, now func() time.Time, log *slog.Logger) (*Pipeline, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	limits = limits.WithDefaults()
	if err := limits.Validate(); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{s: s, fd: fd, limits: limits, now: now, log: log}, nil
}

// Limits are the limits the pipeline applies.
func (p *Pipeline) Limits() domain.VerifyLimits { return p.limits }

// timings are the durations of the pipeline's stages for the log.
type timings struct {
	start                        time.Time
	read, inspect, finish, store time.Duration
}

// Handle runs the pipeline for the upload object key and logs the outcome
// (one line: key, verdict, reason, durations). An error means the upload
// could not be handled now and the event must be retried.
func (p *Pipeline) Handle(ctx context.Context, key string) (Outcome, error) {
	t := timings{start: time.Now()}
	o, err := p.handle(ctx, key, &t)
	attrs := []slog.Attr{
		slog.String("key", truncate(key, 300)),
		slog.Duration("read", t.read), slog.Duration("inspect", t.inspect),
		slog.Duration("faces_encode", t.finish), slog.Duration("store", t.store),
		slog.Duration("total", time.Since(t.start)),
	}
	if err != nil {
		p.log.LogAttrs(ctx, slog.LevelError, "upload not handled; to be retried", append(attrs, slog.String("error", err.Error()))...)
		return o, err
	}
	attrs = append(attrs, slog.String("verdict", string(o.Verdict)))
	if o.Reason != "" {
		attrs = append(attrs, slog.String("reason", string(o.Reason)), slog.String("detail", truncate(o.Detail, 300)))
	}
	if o.Bytes > 0 {
		attrs = append(attrs, slog.Int64("bytes", o.Bytes))
	}
	if o.Width > 0 {
		attrs = append(attrs, slog.Int("width", o.Width), slog.Int("height", o.Height), slog.Int("faces", o.Faces))
	}
	level := slog.LevelInfo
	if o.Verdict == Rejected {
		level = slog.LevelWarn
	}
	p.log.LogAttrs(ctx, level, "upload handled", attrs...)
	return o, nil
}

func (p *Pipeline) handle(ctx context.Context, key string, t *timings) (Outcome, error) {
	o := Outcome{Key: key}
	if !strings.HasPrefix(key, UploadPrefix) {
		o.Verdict = Ignored
		return o, nil
	}
	k, err := ParseUploadKey(key)
	if err != nil {
		return p.reject(ctx, o, k, domain.BadKey, err.Error(), nil, t)
	}

	start := time.Now()
	size, err := p.s.Uploads.Size(ctx, key)
	if domain.KindOf(err) == domain.NotFound {
		o.Verdict = Gone
		return o, nil
	}
	if err != nil {
		return o, fmt.Errorf("validator: size of %s: %w", key, err)
	}
	o.Bytes = size
	rec, found, err := p.s.Verdicts.Verdict(ctx, k.AccountID, k.DeviceID, k.ID())
	if err != nil {
		return o, fmt.Errorf("validator: verdict of %s: %w", key, err)
	}
	if found {
		return p.follow(ctx, o, k, rec, t)
	}
	if size == 0 { // nothing to read (a ranged GET of it is an error)
		return p.reject(ctx, o, k, domain.EmptyFile, "no bytes", nil, t)
	}
	if size > p.limits.MaxBytes {
		t.read = time.Since(start)
		return p.reject(ctx, o, k, domain.TooLarge, fmt.Sprintf("%d bytes, the limit is %d", size, p.limits.MaxBytes), nil, t)
	}
	data, err := p.s.Uploads.Read(ctx, key, p.limits.MaxBytes)
	t.read = time.Since(start)
	if domain.KindOf(err) == domain.NotFound {
		o.Verdict = Gone
		return o, nil
	}
	if err != nil {
		return o, fmt.Errorf("validator: read %s: %w", key, err)
	}
	o.Bytes = int64(len(data))

	start = time.Now()
	v, img, err := verify(ctx, data, p.limits)
	t.inspect = time.Since(start)
	if err != nil { // busy: no verdict
		return o, fmt.Errorf("validator: inspect %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil { // a too_slow verdict may be ours, not the file's
		return o, fmt.Errorf("validator: inspect %s: %w", key, err)
	}
	o.Width, o.Height = v.Width, v.Height
	if img == nil {
		return p.reject(ctx, o, k, v.Reason, v.Detail, data, t)
	}

	standing, err := p.s.Directory.Standing(ctx, k.AccountID, k.DeviceID)
	switch {
	case domain.KindOf(err) == domain.NotFound:
		return p.reject(ctx, o, k, domain.UnknownDevice, "no such device in the account", data, t)
	case err != nil:
		return o, fmt.Errorf("validator: standing of %s: %w", k.DeviceID, err)
	}
	now := p.now()
	if r := standing.Check(now); r != "" {
		detail := "the device was revoked"
		if r == domain.LicenseInactive {
			detail = "the account's license is " + standing.License.Status(now)
		}
		return p.reject(ctx, o, k, r, detail, data, t)
	}

	start = time.Now()
	v, clean := finish(v, img, p.fd)
	t.finish = time.Since(start)
	if !v.Accepted {
		return p.reject(ctx, o, k, v.Reason, v.Detail, data, t)
	}
	o.Faces = len(v.Faces)

	sum := sha256.Sum256(data)
	verdict := domain.UploadVerdict{AccountID: k.AccountID, DeviceID: k.DeviceID, ID: k.ID(), Accepted: true,
		SourceKey: key, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), At: now.UTC()}
	// The verdict is recorded first: a delivery that fails after this
	// point is completed by the next one, never judged again.
	start = time.Now()
	rec, won, err := p.s.Verdicts.Settle(ctx, verdict)
	t.store = time.Since(start)
	if err != nil {
		return o, fmt.Errorf("validator: record the verdict on %s: %w", key, err)
	}
	if !won {
		if !rec.Accepted { // a concurrent delivery rejected it first
			return p.follow(ctx, o, k, rec, t)
		}
		o.Verdict = Duplicate
	} else {
		o.Verdict = Accepted
	}
	return p.accepted(ctx, o, k, rec, v, clean, t)
}

// accepted completes the accept of verdict: it records the image (only if
// absent) and publishes the clean copy and its thumbnail. v is the
// inspection's verdict, with its faces.
func (p *Pipeline) accepted(ctx context.Context, o Outcome, k UploadKey, verdict domain.UploadVerdict, v domain.ImageVerdict, clean Clean, t *timings) (Outcome, error) {
	start := time.Now()
	defer func() { t.store += time.Since(start) }()
	o.Width, o.Height, o.Faces = v.Width, v.Height, len(v.Faces)
	o.ImageKey, o.ThumbKey = k.ImageKey(), k.ThumbKey()
	rec := domain.ImageRecord{
		AccountID: k.AccountID, DeviceID: k.DeviceID, ID: k.ID(), EventID: string(k.EventID),
		TakenAt: k.EventID.Time().UTC(), VerifiedAt: verdict.At.UTC(),
		Key: o.ImageKey, ThumbKey: o.ThumbKey, SourceKey: o.Key,
		Bytes: int64(len(clean.JPEG)), Width: v.Width, Height: v.Height,
		SHA256: verdict.SHA256, Faces: v.Faces,
	}
	// A Conflict is an earlier delivery's item, of the same verdict.
	if err := p.s.Index.PutImage(ctx, rec); err != nil && domain.KindOf(err) != domain.Conflict {
		return o, fmt.Errorf("validator: record %s: %w", o.Key, err)
	}
	return o, p.publish(ctx, o, clean)
}

// publish puts the clean copy and the thumbnail to production (each only
// if absent) and deletes the upload.
func (p *Pipeline) publish(ctx context.Context, o Outcome, clean Clean) error {
	for _, put := range []struct {
		key  string
		body []byte
	}{{o.ImageKey, clean.JPEG}, {o.ThumbKey, clean.Thumb}} {
		// A Conflict is an earlier delivery's copy: the same bytes.
		if err := p.s.Production.PutNew(ctx, put.key, "image/jpeg", put.body); err != nil && domain.KindOf(err) != domain.Conflict {
			return fmt.Errorf("validator: put %s: %w", put.key, err)
		}
	}
	if err := p.s.Uploads.Delete(ctx, o.Key); err != nil {
		return fmt.Errorf("validator: delete %s: %w", o.Key, err)
	}
	return nil
}

// follow completes the verdict an earlier or concurrent delivery recorded
// for the upload: an accept verifies the upload again only to make its
// clean copy and find its faces (the device's standing is not asked
// again); failing to is an error, retried: the verdict is accepted, for
// good. A reject quarantines the upload and records why.
func (p *Pipeline) follow(ctx context.Context, o Outcome, k UploadKey, verdict domain.UploadVerdict, t *timings) (Outcome, error) {
	if !verdict.Accepted {
		o, err := p.rejected(ctx, o, verdict, t)
		if o.Verdict != Gone {
			o.Verdict = Duplicate
		}
		return o, err
	}
	o.Verdict = Duplicate
	start := time.Now()
	data, err := p.s.Uploads.Read(ctx, o.Key, p.limits.MaxBytes)
	t.read += time.Since(start)
	if domain.KindOf(err) == domain.NotFound {
		o.Verdict = Gone
		return o, nil
	}
	if err != nil {
		return o, fmt.Errorf("validator: read %s: %w", o.Key, err)
	}
	start = time.Now()
	v, img, err := verify(ctx, data, p.limits)
	t.inspect += time.Since(start)
	if err == nil && img == nil {
		err = fmt.Errorf("verifying it again found %s (%s)", v.Reason, v.Detail)
	}
	if err != nil {
		return o, fmt.Errorf("validator: %s is recorded as accepted, but: %w; retried", o.Key, err)
	}
	start = time.Now()
	v, clean := finish(v, img, p.fd)
	t.finish += time.Since(start)
	if !v.Accepted {
		return o, fmt.Errorf("validator: %s is recorded as accepted, but remaking its clean copy found %s (%s); retried", o.Key, v.Reason, v.Detail)
	}
	return p.accepted(ctx, o, k, verdict, v, clean, t)
}

// rejected completes the reject of verdict: it quarantines the upload (a
// copy, the same bytes on every delivery), records the rejection (only if
// absent) and deletes the upload.
func (p *Pipeline) rejected(ctx context.Context, o Outcome, verdict domain.UploadVerdict, t *timings) (Outcome, error) {
	start := time.Now()
	defer func() { t.store += time.Since(start) }()
	o.Reason, o.Detail = verdict.Reason, verdict.Detail
	qkey, err := p.s.Quarantine.Quarantine(ctx, o.Key)
	if domain.KindOf(err) == domain.NotFound {
		o.Verdict = Gone // another delivery completed it
		return o, nil
	}
	if err != nil {
		return o, fmt.Errorf("validator: quarantine %s: %w", o.Key, err)
	}
	o.QuarantineKey = qkey
	rej := domain.Rejection{
		AccountID: verdict.AccountID, DeviceID: verdict.DeviceID, ID: verdict.ID,
		SourceKey: o.Key, QuarantineKey: qkey, Reason: verdict.Reason, Detail: verdict.Detail,
		Bytes: verdict.Bytes, SHA256: verdict.SHA256, RejectedAt: verdict.At.UTC(),
	}
	// A Conflict is an earlier delivery's item, of the same verdict.
	if err := p.s.Index.PutRejection(ctx, rej); err != nil && domain.KindOf(err) != domain.Conflict {
		return o, fmt.Errorf("validator: record rejection of %s: %w", o.Key, err)
	}
	if err := p.s.Uploads.Delete(ctx, o.Key); err != nil {
		return o, fmt.Errorf("validator: delete %s: %w", o.Key, err)
	}
	return o, nil
}

// reject records a rejected verdict on the upload and completes it; a
// verdict recorded first by a concurrent delivery is followed instead. k is
// the parsed key (its zero value when the key did not parse); data the
// bytes read, if any.
func (p *Pipeline) reject(ctx context.Context, o Outcome, k UploadKey, r domain.Reason, detail string, data []byte, t *timings) (Outcome, error) {
	verdict := domain.UploadVerdict{AccountID: k.AccountID, DeviceID: k.DeviceID, ID: k.ID(), Reason: r,
		Detail: truncate(detail, 500), SourceKey: o.Key, Bytes: o.Bytes, At: p.now().UTC()}
	if k.Name == "" {
		verdict.ID = keyID(o.Key)
		// A key that did not parse may still name a valid account: file
		// the rejection there (otherwise the index keeps it apart, for the
		// operator).
		if parts := strings.SplitN(strings.TrimPrefix(o.Key, UploadPrefix), "/", 3); domain.ValidAccountID(parts[0]) {
			verdict.AccountID = parts[0]
			if len(parts) > 1 && domain.ValidDeviceID(parts[1]) {
				verdict.DeviceID = parts[1]
			}
		}
	}
	if data != nil {
		sum := sha256.Sum256(data)
		verdict.SHA256 = hex.EncodeToString(sum[:])
	}
	start := time.Now()
	rec, won, err := p.s.Verdicts.Settle(ctx, verdict)
	t.store += time.Since(start)
	if err != nil {
		return o, fmt.Errorf("validator: record the verdict on %s: %w", o.Key, err)
	}
	if !won {
		return p.follow(ctx, o, k, rec, t)
	}
	o.Verdict = Rejected
	return p.rejected(ctx, o, rec, t)
}
