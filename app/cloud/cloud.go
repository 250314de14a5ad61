// Package cloud holds vigil-cloud's use cases: accounts and licenses for
// the operator, enrollment and upload grants for devices, and the signed-in
// gallery, devices, rejections and license for people. Every read of a
// person is scoped by the account of their session; another account's
// record answers NotFound, as if it did not exist.
package cloud

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// Stores are the ports the service needs.
type Stores struct {
	Accounts  ports.Accounts
	Licenses  ports.Licenses
	Seats     ports.Seats
	Devices   ports.Devices
	Gallery   ports.Gallery
	Sessions  ports.Sessions
	Limiter   ports.RateLimiter
	Presigner ports.Presigner
}

// Config are the service's limits; zero fields take their defaults.
type Config struct {
	UploadLifetime  time.Duration // of a grant's PUT URL (default 5 min, at most 5 min)
	SessionLifetime time.Duration // of a sign-in (default 12 h)
	MaxUploadBytes  int64         // largest upload granted (default the validator's limit, 5 MiB)
	GrantsPerMinute int           // per device (default 60)
	StatusPerMinute int           // device status requests per device (default 30)
	LoginsPerWindow int           // attempts per e-mail address from one client, and 5× that per client (default 10)
	LoginWindow     time.Duration // (default 15 min)
	// LoginFailuresPerWindow is the ceiling of failed sign-ins per e-mail
	// address from all clients together (default 10× LoginsPerWindow): only
	// failures count, so an attacker elsewhere cannot use up the owner's
	// attempts without spreading over many clients.
	LoginFailuresPerWindow int
	// PasswordChecks bounds the argon2id verifications running at once
	// (19 MiB each; default 2 per CPU); a sign-in that finds none free
	// within PasswordWait (default 1 s) is refused with ErrBusy.
	PasswordChecks int
	PasswordWait   time.Duration
}

// Defaults of Config.
const (
	DefaultUploadLifetime  = 5 * time.Minute
	DefaultSessionLifetime = 12 * time.Hour
)

// GalleryLifetime is how long the gallery's presigned GET URLs are valid:
// exactly 100 s by requirement, so not configurable.
const GalleryLifetime = 100 * time.Second

// WithDefaults returns c with its zero fields set.
func (c Config) WithDefaults() Config {
	if c.UploadLifetime == 0 {
		c.UploadLifetime = DefaultUploadLifetime
	}
	if c.SessionLifetime == 0 {
		c.SessionLifetime = DefaultSessionLifetime
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = domain.DefaultVerifyLimits().MaxBytes
	}
	if c.GrantsPerMinute == 0 {
		c.GrantsPerMinute = 60
	}
	if c.StatusPerMinute == 0 {
		c.StatusPerMinute = 30
	}
	if c.LoginsPerWindow == 0 {
		c.LoginsPerWindow = 10
	}
	if c.LoginWindow == 0 {
		c.LoginWindow = 15 * time.Minute
	}
	if c.LoginFailuresPerWindow == 0 {
		c.LoginFailuresPerWindow = 10 * c.LoginsPerWindow
	}
	if c.PasswordChecks == 0 {
		c.PasswordChecks = 2 * runtime.NumCPU()
	}
	if c.PasswordWait == 0 {
		c.PasswordWait = time.Second
	}
	return c
}

// Validate reports every problem of c (after WithDefaults) at once.
func (c Config) Validate() error {
	var errs []error
	if c.UploadLifetime < time.Second || c.UploadLifetime > 5*time.Minute {
		errs = append(errs, fmt.Errorf("upload URL lifetime %s: want 1s..5m", c.UploadLifetime))
	}
	if c.SessionLifetime < time.Minute || c.SessionLifetime > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("session lifetime %s: want 1m..720h", c.SessionLifetime))
	}
	if c.MaxUploadBytes < 1 {
		errs = append(errs, fmt.Errorf("max upload bytes %d: not positive", c.MaxUploadBytes))
	}
	if c.GrantsPerMinute < 1 || c.StatusPerMinute < 1 || c.LoginsPerWindow < 1 || c.LoginFailuresPerWindow < 1 ||
		c.LoginWindow < time.Second {
		errs = append(errs, errors.New("rate limits: not positive"))
	}
	if c.PasswordChecks < 1 || c.PasswordChecks > 1024 {
		errs = append(errs, fmt.Errorf("concurrent password checks %d: want 1..1024", c.PasswordChecks))
	}
	if c.PasswordWait < 0 || c.PasswordWait > 10*time.Second {
		errs = append(errs, fmt.Errorf("password check wait %s: want 0..10s", c.PasswordWait))
	}
	if len(errs) > 0 {
		return domain.E("cloud config", domain.Invalid, errors.Join(errs...))
	}
	return nil
}

// Service runs the use cases.
type Service struct {
	st  Stores
	cfg Config
	now func() time.Time
	// hashSlots holds a token per argon2id verification running.
	hashSlots chan struct{}
}

// New returns the service over st; now is the clock (nil: time.Now).
func New(st Stores, cfg Config, now func() time.Time) (*Service, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if st.Accounts == nil || st.Licenses == nil || st.Seats == nil || st.Devices == nil || st.Gallery == nil ||
		st.Sessions == nil || st.Limiter == nil || st.Presigner == nil {
		return nil, domain.E("cloud", domain.Invalid, errors.New("a store is missing"))
	}
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, cfg: cfg, now: now, hashSlots: make(chan struct{}, cfg.PasswordChecks)}, nil
}

// Config returns the service's settings with defaults applied.
func (s *Service) Config() Config { return s.cfg }

// ErrRateLimited is wrapped by the error of a refused attempt (Unavailable:
// try again later); transports answer it with 429.
var ErrRateLimited = errors.New("too many attempts: try again later")

// ErrBusy is wrapped by the error of a sign-in refused because every
// password check slot stayed taken (Unavailable: try again in a moment);
// transports answer it with 503 and a short Retry-After.
var ErrBusy = errors.New("too many sign-ins at once: try again in a moment")

func entropy() [10]byte {
	var e [10]byte
	_, _ = rand.Read(e[:]) // crypto/rand.Read does not fail on supported systems
	return e
}

// CreateAccount makes an account whose owner signs in with email and
// password (operator command).
func (s *Service) CreateAccount(ctx context.Context, email, password string) (domain.Account, error) {
	email, err := domain.NormalizeEmail(email)
	if err != nil {
		return domain.Account{}, err
	}
	if err := domain.CheckPassword(password); err != nil {
		return domain.Account{}, err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return domain.Account{}, err
	}
	now := s.now().UTC()
	a := domain.Account{ID: domain.NewAccountID(now, entropy()), Email: email, Created: now}
	u := domain.User{Email: email, AccountID: a.ID, PasswordHash: hash, Created: now}
	if err := s.st.Accounts.CreateAccount(ctx, a, u); err != nil {
		return domain.Account{}, err
	}
	return a, nil
}

// ErrIssued is wrapped by the error of an IssueLicense whose license is
// issued (the key it returns works) but whose cleanup or re-read failed:
// show the key, and the error as a warning.
var ErrIssued = errors.New("the license is issued")

// IssueLicense gives an account a license (or renews it with a new key)
// for seats devices until expires, and returns its key: shown this once,
// stored only as a hash (operator command). Once the license is stored
// with the new key, the key is returned even when a later step fails; the
// error then wraps ErrIssued.
func (s *Service) IssueLicense(ctx context.Context, accountID string, seats int, expires time.Time) (string, domain.License, error) {
	k, err := newLicenseKey()
	if err != nil {
		return "", domain.License{}, err
	}
	l, err := domain.NewLicense(accountID, hashToken(k), seats, expires, s.now().UTC())
	if err != nil {
		return "", domain.License{}, err
	}
	ierr := s.st.Licenses.IssueLicense(ctx, l)
	stored, err := s.st.Licenses.License(ctx, accountID)
	switch {
	case err == nil && stored.KeyHash == l.KeyHash && ierr == nil:
		return k, stored, nil
	case err == nil && stored.KeyHash == l.KeyHash: // committed; a later step failed
		return k, stored, fmt.Errorf("%w, but: %w", ErrIssued, ierr)
	case ierr != nil:
		return "", domain.License{}, ierr
	case err != nil: // committed, but the re-read failed: seats in use unknown
		return k, l, fmt.Errorf("%w, but reading it back failed (seats in use unknown): %w", ErrIssued, err)
	default:
		return "", domain.License{}, domain.E("issue license", domain.Conflict,
			errors.New("the license was replaced meanwhile: issue it again"))
	}
}

// SetLicenseState suspends or reactivates a license (operator command).
func (s *Service) SetLicenseState(ctx context.Context, accountID string, state domain.LicenseState) error {
	return s.st.Licenses.SetLicenseState(ctx, accountID, state)
}

// Enrollment is what a new device learns once.
type Enrollment struct {
	AccountID, DeviceID, Secret string
}

// maxKeyLen bounds what is hashed of a license key or secret.
const maxKeyLen = 256

// Enroll takes a seat of the license with licenseKey for a device named
// name and returns its ID and secret.
func (s *Service) Enroll(ctx context.Context, licenseKey, name string) (Enrollment, error) {
	const op = "enroll"
	licenseKey = strings.TrimSpace(licenseKey)
	if licenseKey == "" || len(licenseKey) > maxKeyLen {
		return Enrollment{}, domain.E(op, domain.Invalid, errors.New("license_key: missing or too long"))
	}
	if err := domain.ValidDeviceName(name); err != nil {
		return Enrollment{}, err
	}
	now := s.now().UTC()
	kh := hashToken(licenseKey)
	l, err := s.st.Seats.LicenseByKey(ctx, kh)
	if err != nil {
		return Enrollment{}, err
	}
	if err := l.CanEnroll(now); err != nil {
		return Enrollment{}, err
	}
	secret, err := randomToken(32)
	if err != nil {
		return Enrollment{}, err
	}
	d := domain.Device{AccountID: l.AccountID, ID: domain.NewDeviceID(now, entropy()), Name: strings.TrimSpace(name),
		SecretHash: hashToken(secret), Enrolled: now}
	if err := s.st.Seats.Enroll(ctx, d, kh, now); err != nil {
		return Enrollment{}, err
	}
	return Enrollment{AccountID: d.AccountID, DeviceID: d.ID, Secret: secret}, nil
}

// AuthenticateDevice returns the device whose ID and secret these are;
// Unauthorized for an unknown device, a wrong secret or a revoked device.
func (s *Service) AuthenticateDevice(ctx context.Context, deviceID, secret string) (domain.Device, error) {
	const op = "device auth"
	deny := domain.E(op, domain.Unauthorized, errors.New("unknown, wrong or revoked device credentials"))
	if !domain.ValidDeviceID(deviceID) || secret == "" || len(secret) > maxKeyLen {
		return domain.Device{}, deny
	}
	d, err := s.st.Devices.DeviceByID(ctx, deviceID)
	if domain.KindOf(err) == domain.NotFound {
		return domain.Device{}, deny
	}
	if err != nil {
		return domain.Device{}, err
	}
	if !sameHash(d.SecretHash, hashToken(secret)) || d.Revoked {
		return domain.Device{}, deny
	}
	return d, nil
}

// GrantRequest asks to upload one snapshot.
type GrantRequest struct {
	EventID     string
	Name        string // {eventID}-{n}.jpg
	Bytes       int64
	ContentType string
}

// UploadKey is the upload bucket's key of a device's snapshot:
// uploads/{account}/{device}/{yyyy}/{mm}/{dd}/{name}, the date of the
// event (UTC).
func UploadKey(accountID, deviceID string, event domain.EventID, name string) string {
	return fmt.Sprintf("uploads/%s/%s/%s/%s", accountID, deviceID, event.Time().UTC().Format("2006/01/02"), name)
}

// Grant answers an authenticated device's request with a presigned PUT of
// exactly that key, length and type.
func (s *Service) Grant(ctx context.Context, d domain.Device, r GrantRequest) (domain.UploadGrant, error) {
	const op = "grant"
	ev, _, err := domain.ParseSnapshotName(r.Name)
	if err != nil {
		return domain.UploadGrant{}, err
	}
	if r.EventID != string(ev) {
		return domain.UploadGrant{}, domain.E(op, domain.Invalid, fmt.Errorf("name %q is not of event %q", r.Name, r.EventID))
	}
	if r.ContentType != "image/jpeg" {
		return domain.UploadGrant{}, domain.E(op, domain.Invalid, fmt.Errorf("content type %q: only image/jpeg", r.ContentType))
	}
	if r.Bytes < 1 || r.Bytes > s.cfg.MaxUploadBytes {
		return domain.UploadGrant{}, domain.E(op, domain.Invalid, fmt.Errorf("%d bytes: want 1..%d", r.Bytes, s.cfg.MaxUploadBytes))
	}
	now := s.now()
	ok, err := s.st.Limiter.Allow(ctx, "grant:"+d.ID, s.cfg.GrantsPerMinute, time.Minute, now)
	if err != nil {
		return domain.UploadGrant{}, err
	}
	if !ok {
		return domain.UploadGrant{}, domain.E(op, domain.Unavailable, ErrRateLimited)
	}
	l, err := s.st.Licenses.License(ctx, d.AccountID)
	if domain.KindOf(err) == domain.NotFound {
		return domain.UploadGrant{}, domain.E(op, domain.Unlicensed, errors.New("the account has no license"))
	}
	if err != nil {
		return domain.UploadGrant{}, err
	}
	if st := l.Status(now); st != "active" {
		return domain.UploadGrant{}, domain.E(op, domain.Unlicensed, fmt.Errorf("the account's license is %s", st))
	}
	imageID := strings.TrimSuffix(r.Name, ".jpg")
	if _, err := s.st.Gallery.Image(ctx, d.AccountID, d.ID, imageID); err == nil {
		return domain.UploadGrant{}, domain.E(op, domain.Conflict, fmt.Errorf("%s is verified and stored already", r.Name))
	} else if domain.KindOf(err) != domain.NotFound {
		return domain.UploadGrant{}, err
	}
	return s.st.Presigner.PresignPut(ctx, UploadKey(d.AccountID, d.ID, ev, r.Name), r.Bytes, r.ContentType, s.cfg.UploadLifetime)
}

// DeviceStatus answers an authenticated device about itself: its
// account's license and seats as they stand now, and its own most recent
// rejected snapshots (at most domain.MaxDeviceRejections, newest first),
// only those rejected at or after since when it is not zero. Everything is
// read under the device's own account; rejections whose ID names no
// snapshot ({eventID}-{n}) are left out, since the device cannot match
// them. A license's state does not matter here: a device with an expired
// license learns that it is expired.
func (s *Service) DeviceStatus(ctx context.Context, d domain.Device, since time.Time) (domain.DeviceStatus, error) {
	const op = "device status"
	now := s.now()
	if !since.IsZero() && since.After(now.Add(24*time.Hour)) {
		return domain.DeviceStatus{}, domain.E(op, domain.Invalid, fmt.Errorf("since %s: in the future", since.UTC().Format(time.RFC3339)))
	}
	ok, err := s.st.Limiter.Allow(ctx, "status:"+d.ID, s.cfg.StatusPerMinute, time.Minute, now)
	if err != nil {
		return domain.DeviceStatus{}, err
	}
	if !ok {
		return domain.DeviceStatus{}, domain.E(op, domain.Unavailable, ErrRateLimited)
	}
	st := domain.DeviceStatus{DeviceID: d.ID, Name: d.Name, Rejected: []domain.SnapshotRejection{}}
	l, err := s.st.Licenses.License(ctx, d.AccountID)
	switch {
	case err == nil:
		st.License = domain.SeatStatusOf(l, now)
	case domain.KindOf(err) != domain.NotFound:
		return domain.DeviceStatus{}, err
	}
	rs, err := s.st.Gallery.DeviceRejections(ctx, d.AccountID, d.ID, since, domain.MaxDeviceRejections)
	if err != nil {
		return domain.DeviceStatus{}, err
	}
	for _, r := range rs {
		name := r.ID + ".jpg"
		if _, _, err := domain.ParseSnapshotName(name); err != nil || r.DeviceID != d.ID {
			continue
		}
		st.Rejected = append(st.Rejected, domain.SnapshotRejection{Name: name, Reason: r.Reason, Detail: r.Detail, At: r.RejectedAt})
	}
	return st, nil
}
