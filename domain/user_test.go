package domain

import (
	"testing"
	"time"
)

func TestValidatePassword(t *testing.T) {
	for _, tc := range []struct {
		user, pw string
		ok       bool
	}{
		{"admin", "short", false},
		{"admin", "elevenchars", false},
		{"admin", "twelve chars", true},
		{"admin", "aaaaaaaaaaaaaaaa", false},
		{"adminadminadmin", "adminadminadmin", false},
		{"admin", string(make([]byte, 300)), false},
		{"admin", "correct horse battery staple", true},
	} {
		err := ValidateEdgePassword(tc.user, tc.pw)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateEdgePassword(%q, %q) = %v, want ok=%v", tc.user, tc.pw, err, tc.ok)
		}
		if err != nil && KindOf(err) != Invalid {
			t.Errorf("kind = %v, want invalid", KindOf(err))
		}
	}
}

func TestValidateUsername(t *testing.T) {
	for name, ok := range map[string]bool{"admin": true, "a.b_c-1": true, "": false, "a b": false, "é": false, "<x>": false} {
		if err := ValidateEdgeUsername(name); (err == nil) != ok {
			t.Errorf("ValidateEdgeUsername(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func TestLoginRulesLockOutAndDouble(t *testing.T) {
	r := LoginLimits{MaxFailures: 3, Window: time.Minute, Lockout: 10 * time.Second, MaxLockout: 25 * time.Second}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var rec LoginFailures
	for i := 0; i < 2; i++ {
		rec = r.Failed(rec, t0)
		if locked, _ := r.Locked(rec, t0); locked {
			t.Fatalf("locked after %d failures", i+1)
		}
	}
	rec = r.Failed(rec, t0)
	if locked, d := r.Locked(rec, t0); !locked || d != 10*time.Second {
		t.Fatalf("after 3 failures: locked=%v for %v, want 10s", locked, d)
	}
	t1 := t0.Add(11 * time.Second)
	if locked, _ := r.Locked(rec, t1); locked {
		t.Fatal("still locked after the lock-out")
	}
	for i := 0; i < 3; i++ {
		rec = r.Failed(rec, t1)
	}
	if _, d := r.Locked(rec, t1); d != 20*time.Second {
		t.Fatalf("second lock-out %v, want 20s", d)
	}
	t2 := t1.Add(21 * time.Second)
	for i := 0; i < 3; i++ {
		rec = r.Failed(rec, t2)
	}
	if _, d := r.Locked(rec, t2); d != 25*time.Second {
		t.Fatalf("third lock-out %v, want the 25s cap", d)
	}
	// Failures spread wider than the window never lock.
	var slow LoginFailures
	for i := 0; i < 10; i++ {
		at := t0.Add(time.Duration(i) * 61 * time.Second)
		slow = r.Failed(slow, at)
		if locked, _ := r.Locked(slow, at); locked {
			t.Fatalf("slow failures locked at %d", i)
		}
	}
	if (LoginLimits{}).Validate() == nil {
		t.Fatal("zero rules validate")
	}
}

func TestSessionRules(t *testing.T) {
	r := EdgeSessionRules{Idle: time.Hour, Absolute: 3 * time.Hour}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := EdgeSession{Created: t0, LastSeen: t0}
	if r.Expired(s, t0.Add(59*time.Minute)) {
		t.Fatal("expired before idle")
	}
	if !r.Expired(s, t0.Add(61*time.Minute)) {
		t.Fatal("not expired after idle")
	}
	s.LastSeen = t0.Add(170 * time.Minute)
	if !r.Expired(s, t0.Add(181*time.Minute)) {
		t.Fatal("not expired after absolute")
	}
	if got := r.Expires(s); !got.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("Expires = %v", got)
	}
}
