package inmem

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// Tenants is an in-memory twin of vigil-cloud's table (adapters/dynamodb):
// accounts, users, licenses with seats, devices, images and rejections,
// sessions and rate counters, with the same conditions and errors. Safe for
// concurrent use; the zero value is ready.
type Tenants struct {
	mu         sync.Mutex
	accounts   map[string]domain.Account
	users      map[string]domain.User
	licenses   map[string]domain.License // by account
	keys       map[string]string         // key hash → account
	devices    map[string]domain.Device  // by device ID
	images     map[string]map[string]domain.ImageRecord
	rejections map[string]map[string]domain.Rejection
	sessions   map[string]domain.Session
	rates      map[string]int
}

var (
	_ ports.Accounts    = (*Tenants)(nil)
	_ ports.Licenses    = (*Tenants)(nil)
	_ ports.Seats       = (*Tenants)(nil)
	_ ports.Devices     = (*Tenants)(nil)
	_ ports.Gallery     = (*Tenants)(nil)
	_ ports.Sessions    = (*Tenants)(nil)
	_ ports.RateLimiter = (*Tenants)(nil)
	_ ports.ImageIndex  = (*Tenants)(nil)
	_ ports.Directory   = (*Tenants)(nil)
)

func (s *Tenants) lock() func() {
	s.mu.Lock()
	if s.accounts == nil {
		s.accounts, s.users, s.licenses, s.keys = map[string]domain.Account{}, map[string]domain.User{}, map[string]domain.License{}, map[string]string{}
		s.devices, s.sessions, s.rates = map[string]domain.Device{}, map[string]domain.Session{}, map[string]int{}
		s.images, s.rejections = map[string]map[string]domain.ImageRecord{}, map[string]map[string]domain.Rejection{}
	}
	return s.mu.Unlock
}

func badAccount(op, id string) error {
	if !domain.ValidAccountID(id) {
		return domain.E(op, domain.Invalid, fmt.Errorf("account %q: want acct_<ULID>", id))
	}
	return nil
}

func badDevice(op, id string) error {
	if !domain.ValidDeviceID(id) {
		return domain.E(op, domain.Invalid, fmt.Errorf("device %q: want dev_<ULID>", id))
	}
	return nil
}

// CreateAccount implements ports.Accounts.
func (s *Tenants) CreateAccount(ctx context.Context, a domain.Account, u domain.User) error {
	const op = "inmem: create account"
	if err := badAccount(op, a.ID); err != nil {
		return err
	}
	if u.AccountID != a.ID || u.Email == "" || u.PasswordHash == "" {
		return domain.E(op, domain.Invalid, errors.New("the user must belong to the account and have an e-mail and a password hash"))
	}
	defer s.lock()()
	if _, ok := s.users[u.Email]; ok {
		return domain.E(op, domain.Conflict, fmt.Errorf("%s has an account already", u.Email))
	}
	if _, ok := s.accounts[a.ID]; ok {
		return domain.E(op, domain.Conflict, fmt.Errorf("account %s exists already", a.ID))
	}
	s.users[u.Email], s.accounts[a.ID] = u, a
	return nil
}

// Account implements ports.Accounts.
func (s *Tenants) Account(ctx context.Context, id string) (domain.Account, error) {
	if err := badAccount("inmem: account", id); err != nil {
		return domain.Account{}, err
	}
	defer s.lock()()
	a, ok := s.accounts[id]
	if !ok {
		return a, domain.E("inmem: account", domain.NotFound, fmt.Errorf("no account %s", id))
	}
	return a, nil
}

// User implements ports.Accounts.
func (s *Tenants) User(ctx context.Context, email string) (domain.User, error) {
	defer s.lock()()
	u, ok := s.users[email]
	if !ok {
		return u, domain.E("inmem: user", domain.NotFound, errors.New("no such user"))
	}
	return u, nil
}

// IssueLicense implements ports.Licenses.
func (s *Tenants) IssueLicense(ctx context.Context, l domain.License) error {
	const op = "inmem: issue license"
	if err := badAccount(op, l.AccountID); err != nil {
		return err
	}
	defer s.lock()()
	if _, ok := s.accounts[l.AccountID]; !ok {
		return domain.E(op, domain.NotFound, fmt.Errorf("no account %s", l.AccountID))
	}
	if _, ok := s.keys[l.KeyHash]; ok {
		return domain.E(op, domain.Conflict, errors.New("the key is in use"))
	}
	old, had := s.licenses[l.AccountID]
	if had && old.SeatsUsed > l.Seats {
		return domain.E(op, domain.Conflict, fmt.Errorf("%d seats are in use, more than the %d of the new license: revoke devices first", old.SeatsUsed, l.Seats))
	}
	l.SeatsUsed, l.State = old.SeatsUsed, domain.LicenseActive
	s.licenses[l.AccountID], s.keys[l.KeyHash] = l, l.AccountID
	if had && old.KeyHash != l.KeyHash {
		delete(s.keys, old.KeyHash)
	}
	return nil
}

// SetLicenseState implements ports.Licenses.
func (s *Tenants) SetLicenseState(ctx context.Context, acct string, state domain.LicenseState) error {
	const op = "inmem: license state"
	if err := badAccount(op, acct); err != nil {
		return err
	}
	if state != domain.LicenseActive && state != domain.LicenseSuspended {
		return domain.E(op, domain.Invalid, fmt.Errorf("state %q: want active or suspended", state))
	}
	defer s.lock()()
	l, ok := s.licenses[acct]
	if !ok {
		return domain.E(op, domain.NotFound, fmt.Errorf("account %s has no license", acct))
	}
	l.State = state
	s.licenses[acct] = l
	return nil
}

// License implements ports.Licenses.
func (s *Tenants) License(ctx context.Context, acct string) (domain.License, error) {
	if err := badAccount("inmem: license", acct); err != nil {
		return domain.License{}, err
	}
	defer s.lock()()
	l, ok := s.licenses[acct]
	if !ok {
		return l, domain.E("inmem: license", domain.NotFound, fmt.Errorf("account %s has no license", acct))
	}
	return l, nil
}

// LicenseByKey implements ports.Seats.
func (s *Tenants) LicenseByKey(ctx context.Context, keyHash string) (domain.License, error) {
	defer s.lock()()
	acct, ok := s.keys[keyHash]
	if !ok {
		return domain.License{}, domain.E("inmem: license key", domain.Unauthorized, errors.New("unknown license key"))
	}
	return s.licenses[acct], nil
}

// Enroll implements ports.Seats.
func (s *Tenants) Enroll(ctx context.Context, d domain.Device, keyHash string, now time.Time) error {
	const op = "inmem: enroll"
	if err := badAccount(op, d.AccountID); err != nil {
		return err
	}
	if err := badDevice(op, d.ID); err != nil {
		return err
	}
	defer s.lock()()
	l, ok := s.licenses[d.AccountID]
	if !ok {
		return domain.E(op, domain.NotFound, fmt.Errorf("account %s has no license", d.AccountID))
	}
	if l.KeyHash != keyHash {
		return domain.E(op, domain.Unauthorized, errors.New("unknown license key"))
	}
	if err := l.CanEnroll(now); err != nil {
		return err
	}
	if _, ok := s.devices[d.ID]; ok {
		return domain.E(op, domain.Conflict, fmt.Errorf("device %s exists already", d.ID))
	}
	l.SeatsUsed++
	s.licenses[d.AccountID], s.devices[d.ID] = l, d
	return nil
}

// Revoke implements ports.Seats.
func (s *Tenants) Revoke(ctx context.Context, acct, dev string, now time.Time) error {
	const op = "inmem: revoke"
	if err := badAccount(op, acct); err != nil {
		return err
	}
	if err := badDevice(op, dev); err != nil {
		return err
	}
	defer s.lock()()
	d, ok := s.devices[dev]
	if !ok || d.AccountID != acct {
		return domain.E(op, domain.NotFound, fmt.Errorf("no device %s", dev))
	}
	if d.Revoked {
		return nil
	}
	d.Revoked, d.RevokedAt = true, now
	s.devices[dev] = d
	if l, ok := s.licenses[acct]; ok && l.SeatsUsed > 0 {
		l.SeatsUsed--
		s.licenses[acct] = l
	}
	return nil
}

// Device implements ports.Devices.
func (s *Tenants) Device(ctx context.Context, acct, dev string) (domain.Device, error) {
	if err := badAccount("inmem: device", acct); err != nil {
		return domain.Device{}, err
	}
	if err := badDevice("inmem: device", dev); err != nil {
		return domain.Device{}, err
	}
	defer s.lock()()
	d, ok := s.devices[dev]
	if !ok || d.AccountID != acct {
		return domain.Device{}, domain.E("inmem: device", domain.NotFound, fmt.Errorf("no device %s", dev))
	}
	return d, nil
}

// Standing implements ports.Directory.
func (s *Tenants) Standing(ctx context.Context, acct, dev string) (domain.Standing, error) {
	d, err := s.Device(ctx, acct, dev)
	if err != nil {
		return domain.Standing{}, err
	}
	l, err := s.License(ctx, acct)
	if err != nil {
		return domain.Standing{}, err
	}
	return domain.Standing{Device: d, License: l}, nil
}

// DeviceByID implements ports.Devices.
func (s *Tenants) DeviceByID(ctx context.Context, dev string) (domain.Device, error) {
	if err := badDevice("inmem: device", dev); err != nil {
		return domain.Device{}, err
	}
	defer s.lock()()
	d, ok := s.devices[dev]
	if !ok {
		return domain.Device{}, domain.E("inmem: device", domain.NotFound, fmt.Errorf("no device %s", dev))
	}
	return d, nil
}

// Devices implements ports.Devices.
func (s *Tenants) Devices(ctx context.Context, acct string) ([]domain.Device, error) {
	if err := badAccount("inmem: devices", acct); err != nil {
		return nil, err
	}
	defer s.lock()()
	var out []domain.Device
	for _, d := range s.devices {
		if d.AccountID == acct {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b domain.Device) int {
		if c := a.Enrolled.Compare(b.Enrolled); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

const stampLayout = "20060102T150405.000Z"

// imageSortKey orders images as the table does: the event's time, the
// device, the ID.
func imageSortKey(dev, id string) (string, error) {
	ev, _, err := domain.ParseSnapshotName(id + ".jpg")
	if err != nil {
		return "", domain.E("inmem: image", domain.Invalid, fmt.Errorf("image id %q: want {eventID}-{n}", id))
	}
	return "IMAGE#" + ev.Time().UTC().Format(stampLayout) + "#" + dev + "#" + id, nil
}

// PutImage implements ports.ImageIndex (Conflict when recorded already).
func (s *Tenants) PutImage(ctx context.Context, img domain.ImageRecord) error {
	const op = "inmem: put image"
	if err := badAccount(op, img.AccountID); err != nil {
		return err
	}
	if err := badDevice(op, img.DeviceID); err != nil {
		return err
	}
	sk, err := imageSortKey(img.DeviceID, img.ID)
	if err != nil {
		return err
	}
	defer s.lock()()
	m := s.images[img.AccountID]
	if m == nil {
		m = map[string]domain.ImageRecord{}
		s.images[img.AccountID] = m
	}
	if _, ok := m[sk]; ok {
		return domain.E(op, domain.Conflict, fmt.Errorf("image %s of %s is recorded already", img.ID, img.DeviceID))
	}
	img.Faces = slices.Clone(img.Faces)
	m[sk] = img
	if d, ok := s.devices[img.DeviceID]; ok && d.AccountID == img.AccountID {
		at := img.VerifiedAt
		if at.IsZero() {
			at = img.TakenAt
		}
		if at.After(d.LastUpload) {
			d.LastUpload = at
			s.devices[img.DeviceID] = d
		}
	}
	return nil
}

// PutRejection implements ports.ImageIndex (Conflict when recorded
// already). Rejections without a valid account are kept apart.
func (s *Tenants) PutRejection(ctx context.Context, r domain.Rejection) error {
	const op = "inmem: put rejection"
	if r.ID == "" || len(r.ID) > 128 || strings.ContainsAny(r.ID, "#\x00") {
		return domain.E(op, domain.Invalid, fmt.Errorf("rejection id %q", r.ID))
	}
	stamp := "00000000T000000.000Z"
	if ev, _, err := domain.ParseSnapshotName(r.ID + ".jpg"); err == nil {
		stamp = ev.Time().UTC().Format(stampLayout)
	}
	part := r.AccountID
	if !domain.ValidAccountID(part) {
		part = "REJECTED"
	}
	sk := "REJECT#" + stamp + "#" + r.DeviceID + "#" + r.ID
	defer s.lock()()
	m := s.rejections[part]
	if m == nil {
		m = map[string]domain.Rejection{}
		s.rejections[part] = m
	}
	if _, ok := m[sk]; ok {
		return domain.E(op, domain.Conflict, fmt.Errorf("rejection %s is recorded already", r.ID))
	}
	m[sk] = r
	return nil
}

// page returns up to limit keys of m after cursor, in descending order,
// that keep passes, and the next cursor.
func page[V any](m map[string]V, prefix, cursor string, limit int, keep func(V) bool) ([]V, string, error) {
	after := ""
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || !strings.HasPrefix(string(raw), prefix) {
			return nil, "", domain.E("inmem: cursor", domain.Invalid, errors.New("not a cursor of this listing"))
		}
		after = string(raw)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if after == "" || k < after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	slices.Reverse(keys)
	var out []V
	for i, k := range keys {
		if keep(m[k]) {
			out = append(out, m[k])
		}
		if len(out) == limit {
			if i == len(keys)-1 {
				return out, "", nil
			}
			return out, base64.RawURLEncoding.EncodeToString([]byte(k)), nil
		}
	}
	return out, "", nil
}

// Images implements ports.Gallery.
func (s *Tenants) Images(ctx context.Context, acct string, q domain.ImageQuery) (domain.ImagePage, error) {
	if err := badAccount("inmem: images", acct); err != nil {
		return domain.ImagePage{}, err
	}
	if err := q.Validate(); err != nil {
		return domain.ImagePage{}, err
	}
	defer s.lock()()
	imgs, next, err := page(s.images[acct], "IMAGE#", q.Cursor, q.Limit, func(r domain.ImageRecord) bool {
		ev, _, _ := domain.ParseSnapshotName(r.ID + ".jpg")
		day := ev.Time().UTC()
		return (q.DeviceID == "" || r.DeviceID == q.DeviceID) && (!q.WithFaces || len(r.Faces) > 0) &&
			(q.Day.IsZero() || day.Format("20060102") == q.Day.UTC().Format("20060102"))
	})
	return domain.ImagePage{Images: imgs, Next: next}, err
}

// Image implements ports.Gallery.
func (s *Tenants) Image(ctx context.Context, acct, dev, id string) (domain.ImageRecord, error) {
	if err := badAccount("inmem: image", acct); err != nil {
		return domain.ImageRecord{}, err
	}
	if err := badDevice("inmem: image", dev); err != nil {
		return domain.ImageRecord{}, err
	}
	sk, err := imageSortKey(dev, id)
	if err != nil {
		return domain.ImageRecord{}, err
	}
	defer s.lock()()
	r, ok := s.images[acct][sk]
	if !ok {
		return r, domain.E("inmem: image", domain.NotFound, fmt.Errorf("no image %s", domain.ImageKey(dev, id)))
	}
	return r, nil
}

// Rejections implements ports.Gallery.
func (s *Tenants) Rejections(ctx context.Context, acct string, limit int, cursor string) (domain.RejectionPage, error) {
	if err := badAccount("inmem: rejections", acct); err != nil {
		return domain.RejectionPage{}, err
	}
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > domain.MaxPageSize {
		return domain.RejectionPage{}, domain.E("inmem: rejections", domain.Invalid, fmt.Errorf("limit %d: want 1..%d", limit, domain.MaxPageSize))
	}
	defer s.lock()()
	rs, next, err := page(s.rejections[acct], "REJECT#", cursor, limit, func(domain.Rejection) bool { return true })
	return domain.RejectionPage{Rejections: rs, Next: next}, err
}

// DeviceRejections implements ports.Gallery.
func (s *Tenants) DeviceRejections(ctx context.Context, acct, dev string, since time.Time, limit int) ([]domain.Rejection, error) {
	const op = "inmem: device rejections"
	if err := badAccount(op, acct); err != nil {
		return nil, err
	}
	if err := badDevice(op, dev); err != nil {
		return nil, err
	}
	if limit < 1 || limit > domain.MaxDeviceRejections {
		return nil, domain.E(op, domain.Invalid, fmt.Errorf("limit %d: want 1..%d", limit, domain.MaxDeviceRejections))
	}
	defer s.lock()()
	rs, _, err := page(s.rejections[acct], "REJECT#", "", limit, func(r domain.Rejection) bool {
		// The table keeps milliseconds.
		return r.DeviceID == dev && (since.IsZero() || !r.RejectedAt.Truncate(time.Millisecond).Before(since.Truncate(time.Millisecond)))
	})
	return rs, err
}

// PutSession implements ports.Sessions.
func (s *Tenants) PutSession(ctx context.Context, se domain.Session) error {
	const op = "inmem: put session"
	if err := badAccount(op, se.AccountID); err != nil {
		return err
	}
	if se.TokenHash == "" || se.CSRF == "" {
		return domain.E(op, domain.Invalid, errors.New("a session needs a token hash and a CSRF token"))
	}
	defer s.lock()()
	if _, ok := s.sessions[se.TokenHash]; ok {
		return domain.E(op, domain.Conflict, errors.New("the session exists"))
	}
	s.sessions[se.TokenHash] = se
	return nil
}

// Session implements ports.Sessions.
func (s *Tenants) Session(ctx context.Context, tokenHash string, now time.Time) (domain.Session, error) {
	defer s.lock()()
	se, ok := s.sessions[tokenHash]
	if !ok || !se.Valid(now) {
		return domain.Session{}, domain.E("inmem: session", domain.Unauthorized, errors.New("no such session, or it expired"))
	}
	return se, nil
}

// DeleteSession implements ports.Sessions.
func (s *Tenants) DeleteSession(ctx context.Context, tokenHash string) error {
	defer s.lock()()
	delete(s.sessions, tokenHash)
	return nil
}

// Allow implements ports.RateLimiter with sliding windows (see
// domain.RateSlots).
func (s *Tenants) Allow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error) {
	if limit < 1 || window <= 0 || key == "" {
		return false, domain.E("inmem: rate limit", domain.Invalid, fmt.Errorf("limit %d per %s for %q", limit, window, key))
	}
	defer s.lock()()
	slot := domain.RateSlot(now, window)
	slotKey := func(i int64) string { return key + "#" + strconv.FormatInt(i, 10) }
	used := 0
	for i := slot - domain.RateSlots; i <= slot; i++ {
		used += s.rates[slotKey(i)]
	}
	delete(s.rates, slotKey(slot-domain.RateSlots-1)) // no longer counts
	if used >= limit {
		return false, nil
	}
	s.rates[slotKey(slot)]++
	return true, nil
}

// Used implements ports.RateLimiter.
func (s *Tenants) Used(ctx context.Context, key string, window time.Duration, now time.Time) (int, error) {
	if window <= 0 || key == "" {
		return 0, domain.E("inmem: rate limit", domain.Invalid, fmt.Errorf("window %s for %q", window, key))
	}
	defer s.lock()()
	slot := domain.RateSlot(now, window)
	used := 0
	for i := slot - domain.RateSlots; i <= slot; i++ {
		used += s.rates[key+"#"+strconv.FormatInt(i, 10)]
	}
	return used, nil
}

// Presigner is a twin of the S3 presigner: URLs of the form
// inmem://BUCKET/KEY?expires=SECONDS&length=N, for tests of the use cases.
type Presigner struct {
	Upload, Production string
}

var _ ports.Presigner = Presigner{}

// PresignPut implements ports.Presigner.
func (p Presigner) PresignPut(ctx context.Context, key string, length int64, contentType string, lifetime time.Duration) (domain.UploadGrant, error) {
	if key == "" || length < 1 || contentType == "" || lifetime < time.Second {
		return domain.UploadGrant{}, domain.E("inmem: presign put", domain.Invalid, errors.New("a key, a length, a type and a lifetime are needed"))
	}
	return domain.UploadGrant{URL: fmt.Sprintf("inmem://%s/%s?expires=%d&length=%d", p.Upload, key, int(lifetime.Seconds()), length),
		Method: "PUT", Key: key, Headers: map[string]string{"Content-Type": contentType, "Content-Length": strconv.FormatInt(length, 10)},
		Expires: time.Now().Add(lifetime)}, nil
}

// PresignGet implements ports.Presigner.
func (p Presigner) PresignGet(ctx context.Context, key string, lifetime time.Duration) (string, error) {
	if key == "" || lifetime < time.Second {
		return "", domain.E("inmem: presign get", domain.Invalid, errors.New("a key and a lifetime are needed"))
	}
	return fmt.Sprintf("inmem://%s/%s?expires=%d", p.Production, key, int(lifetime.Seconds())), nil
}
