package edge

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"vigil/domain"
	"vigil/ports"
)

// Argon2Params are the argon2id costs of new password hashes.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultArgon2 follows OWASP's minimum for argon2id (19 MiB, 2 passes,
// 1 thread): about 50 ms on a Raspberry Pi 4.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// Upper bounds for parameters read back from a stored hash, so that a
// tampered file cannot make every login allocate gigabytes.
const (
	maxArgonMemory  = 256 * 1024
	maxArgonTime    = 16
	maxArgonThreads = 16
)

// HashPassword returns password's argon2id hash in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$key).
func HashPassword(password string, p Argon2Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password hash: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches hash (in constant time
// for a given hash). A malformed hash is an error.
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errors.New("password hash: not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, fmt.Errorf("password hash: version %q", parts[2])
	}
	var p Argon2Params
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || n != 3 {
		return false, fmt.Errorf("password hash: parameters %q", parts[3])
	}
	if p.Memory < 8 || p.Memory > maxArgonMemory || p.Time < 1 || p.Time > maxArgonTime || p.Threads < 1 || p.Threads > maxArgonThreads {
		return false, fmt.Errorf("password hash: parameters %q out of range", parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return false, errors.New("password hash: bad salt or key")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// LockedOutError is returned by Login (and Setup) while the client is
// locked out.
type LockedOutError struct {
	RetryAfter time.Duration
	// Attempts names what failed too often: "logins" when empty, "setup
	// codes" for Setup.
	Attempts string
}

func (e *LockedOutError) Error() string {
	what := e.Attempts
	if what == "" {
		what = "logins"
	}
	return fmt.Sprintf("too many failed %s: try again in %v", what, e.RetryAfter.Round(time.Second))
}

// ErrBadLogin is the one answer to a wrong user name or password.
var ErrBadLogin = domain.E("login", domain.Unauthorized, errors.New("wrong user name or password"))

// ErrBusy is the answer when every password-hash slot stayed taken for
// AccountsConfig.HashWait: the caller should retry in a moment (HTTP 503
// with Retry-After BusyRetryAfter).
var ErrBusy = domain.E("login", domain.Unavailable, errors.New("busy checking other sign-ins: try again in a moment"))

// BusyRetryAfter is how long a caller answered ErrBusy should wait.
const BusyRetryAfter = 2 * time.Second

// inFlightRetry is the Retry-After of a login refused because the
// client's attempts in flight already use up its remaining failures.
const inFlightRetry = time.Second

// AccountsConfig configures Accounts; zero fields take the defaults.
type AccountsConfig struct {
	Sessions domain.EdgeSessionRules
	Limits   domain.LoginLimits
	Argon2   Argon2Params
	Now      func() time.Time
	// HashSlots bounds the password checks running at once (default 2):
	// each argon2id check takes Argon2.Memory KiB, so unbounded parallel
	// logins could exhaust a Pi's memory.
	HashSlots int
	// HashWait is how long a login waits for a free slot before ErrBusy
	// (default 1 s).
	HashWait time.Duration
	// AdminRecheck is how often Session re-reads the admin record to end
	// sessions older than a password change made by another process
	// (`vigil-edge admin set-password`); default 2 s.
	AdminRecheck time.Duration
	// SetupCodes holds the first run's one-time setup code: Setup needs it
	// (without it every setup is refused), and it is deleted once an admin
	// exists.
	SetupCodes ports.SetupCodeStore
	// Log receives what goes wrong after the fact (a setup code that could
	// not be deleted); nil discards it.
	Log *slog.Logger
}

// Accounts is the edge's sign-in: the first-run setup of the admin, logins
// with a lock-out, sessions with CSRF tokens, logout and password changes.
// Sessions live in memory (a restart signs everyone out); the store holds
// only the admin's hash. Safe for concurrent use.
type Accounts struct {
	store ports.AdminStore
	cfg   AccountsConfig
	dummy string // a hash to check against when the user is unknown

	slots chan struct{} // a token per password check running
	check func(hash, password string) (bool, error)

	mu       sync.Mutex
	sessions map[[32]byte]*domain.EdgeSession
	failures map[string]domain.LoginFailures
	// setupFails counts wrong setup codes per client, apart from failed
	// logins (a login before the setup always fails: it must not lock
	// the owner out of the setup). Only Setup touches it, under setupMu.
	setupFails map[string]domain.LoginFailures
	inFlight   map[string]int // per client: logins between lock-out check and verdict
	setupMu    sync.Mutex

	// The admin's hash as last seen (every set-password salts anew, so a
	// new hash means a new password), and when the store was last read;
	// refreshMu lets one caller at a time re-read it, outside mu.
	refreshMu sync.Mutex
	seenHash  string
	checked   time.Time
}

// NewAccounts returns Accounts over store.
func NewAccounts(store ports.AdminStore, cfg AccountsConfig) (*Accounts, error) {
	if cfg.Sessions == (domain.EdgeSessionRules{}) {
		cfg.Sessions = domain.DefaultEdgeSessionRules()
	}
	if cfg.Limits == (domain.LoginLimits{}) {
		cfg.Limits = domain.DefaultLoginLimits()
	}
	if err := cfg.Limits.Validate(); err != nil {
		return nil, err
	}
	if cfg.Argon2 == (Argon2Params{}) {
		cfg.Argon2 = DefaultArgon2
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HashSlots <= 0 {
		cfg.HashSlots = 2
	}
	if cfg.HashWait <= 0 {
		cfg.HashWait = time.Second
	}
	if cfg.AdminRecheck <= 0 {
		cfg.AdminRecheck = 2 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	dummy, err := HashPassword("not a password of anyone", cfg.Argon2)
	if err != nil {
		return nil, err
	}
	return &Accounts{store: store, cfg: cfg, dummy: dummy, slots: make(chan struct{}, cfg.HashSlots), check: CheckPassword,
		sessions: map[[32]byte]*domain.EdgeSession{}, failures: map[string]domain.LoginFailures{},
		setupFails: map[string]domain.LoginFailures{}, inFlight: map[string]int{}}, nil
}

// checkPassword runs CheckPassword in one of the hash slots, waiting at
// most HashWait (or until ctx ends) for one to be free: ErrBusy then.
func (a *Accounts) checkPassword(ctx context.Context, hash, password string) (bool, error) {
	t := time.NewTimer(a.cfg.HashWait)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
	case <-t.C:
		return false, ErrBusy
	case <-ctx.Done():
		return false, ErrBusy
	}
	defer func() { <-a.slots }()
	return a.check(hash, password)
}

// NeedsSetup reports whether no admin exists yet (the first run).
func (a *Accounts) NeedsSetup(ctx context.Context) (bool, error) {
	_, ok, err := a.store.Admin(ctx)
	return !ok, err
}

// SetupRequest is what the first-run setup form carries.
type SetupRequest struct {
	Code     string // the one-time setup code the daemon printed
	User     string
	Password string
}

// Setup creates the admin on the first run and signs them in. It needs the
// one-time setup code (PrepareSetup): whoever has no access to the
// daemon's output or data directory cannot claim the camera. A missing or
// wrong code is ErrBadSetupCode and counts against client under the login
// limits (apart from its failed logins): after too many, a
// *LockedOutError, even with the right code. Setups run one at a time, so
// parallel guesses cannot pass the limit. Once an admin exists it is a
// Conflict: the password is then changed signed in or with `vigil-edge
// admin set-password`.
func (a *Accounts) Setup(ctx context.Context, client string, in SetupRequest) (token string, s domain.EdgeSession, err error) {
	a.setupMu.Lock()
	defer a.setupMu.Unlock()
	now := a.cfg.Now()
	if locked, wait := a.cfg.Limits.Locked(a.setupFails[client], now); locked {
		return "", s, &LockedOutError{RetryAfter: wait, Attempts: "setup codes"}
	}
	if _, ok, err := a.store.Admin(ctx); err != nil {
		return "", s, err
	} else if ok {
		return "", s, domain.E("setup", domain.Conflict, errors.New("the admin account exists already"))
	}
	if a.cfg.SetupCodes == nil {
		return "", s, domain.E("setup", domain.Internal, errors.New("no setup code store configured"))
	}
	stored, ok, err := a.cfg.SetupCodes.SetupCode(ctx)
	if err != nil {
		return "", s, err
	}
	if !ok {
		return "", s, ErrNoSetupCode
	}
	if !setupCodesEqual(in.Code, stored) {
		f := a.cfg.Limits.Failed(a.setupFails[client], now)
		a.setupFails[client] = f
		a.forget(a.setupFails, now)
		if locked, wait := a.cfg.Limits.Locked(f, now); locked {
			return "", s, &LockedOutError{RetryAfter: wait, Attempts: "setup codes"}
		}
		return "", s, ErrBadSetupCode
	}
	if err := errors.Join(domain.ValidateEdgeUsername(in.User), domain.ValidateEdgePassword(in.User, in.Password)); err != nil {
		return "", s, err
	}
	if err := a.SetPassword(ctx, in.User, in.Password); err != nil {
		return "", s, err
	}
	clear(a.setupFails)
	return a.newSession(in.User)
}

// SetPassword creates or replaces the admin's account and ends every
// session; the first-run setup code, if any, is deleted (an admin exists).
// It is what `vigil-edge admin set-password` calls.
func (a *Accounts) SetPassword(ctx context.Context, user, password string) error {
	if err := errors.Join(domain.ValidateEdgeUsername(user), domain.ValidateEdgePassword(user, password)); err != nil {
		return err
	}
	hash, err := HashPassword(password, a.cfg.Argon2)
	if err != nil {
		return err
	}
	if err := a.store.SetAdmin(ctx, domain.EdgeUser{Name: user, Hash: hash, Changed: a.cfg.Now()}); err != nil {
		return err
	}
	a.refreshMu.Lock()
	a.seenHash = hash
	a.refreshMu.Unlock()
	a.mu.Lock()
	clear(a.sessions)
	a.mu.Unlock()
	if a.cfg.SetupCodes != nil { // an admin exists: the setup code has served
		if err := a.cfg.SetupCodes.DeleteSetupCode(ctx); err != nil {
			a.cfg.Log.Warn("the admin exists but the setup code was not deleted (it no longer works; the next start deletes it)", "err", err)
		}
	}
	return nil
}

// Login checks user and password for the client (its IP address) and
// returns a new session's token. Failures count against the client; after
// too many it gets a *LockedOutError, even with the right password.
// Attempts still being checked count too, so parallel guesses cannot get
// past the limit: one that would exceed it is refused at once (a
// *LockedOutError of a second). At most HashSlots passwords are checked at
// once across all clients; a login that finds no free slot in time gets
// ErrBusy.
func (a *Accounts) Login(ctx context.Context, client, user, password string) (token string, s domain.EdgeSession, err error) {
	now := a.cfg.Now()
	a.mu.Lock()
	rec := a.failures[client]
	locked, wait := a.cfg.Limits.Locked(rec, now)
	if !locked && a.recentFailures(rec, now)+a.inFlight[client] >= a.cfg.Limits.MaxFailures {
		locked, wait = true, inFlightRetry
	}
	if !locked {
		a.inFlight[client]++
	}
	a.mu.Unlock()
	if locked {
		return "", s, &LockedOutError{RetryAfter: wait}
	}
	defer func() {
		a.mu.Lock()
		if a.inFlight[client]--; a.inFlight[client] <= 0 {
			delete(a.inFlight, client)
		}
		a.mu.Unlock()
	}()

	admin, ok, err := a.store.Admin(ctx)
	if err != nil {
		return "", s, err
	}
	hash := a.dummy
	if ok {
		hash = admin.Hash
	}
	match, err := a.checkPassword(ctx, hash, password)
	if errors.Is(err, ErrBusy) {
		return "", s, err
	}
	if err != nil {
		return "", s, domain.E("login", domain.Internal, err)
	}
	if !ok || !match || subtle.ConstantTimeCompare([]byte(user), []byte(admin.Name)) != 1 {
		a.mu.Lock()
		f := a.cfg.Limits.Failed(a.failures[client], now)
		a.failures[client] = f
		a.forget(a.failures, now)
		a.mu.Unlock()
		if locked, wait := a.cfg.Limits.Locked(f, now); locked {
			return "", s, &LockedOutError{RetryAfter: wait}
		}
		return "", s, ErrBadLogin
	}
	a.mu.Lock()
	delete(a.failures, client)
	a.mu.Unlock()
	a.refreshMu.Lock()
	if a.seenHash == "" {
		a.seenHash = admin.Hash
	}
	a.refreshMu.Unlock()
	return a.newSession(admin.Name)
}

// recentFailures is how many of rec's failures still count at now (those
// within the window, as LoginLimits.Failed counts them).
func (a *Accounts) recentFailures(rec domain.LoginFailures, now time.Time) int {
	if rec.Failures == 0 || now.Sub(rec.First) > a.cfg.Limits.Window {
		return 0
	}
	return rec.Failures
}

// forget drops the failure records of m that no longer matter; the lock
// of m is held.
func (a *Accounts) forget(m map[string]domain.LoginFailures, now time.Time) {
	if len(m) < 1024 {
		return
	}
	for k, f := range m {
		if a.cfg.Limits.Forgettable(f, now) {
			delete(m, k)
		}
	}
}

func (a *Accounts) newSession(user string) (string, domain.EdgeSession, error) {
	tok, csrf := make([]byte, 32), make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		return "", domain.EdgeSession{}, err
	}
	if _, err := rand.Read(csrf); err != nil {
		return "", domain.EdgeSession{}, err
	}
	now := a.cfg.Now()
	token := base64.RawURLEncoding.EncodeToString(tok)
	s := domain.EdgeSession{User: user, CSRF: base64.RawURLEncoding.EncodeToString(csrf), Created: now, LastSeen: now}
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, old := range a.sessions { // sweep the expired ones now and then
		if a.cfg.Sessions.Expired(*old, now) {
			delete(a.sessions, k)
		}
	}
	a.sessions[sha256.Sum256([]byte(token))] = &s
	return token, s, nil
}

// Session returns the live session of token and marks it used. Every
// session ends when the admin's password changes, also when another
// process (`vigil-edge admin set-password`) changed it: the admin record is
// re-read at most every AdminRecheck.
func (a *Accounts) Session(token string) (domain.EdgeSession, bool) {
	if token == "" || len(token) > 128 {
		return domain.EdgeSession{}, false
	}
	key := sha256.Sum256([]byte(token))
	now := a.cfg.Now()
	a.recheckAdmin(now)
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[key]
	if !ok {
		return domain.EdgeSession{}, false
	}
	if a.cfg.Sessions.Expired(*s, now) {
		delete(a.sessions, key)
		return domain.EdgeSession{}, false
	}
	s.LastSeen = now
	return *s, true
}

// recheckAdmin re-reads the admin record when the last read is older than
// AdminRecheck and ends every session if its hash is not the one last seen
// (the password was set elsewhere). It compares hashes, not the record's
// Changed time, so a clock set wrong (a Pi before its time sync) ends
// nothing by mistake. A failed read is retried at the next recheck.
func (a *Accounts) recheckAdmin(now time.Time) {
	a.refreshMu.Lock()
	defer a.refreshMu.Unlock()
	if !a.checked.IsZero() && now.Sub(a.checked) < a.cfg.AdminRecheck && !now.Before(a.checked) {
		return
	}
	a.checked = now
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	admin, ok, err := a.store.Admin(ctx)
	if err != nil {
		return
	}
	if !ok {
		admin.Hash = ""
	}
	if admin.Hash != a.seenHash {
		a.mu.Lock()
		clear(a.sessions)
		a.mu.Unlock()
	}
	a.seenHash = admin.Hash
}

// SessionRules are the rules sessions expire by.
func (a *Accounts) SessionRules() domain.EdgeSessionRules { return a.cfg.Sessions }

// Logout ends the session of token.
func (a *Accounts) Logout(token string) {
	key := sha256.Sum256([]byte(token))
	a.mu.Lock()
	delete(a.sessions, key)
	a.mu.Unlock()
}

// ChangePassword replaces the signed-in admin's password after checking the
// current one; every session ends, and a new one is returned for the caller.
func (a *Accounts) ChangePassword(ctx context.Context, s domain.EdgeSession, current, next string) (string, domain.EdgeSession, error) {
	admin, ok, err := a.store.Admin(ctx)
	if err != nil {
		return "", s, err
	}
	if !ok || admin.Name != s.User {
		return "", s, domain.E("change password", domain.Unauthorized, errors.New("no such user"))
	}
	match, err := a.checkPassword(ctx, admin.Hash, current)
	if errors.Is(err, ErrBusy) {
		return "", s, err
	}
	if err != nil {
		return "", s, domain.E("change password", domain.Internal, err)
	}
	if !match {
		return "", s, domain.E("current password", domain.Invalid, errors.New("wrong password"))
	}
	if err := a.SetPassword(ctx, admin.Name, next); err != nil {
		return "", s, err
	}
	return a.newSession(admin.Name)
}
