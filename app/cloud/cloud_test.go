package cloud

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/domain"
)

func TestPasswordHashes(t *testing.T) {
	h, err := hashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "correct") {
		t.Fatalf("hash %q", h)
	}
	h2, _ := hashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("no salt")
	}
	if ok, err := verifyPassword("correct horse battery", h); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, err := verifyPassword("correct horse batterY", h); ok || err != nil {
		t.Fatalf("wrong password: %v %v", ok, err)
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=999999999,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=19456,t=2,p=1$!!$!!"} {
		if ok, err := verifyPassword("x", bad); ok || err == nil {
			t.Errorf("hash %q: %v %v", bad, ok, err)
		}
	}
}

func TestLicenseKeysAndTokens(t *testing.T) {
	k, err := newLicenseKey()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^VGL-[0-9A-F]{8}(-[0-9A-F]{8}){4}$`).MatchString(k) {
		t.Fatalf("key %q", k)
	}
	k2, _ := newLicenseKey()
	if k == k2 || hashToken(k) == hashToken(k2) || len(hashToken(k)) != 64 {
		t.Fatal("keys or hashes repeat")
	}
	tok, _ := randomToken(32)
	if len(tok) != 43 {
		t.Fatalf("token %q", tok)
	}
}

func TestConfigAndUploadKey(t *testing.T) {
	c := Config{}.WithDefaults()
	if GalleryLifetime != 100*time.Second || c.UploadLifetime != 5*time.Minute || c.Validate() != nil {
		t.Fatalf("defaults %+v", c)
	}
	bad := Config{UploadLifetime: 6 * time.Minute, SessionLifetime: time.Second, PasswordChecks: -1}.WithDefaults()
	err := bad.Validate()
	if domain.KindOf(err) != domain.Invalid || !strings.Contains(err.Error(), "upload URL") || !strings.Contains(err.Error(), "password checks") ||
		!strings.Contains(err.Error(), "session") {
		t.Fatalf("bad config: %v", err)
	}
	ev, _ := domain.ParseEventID("01JDZ2F7QH4M8RS0XK3V9TB6WX")
	got := UploadKey("acct_01JDZ2F7QH4M8RS0XK3V9TB6WX", "dev_01JDZ2F7QH4M8RS0XK3V9TB6WX", ev, "01JDZ2F7QH4M8RS0XK3V9TB6WX-2.jpg")
	want := "uploads/acct_01JDZ2F7QH4M8RS0XK3V9TB6WX/dev_01JDZ2F7QH4M8RS0XK3V9TB6WX/" + ev.Time().UTC().Format("2006/01/02") + "/01JDZ2F7QH4M8RS0XK3V9TB6WX-2.jpg"
	if got != want {
		t.Fatalf("key %s, want %s", got, want)
	}
	if _, err := New(Stores{}, Config{}, nil); err == nil {
		t.Fatal("New without stores")
	}
}

func TestCSRF(t *testing.T) {
	se := domain.Session{CSRF: "abc"}
	if CheckCSRF(se, "abc") != nil || CheckCSRF(se, "abd") == nil || CheckCSRF(se, "") == nil || CheckCSRF(domain.Session{}, "") == nil {
		t.Fatal("CSRF check")
	}
}
