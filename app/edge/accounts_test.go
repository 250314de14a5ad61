package edge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil/domain"
)

// memAdmin is the in-memory twin of ports.AdminStore.
type memAdmin struct {
	mu sync.Mutex
	u  *domain.EdgeUser
}

func (m *memAdmin) Admin(context.Context) (domain.EdgeUser, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.u == nil {
		return domain.EdgeUser{}, false, nil
	}
	return *m.u, true, nil
}

func (m *memAdmin) SetAdmin(_ context.Context, u domain.EdgeUser) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.u = &u
	return nil
}

// memCodes is the in-memory twin of ports.SetupCodeStore.
type memCodes struct {
	mu   sync.Mutex
	code string
}

func (m *memCodes) SetupCode(context.Context) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.code, m.code != "", nil
}

func (m *memCodes) SetSetupCode(_ context.Context, code string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.code = code
	return nil
}

func (m *memCodes) DeleteSetupCode(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.code = ""
	return nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var cheap = Argon2Params{Memory: 64, Time: 1, Threads: 1}

func TestHashPassword(t *testing.T) {
	h, err := HashPassword("correct horse battery", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := HashPassword("correct horse battery", cheap)
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterY": false, "": false} {
		if ok, err := CheckPassword(h, pw); err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
	for _, bad := range []string{"", "plain", "$2a$10$bcrypt", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=64,t=1,p=1$!!$a2V5"} {
		if _, err := CheckPassword(bad, "x"); err == nil {
			t.Errorf("CheckPassword(%q): no error", bad)
		}
	}
}

func TestAccountsSetupLoginSessions(t *testing.T) {
	ctx := context.Background()
	clk := &clock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	store, codes := &memAdmin{}, &memCodes{}
	a, err := NewAccounts(store, AccountsConfig{Argon2: cheap, Now: clk.now, SetupCodes: codes,
		Sessions: domain.EdgeSessionRules{Idle: time.Hour, Absolute: 4 * time.Hour},
		Limits:   domain.LoginLimits{MaxFailures: 3, Window: time.Minute, Lockout: time.Minute, MaxLockout: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if need, _ := a.NeedsSetup(ctx); !need {
		t.Fatal("a new store does not need setup")
	}
	if _, _, err := a.Login(ctx, "c1", "admin", "anything long enough"); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("login before setup: %v", err)
	}
	if _, _, err := a.Setup(ctx, "c1", SetupRequest{Code: "ABCDE-FGHJK", User: "admin", Password: "correct horse battery"}); !errors.Is(err, ErrNoSetupCode) {
		t.Fatalf("setup before a code was issued: %v", err)
	}
	code, err := a.PrepareSetup(ctx)
	if err != nil || code == "" {
		t.Fatalf("PrepareSetup: %q %v", code, err)
	}
	if again, err := a.PrepareSetup(ctx); again != code || err != nil {
		t.Fatalf("a second PrepareSetup (a restart) issued %q, want the same %q (%v)", again, code, err)
	}
	if _, _, err := a.Setup(ctx, "c1", SetupRequest{Code: code, User: "admin", Password: "short"}); domain.KindOf(err) != domain.Invalid {
		t.Fatalf("setup with a short password: %v", err)
	}
	if _, _, err := a.Setup(ctx, "c1", SetupRequest{User: "admin", Password: "correct horse battery"}); !errors.Is(err, ErrBadSetupCode) {
		t.Fatalf("setup without a code: %v", err)
	}
	if _, _, err := a.Setup(ctx, "c2", SetupRequest{Code: "ABCDE-FGHJK", User: "admin", Password: "correct horse battery"}); !errors.Is(err, ErrBadSetupCode) {
		t.Fatalf("setup with a wrong code: %v", err)
	}
	if need, _ := a.NeedsSetup(ctx); !need {
		t.Fatal("refused setups created an admin")
	}
	typed := strings.ToLower(strings.ReplaceAll(code, "-", " ")) // as someone types it
	tok, s, err := a.Setup(ctx, "c2", SetupRequest{Code: typed, User: "admin", Password: "correct horse battery"})
	if err != nil || tok == "" || s.CSRF == "" || s.User != "admin" {
		t.Fatalf("setup: %q %+v %v", tok, s, err)
	}
	if _, ok, _ := codes.SetupCode(ctx); ok {
		t.Fatal("the setup code outlived the setup")
	}
	if _, _, err := a.Setup(ctx, "c1", SetupRequest{Code: code, User: "admin", Password: "another long password"}); domain.KindOf(err) != domain.Conflict {
		t.Fatalf("second setup: %v, want conflict", err)
	}
	if again, err := a.PrepareSetup(ctx); again != "" || err != nil {
		t.Fatalf("PrepareSetup with an admin: %q %v, want no code", again, err)
	}
	if got, ok := a.Session(tok); !ok || got.CSRF != s.CSRF {
		t.Fatal("the setup's session is not live")
	}
	if _, ok := a.Session("not-a-token"); ok {
		t.Fatal("an unknown token has a session")
	}
	// Idle expiry, and use keeps it alive.
	clk.t = clk.t.Add(50 * time.Minute)
	if _, ok := a.Session(tok); !ok {
		t.Fatal("session ended before its idle time")
	}
	clk.t = clk.t.Add(61 * time.Minute)
	if _, ok := a.Session(tok); ok {
		t.Fatal("session outlived its idle time")
	}
	// Login, logout.
	tok2, _, err := a.Login(ctx, "c1", "admin", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	a.Logout(tok2)
	if _, ok := a.Session(tok2); ok {
		t.Fatal("session outlived logout")
	}
	// Lock-out per client: the third failure locks c2, the right password
	// is then refused too, c1 is not affected, and it ends.
	for i := 0; i < 2; i++ {
		if _, _, err := a.Login(ctx, "c2", "admin", "wrong password!!"); !errors.Is(err, ErrBadLogin) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	var lo *LockedOutError
	if _, _, err := a.Login(ctx, "c2", "admin", "wrong password!!"); !errors.As(err, &lo) || lo.RetryAfter != time.Minute {
		t.Fatalf("third failure: %v, want a 1m lock-out", err)
	}
	if _, _, err := a.Login(ctx, "c2", "admin", "correct horse battery"); !errors.As(err, &lo) {
		t.Fatalf("right password while locked out: %v", err)
	}
	if _, _, err := a.Login(ctx, "c1", "admin", "correct horse battery"); err != nil {
		t.Fatalf("another client: %v", err)
	}
	clk.t = clk.t.Add(61 * time.Second)
	if _, _, err := a.Login(ctx, "c2", "admin", "correct horse battery"); err != nil {
		t.Fatalf("after the lock-out: %v", err)
	}
	// A wrong user name is the same answer as a wrong password.
	if _, _, err := a.Login(ctx, "c3", "root", "correct horse battery"); !errors.Is(err, ErrBadLogin) {
		t.Fatalf("wrong user: %v", err)
	}
	// Changing the password ends every session and needs the current one.
	tok3, s3, _ := a.Login(ctx, "c1", "admin", "correct horse battery")
	if _, _, err := a.ChangePassword(ctx, s3, "not the password", "a brand new password"); domain.KindOf(err) != domain.Invalid {
		t.Fatalf("change with a wrong current password: %v", err)
	}
	tok4, _, err := a.ChangePassword(ctx, s3, "correct horse battery", "a brand new password")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Session(tok3); ok {
		t.Fatal("old session outlived the password change")
	}
	if _, ok := a.Session(tok4); !ok {
		t.Fatal("the new session is not live")
	}
	if _, _, err := a.Login(ctx, "c1", "admin", "a brand new password"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
}

// gatedAdmin is memAdmin whose Admin reads wait for open to close once
// armed; waiting counts the reads held.
type gatedAdmin struct {
	memAdmin
	armed   atomic.Bool
	open    chan struct{}
	waiting atomic.Int32
}

func (g *gatedAdmin) Admin(ctx context.Context) (domain.EdgeUser, bool, error) {
	if g.armed.Load() {
		g.waiting.Add(1)
		<-g.open
	}
	return g.memAdmin.Admin(ctx)
}

// maxParallel wraps CheckPassword in a's check and records the most checks
// that ran at once.
func maxParallel(a *Accounts) *atomic.Int32 {
	var now, most atomic.Int32
	a.check = func(hash, password string) (bool, error) {
		n := now.Add(1)
		defer now.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond) // let the others pile up
		return CheckPassword(hash, password)
	}
	return &most
}

// Parallel guesses from one client cannot get past the lock-out: 39 wrong
// passwords in flight at once, then the right one, never sign in; and no
// more passwords are hashed at once than there are slots.
func TestLoginParallelGuessesLockedOut(t *testing.T) {
	ctx := context.Background()
	st := &gatedAdmin{open: make(chan struct{})}
	a, err := NewAccounts(st, AccountsConfig{Argon2: cheap, HashSlots: 2, HashWait: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	most := maxParallel(a)
	if err := a.SetPassword(ctx, "admin", "the right password"); err != nil {
		t.Fatal(err)
	}
	st.armed.Store(true)
	var wg sync.WaitGroup
	var refused atomic.Int32
	for range 39 {
		wg.Go(func() {
			_, _, err := a.Login(ctx, "10.0.0.9", "admin", "a wrong password")
			var le *LockedOutError
			if errors.As(err, &le) {
				refused.Add(1)
			} else if !errors.Is(err, ErrBadLogin) {
				t.Errorf("wrong password: %v", err)
			}
		})
	}
	// Wait until each wrong guess is either answered or held in the store.
	for deadline := time.Now().Add(10 * time.Second); st.waiting.Load()+refused.Load() < 39; {
		if time.Now().After(deadline) {
			t.Fatalf("guesses stuck: %d held, %d refused", st.waiting.Load(), refused.Load())
		}
		time.Sleep(time.Millisecond)
	}
	right := make(chan error, 1)
	wg.Go(func() {
		_, _, err := a.Login(ctx, "10.0.0.9", "admin", "the right password")
		right <- err
	})
	time.Sleep(20 * time.Millisecond)
	close(st.open)
	wg.Wait()
	if err := <-right; err == nil {
		t.Fatal("the right password signed in among 39 parallel wrong guesses")
	}
	if held := st.waiting.Load(); held > 5 {
		t.Errorf("%d guesses from one client reached the password check; the limit is 5", held)
	}
	if m := most.Load(); m > 2 {
		t.Errorf("%d passwords hashed at once; 2 slots", m)
	}
	// Once they are answered the client is locked out, right password or not.
	var le *LockedOutError
	if _, _, err := a.Login(ctx, "10.0.0.9", "admin", "the right password"); !errors.As(err, &le) {
		t.Fatalf("after 5 failures: %v, want a lock-out", err)
	}
}

// Many clients at once: at most the slot count hash together, and a login
// that finds no slot free in time is ErrBusy (Unavailable), not a failure.
func TestLoginHashSlots(t *testing.T) {
	ctx := context.Background()
	a, err := NewAccounts(&memAdmin{}, AccountsConfig{Argon2: cheap, HashSlots: 2, HashWait: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	most := maxParallel(a)
	if err := a.SetPassword(ctx, "admin", "the right password"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var busy atomic.Int32
	for i := range 40 {
		wg.Go(func() {
			_, _, err := a.Login(ctx, fmt.Sprintf("10.0.1.%d", i), "admin", "a wrong password")
			switch {
			case errors.Is(err, ErrBusy):
				if domain.KindOf(err) != domain.Unavailable {
					t.Errorf("busy is %v, want Unavailable", domain.KindOf(err))
				}
				busy.Add(1)
			case !errors.Is(err, ErrBadLogin):
				t.Errorf("login: %v", err)
			}
		})
	}
	wg.Wait()
	if m := most.Load(); m > 2 || m < 1 {
		t.Errorf("%d passwords hashed at once; 2 slots", m)
	}
	if busy.Load() == 0 {
		t.Error("40 parallel logins with 1 ms to find one of 2 slots: none was busy")
	}
}

// `vigil-edge admin set-password` is a second Accounts over the same store:
// the daemon's sessions end once it re-reads the admin record.
func TestSetPasswordElsewhereEndsSessions(t *testing.T) {
	ctx := context.Background()
	clk := &clock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	st := &memAdmin{}
	daemon, err := NewAccounts(st, AccountsConfig{Argon2: cheap, Now: clk.now, AdminRecheck: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := daemon.SetPassword(ctx, "admin", "a long password 1"); err != nil {
		t.Fatal(err)
	}
	tok, _, err := daemon.Login(ctx, "c0", "admin", "a long password 1")
	if err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(3 * time.Second)
	if _, ok := daemon.Session(tok); !ok {
		t.Fatal("the session ended without a password change")
	}
	tok2, _, err := daemon.Login(ctx, "c1", "admin", "a long password 1")
	if err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(3 * time.Second)
	if _, ok := daemon.Session(tok2); !ok {
		t.Fatal("a second session ended without a password change")
	}
	cli, err := NewAccounts(st, AccountsConfig{Argon2: cheap, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.SetPassword(ctx, "admin", "another long password"); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(3 * time.Second)
	for _, tk := range []string{tok, tok2} {
		if _, ok := daemon.Session(tk); ok {
			t.Fatal("a session outlived set-password in another process")
		}
	}
	tok3, _, err := daemon.Login(ctx, "c1", "admin", "another long password")
	if err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(3 * time.Second)
	if _, ok := daemon.Session(tok3); !ok {
		t.Fatal("a session with the new password ended")
	}
}

func TestNewSetupCode(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		code, err := NewSetupCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(code) != SetupCodeLength+1 || code[SetupCodeLength/2] != '-' || !validSetupCode(normalSetupCode(code)) {
			t.Fatalf("code %q: want XXXXX-XXXXX from %q", code, setupAlphabet)
		}
		if strings.ContainsAny(code, "01ILO") {
			t.Fatalf("code %q holds an ambiguous character", code)
		}
		if seen[code] {
			t.Fatalf("code %q issued twice in 200", code)
		}
		seen[code] = true
	}
}

// Wrong setup codes count like failed logins: after MaxFailures the client
// is locked out, even with the right code, while another client is not;
// a stored code that is not one NewSetupCode issues is replaced.
func TestSetupCodeLockout(t *testing.T) {
	ctx := context.Background()
	clk := &clock{time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	codes := &memCodes{code: "short"}
	a, err := NewAccounts(&memAdmin{}, AccountsConfig{Argon2: cheap, Now: clk.now, SetupCodes: codes,
		Limits: domain.LoginLimits{MaxFailures: 3, Window: time.Minute, Lockout: time.Minute, MaxLockout: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Setup(ctx, "c1", SetupRequest{Code: "short", User: "admin", Password: "correct horse battery"}); !errors.Is(err, ErrBadSetupCode) {
		t.Fatalf("a malformed stored code matched: %v", err)
	}
	code, err := a.PrepareSetup(ctx)
	if err != nil || code == "short" || !validSetupCode(normalSetupCode(code)) {
		t.Fatalf("PrepareSetup over a malformed code: %q %v", code, err)
	}
	var le *LockedOutError
	for i := 2; i <= 3; i++ { // c1 failed once already
		_, _, err := a.Setup(ctx, "c1", SetupRequest{Code: fmt.Sprintf("WRONG-CODE%d", i), User: "admin", Password: "correct horse battery"})
		if i < 3 && !errors.Is(err, ErrBadSetupCode) || i == 3 && !errors.As(err, &le) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	if _, _, err := a.Setup(ctx, "c1", SetupRequest{Code: code, User: "admin", Password: "correct horse battery"}); !errors.As(err, &le) {
		t.Fatalf("the right code while locked out: %v", err)
	}
	if _, _, err := a.Setup(ctx, "c2", SetupRequest{Code: "WRONG-CODE4", User: "admin", Password: "correct horse battery"}); !errors.Is(err, ErrBadSetupCode) {
		t.Fatalf("another client's wrong code: %v, want ErrBadSetupCode (not locked out)", err)
	}
	clk.t = clk.t.Add(2 * time.Minute)
	if _, _, err := a.Setup(ctx, "c1", SetupRequest{Code: code, User: "admin", Password: "correct horse battery"}); err != nil {
		t.Fatalf("the right code after the lock-out: %v", err)
	}
}
