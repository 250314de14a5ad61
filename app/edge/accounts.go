package edge

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
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

// LockedOutError is returned by Login while the client is locked out.
type LockedOutError struct{ RetryAfter time.Duration }

func (e *LockedOutError) Error() string {
	return fmt.Sprintf("too many failed logins: try again in %v", e.RetryAfter.Round(time.Second))
}

// ErrBadLogin is the one answer to a wrong user name or password.
var ErrBadLogin = domain.E("login", domain.Unauthorized, errors.New("wrong user name or password"))

// AccountsConfig configures Accounts; zero fields take the defaults.
type AccountsConfig struct {
	Sessions domain.EdgeSessionRules
	Limits   domain.LoginLimits
	Argon2   Argon2Params
	Now      func() time.Time
}

// Accounts is the edge's sign-in: the first-run setup of the admin, logins
// with a lock-out, sessions with CSRF tokens, logout and password changes.
// Sessions live in memory (a restart signs everyone out); the store holds
// only the admin's hash. Safe for concurrent use.
type Accounts struct {
	store ports.AdminStore
	cfg   AccountsConfig
	dummy string // a hash to check against when the user is unknown

	mu       sync.Mutex
	sessions map[[32]byte]*domain.EdgeSession
	failures map[string]domain.LoginFailures
	setupMu  sync.Mutex
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
	dummy, err := HashPassword("not a password of anyone", cfg.Argon2)
	if err != nil {
		return nil, err
	}
	return &Accounts{store: store, cfg: cfg, dummy: dummy,
		sessions: map[[32]byte]*domain.EdgeSession{}, failures: map[string]domain.LoginFailures{}}, nil
}

// NeedsSetup reports whether no admin exists yet (the first run).
func (a *Accounts) NeedsSetup(ctx context.Context) (bool, error) {
	_, ok, err := a.store.Admin(ctx)
	return !ok, err
}

// Setup creates the admin on the first run and signs them in. Once an
// admin exists it is a Conflict: the password is then changed signed in or
// with `vigil-edge admin set-password`.
func (a *Accounts) Setup(ctx context.Context, user, password string) (token string, s domain.EdgeSession, err error) {
	if err := errors.Join(domain.ValidateEdgeUsername(user), domain.ValidateEdgePassword(user, password)); err != nil {
		return "", s, err
	}
	a.setupMu.Lock()
	defer a.setupMu.Unlock()
	if _, ok, err := a.store.Admin(ctx); err != nil {
		return "", s, err
	} else if ok {
		return "", s, domain.E("setup", domain.Conflict, errors.New("the admin account exists already"))
	}
	if err := a.SetPassword(ctx, user, password); err != nil {
		return "", s, err
	}
	return a.newSession(user)
}

// SetPassword creates or replaces the admin's account and ends every
// session. It is what `vigil-edge admin set-password` calls.
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
	a.mu.Lock()
	clear(a.sessions)
	a.mu.Unlock()
	return nil
}

// Login checks user and password for the client (its IP address) and
// returns a new session's token. Failures count against the client; after
// too many it gets a *LockedOutError, even with the right password.
func (a *Accounts) Login(ctx context.Context, client, user, password string) (token string, s domain.EdgeSession, err error) {
	now := a.cfg.Now()
	a.mu.Lock()
	locked, wait := a.cfg.Limits.Locked(a.failures[client], now)
	a.mu.Unlock()
	if locked {
		return "", s, &LockedOutError{RetryAfter: wait}
	}
	admin, ok, err := a.store.Admin(ctx)
	if err != nil {
		return "", s, err
	}
	hash := a.dummy
	if ok {
		hash = admin.Hash
	}
	match, err := CheckPassword(hash, password)
	if err != nil {
		return "", s, domain.E("login", domain.Internal, err)
	}
	if !ok || !match || subtle.ConstantTimeCompare([]byte(user), []byte(admin.Name)) != 1 {
		a.mu.Lock()
		f := a.cfg.Limits.Failed(a.failures[client], now)
		a.failures[client] = f
		a.forget(now)
		a.mu.Unlock()
		if locked, wait := a.cfg.Limits.Locked(f, now); locked {
			return "", s, &LockedOutError{RetryAfter: wait}
		}
		return "", s, ErrBadLogin
	}
	a.mu.Lock()
	delete(a.failures, client)
	a.mu.Unlock()
	return a.newSession(admin.Name)
}

// forget drops failure records that no longer matter; a.mu is held.
func (a *Accounts) forget(now time.Time) {
	if len(a.failures) < 1024 {
		return
	}
	for k, f := range a.failures {
		if a.cfg.Limits.Forgettable(f, now) {
			delete(a.failures, k)
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

// Session returns the live session of token and marks it used.
func (a *Accounts) Session(token string) (domain.EdgeSession, bool) {
	if token == "" || len(token) > 128 {
		return domain.EdgeSession{}, false
	}
	key := sha256.Sum256([]byte(token))
	now := a.cfg.Now()
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
	match, err := CheckPassword(admin.Hash, current)
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
