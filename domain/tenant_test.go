package domain

import (
	"strings"
	"testing"
	"time"
)

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{"Owner@Example.org": "owner@example.org", " a.b+c@d.example ": "a.b+c@d.example"} {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "no-at", "a@b", "Name <a@b.org>", "a@b.org, c@d.org", strings.Repeat("a", 250) + "@b.org"} {
		if _, err := NormalizeEmail(bad); KindOf(err) != Invalid {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLicenseRules(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	acct := NewAccountID(now, [10]byte{1})
	if !ValidAccountID(acct) || !ValidDeviceID(NewDeviceID(now, [10]byte{2})) {
		t.Fatal("IDs do not match their patterns")
	}
	if _, err := NewLicense("acct_x", "", 0, now, now); KindOf(err) != Invalid || strings.Count(err.Error(), "\n") != 3 {
		t.Fatalf("every problem at once: %v", err)
	}
	l, err := NewLicense(acct, "h", 2, now.Add(time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	if l.CanEnroll(now) != nil || l.SeatsFree() != 2 {
		t.Fatal("a new license admits nobody")
	}
	l.SeatsUsed = 2
	if err := l.CanEnroll(now); KindOf(err) != Unlicensed || !strings.Contains(err.Error(), "seats") {
		t.Fatalf("full: %v", err)
	}
	l.SeatsUsed = 0
	if err := l.CanEnroll(now.Add(2 * time.Hour)); KindOf(err) != Unlicensed || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired: %v", err)
	}
	l.State = LicenseSuspended
	if err := l.CanEnroll(now); KindOf(err) != Unlicensed || !strings.Contains(err.Error(), "suspended") {
		t.Fatalf("suspended: %v", err)
	}
}

func TestPasswordsNamesAndImageKeys(t *testing.T) {
	for _, bad := range []string{"short", strings.Repeat(" ", 12), strings.Repeat("x", 257), "\xff\xfe0123456789"} {
		if CheckPassword(bad) == nil {
			t.Errorf("password %q accepted", bad)
		}
	}
	if CheckPassword("a long enough password") != nil {
		t.Error("good password refused")
	}
	for _, bad := range []string{"", "  ", "tab\there", strings.Repeat("n", 65)} {
		if ValidDeviceName(bad) == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	dev := NewDeviceID(time.Now(), [10]byte{3})
	k := ImageKey(dev, "01JDZ2F7QH4M8RS0XK3V9TB6WX-2")
	d, id, ev, err := ParseImageKey(k)
	if err != nil || d != dev || id != "01JDZ2F7QH4M8RS0XK3V9TB6WX-2" || ev != "01JDZ2F7QH4M8RS0XK3V9TB6WX" {
		t.Fatalf("%s: %s %s %s %v", k, d, id, ev, err)
	}
	for _, bad := range []string{"", dev, dev + ".x", "dev_x.01JDZ2F7QH4M8RS0XK3V9TB6WX-2", dev + ".01JDZ2F7QH4M8RS0XK3V9TB6WX-02", dev + "/../x"} {
		if _, _, _, err := ParseImageKey(bad); KindOf(err) != Invalid {
			t.Errorf("key %q accepted", bad)
		}
	}
	q := ImageQuery{}
	if q.Validate() != nil || q.Limit != 24 {
		t.Fatal("zero query")
	}
	if err := (&ImageQuery{Limit: 101, DeviceID: "x"}).Validate(); KindOf(err) != Invalid || !strings.Contains(err.Error(), "device") {
		t.Fatalf("bad query: %v", err)
	}
}
