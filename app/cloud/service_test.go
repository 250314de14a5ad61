package cloud_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"vigil/adapters/inmem"
	"vigil/app/cloud"
	"vigil/domain"
)

// newService is the service over the in-memory twins, on a clock the
// test moves.
func newService(t *testing.T, cfg cloud.Config) (*cloud.Service, *inmem.Tenants, *time.Time) {
	t.Helper()
	st := &inmem.Tenants{}
	clock := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	svc, err := cloud.New(cloud.Stores{Accounts: st, Licenses: st, Seats: st, Devices: st, Gallery: st, Sessions: st, Limiter: st,
		Presigner: inmem.Presigner{Upload: "up", Production: "prod"}}, cfg, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, &clock
}

func TestEnrollAuthenticateGrantRevoke(t *testing.T) {
	ctx := context.Background()
	svc, st, clock := newService(t, cloud.Config{UploadLifetime: time.Minute})
	a, err := svc.CreateAccount(ctx, "Owner@Example.org", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	key, l, err := svc.IssueLicense(ctx, a.ID, 1, clock.AddDate(0, 1, 0))
	if err != nil || l.Seats != 1 || strings.Contains(l.KeyHash, key) {
		t.Fatalf("license %+v %v", l, err)
	}
	if _, err := svc.Enroll(ctx, "  "+key+"\n", "front door"); err != nil { // pasted keys keep their spaces
		t.Fatalf("enroll: %v", err)
	}
	if _, err := svc.Enroll(ctx, key, "back door"); domain.KindOf(err) != domain.Unlicensed {
		t.Fatalf("second enrollment on one seat: %v", err)
	}
	ds, _ := st.Devices(ctx, a.ID)
	if err := svc.Revoke(ctx, domain.Session{AccountID: a.ID}, ds[0].ID); err != nil {
		t.Fatal(err)
	}
	e, err := svc.Enroll(ctx, key, "back door")
	if err != nil {
		t.Fatal(err)
	}
	if e.AccountID != a.ID || !domain.ValidDeviceID(e.DeviceID) || len(e.Secret) < 40 {
		t.Fatalf("enrollment %+v", e)
	}
	d, err := svc.AuthenticateDevice(ctx, e.DeviceID, e.Secret)
	if err != nil || d.SecretHash == e.Secret || d.SecretHash == "" {
		t.Fatalf("authenticate %+v %v", d, err)
	}
	for _, bad := range [][2]string{{e.DeviceID, e.Secret + "x"}, {e.DeviceID, ""}, {"dev_x", e.Secret}, {ds[0].ID, e.Secret}} {
		if _, err := svc.AuthenticateDevice(ctx, bad[0], bad[1]); domain.KindOf(err) != domain.Unauthorized {
			t.Fatalf("authenticate %v: %v", bad, err)
		}
	}

	ev := domain.NewEventID(clock.Add(-time.Hour), [10]byte{7})
	g, err := svc.Grant(ctx, d, cloud.GrantRequest{EventID: string(ev), Name: domain.SnapshotName(ev, 3), Bytes: 1000, ContentType: "image/jpeg"})
	if err != nil {
		t.Fatal(err)
	}
	if g.Key != cloud.UploadKey(a.ID, e.DeviceID, ev, domain.SnapshotName(ev, 3)) || !strings.Contains(g.URL, "expires=60&length=1000") {
		t.Fatalf("grant %+v", g)
	}
	// Expired license: Unlicensed.
	*clock = clock.AddDate(0, 2, 0)
	if _, err := svc.Grant(ctx, d, cloud.GrantRequest{EventID: string(ev), Name: domain.SnapshotName(ev, 4), Bytes: 10, ContentType: "image/jpeg"}); domain.KindOf(err) != domain.Unlicensed {
		t.Fatalf("expired license: %v", err)
	}
	// Revoked: the secret stops working.
	if err := svc.Revoke(ctx, domain.Session{AccountID: a.ID}, e.DeviceID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AuthenticateDevice(ctx, e.DeviceID, e.Secret); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("revoked: %v", err)
	}
	if err := svc.Revoke(ctx, domain.Session{AccountID: a.ID}, "dev_nope"); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("revoke a malformed ID: %v", err)
	}
}

func TestLoginSessionsAndGallery(t *testing.T) {
	ctx := context.Background()
	svc, st, clock := newService(t, cloud.Config{SessionLifetime: time.Hour})
	a, err := svc.CreateAccount(ctx, "owner@example.org", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateAccount(ctx, "owner@example.org", "another long password"); domain.KindOf(err) != domain.Conflict {
		t.Fatalf("same address: %v", err)
	}
	_, _, err = svc.Login(ctx, "OWNER@example.org", "a wrong password", "1.2.3.4")
	_, _, err2 := svc.Login(ctx, "nobody@example.org", "a wrong password", "1.2.3.4")
	if domain.KindOf(err) != domain.Unauthorized || err2 == nil || err.Error() != err2.Error() {
		t.Fatalf("wrong password %v, unknown user %v: want the same error", err, err2)
	}
	token, se, err := svc.Login(ctx, "OWNER@example.org", "a long enough password", "1.2.3.4")
	if err != nil || se.AccountID != a.ID || se.CSRF == "" || strings.Contains(se.TokenHash, token) {
		t.Fatalf("login %+v %v", se, err)
	}
	if got, err := svc.Session(ctx, token); err != nil || got.AccountID != a.ID {
		t.Fatalf("session %+v %v", got, err)
	}
	if cloud.CheckCSRF(se, se.CSRF) != nil || cloud.CheckCSRF(se, "x") == nil {
		t.Fatal("CSRF")
	}

	dev := domain.NewDeviceID(*clock, [10]byte{1})
	ev := domain.NewEventID(clock.Add(-time.Minute), [10]byte{2})
	if err := st.PutImage(ctx, domain.ImageRecord{AccountID: a.ID, DeviceID: dev, ID: string(ev) + "-1", EventID: string(ev),
		Key: "images/k.jpg", ThumbKey: "thumbs/k.jpg"}); err != nil {
		t.Fatal(err)
	}
	imgs, next, err := svc.Images(ctx, se, domain.ImageQuery{})
	if err != nil || next != "" || len(imgs) != 1 || !strings.Contains(imgs[0].URL, "prod/images/k.jpg?expires=100") ||
		!strings.Contains(imgs[0].ThumbURL, "thumbs/k.jpg?expires=100") {
		t.Fatalf("images %+v %q %v", imgs, next, err)
	}
	one, err := svc.Image(ctx, se, imgs[0].Key)
	if err != nil || one.ID != string(ev)+"-1" {
		t.Fatalf("image %+v %v", one, err)
	}
	other := domain.Session{AccountID: domain.NewAccountID(*clock, [10]byte{9})}
	if _, err := svc.Image(ctx, other, imgs[0].Key); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("another account's image: %v", err)
	}
	if _, err := svc.Image(ctx, se, "../../etc/passwd"); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("malformed key: %v", err)
	}

	*clock = clock.Add(2 * time.Hour)
	if _, err := svc.Session(ctx, token); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("expired session: %v", err)
	}
	token, _, _ = svc.Login(ctx, "owner@example.org", "a long enough password", "1.2.3.4")
	if err := svc.Logout(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Session(ctx, token); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("after logout: %v", err)
	}
}

// TestDeviceStatus: a device hears its license's state and seats and its
// own rejected snapshots, never another device's.
func TestDeviceStatus(t *testing.T) {
	ctx := context.Background()
	svc, st, clock := newService(t, cloud.Config{StatusPerMinute: 5})
	a, err := svc.CreateAccount(ctx, "owner@example.org", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := svc.IssueLicense(ctx, a.ID, 3, clock.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	e1, err1 := svc.Enroll(ctx, key, "door")
	e2, err2 := svc.Enroll(ctx, key, "yard")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	d1, _ := svc.AuthenticateDevice(ctx, e1.DeviceID, e1.Secret)
	d2, _ := svc.AuthenticateDevice(ctx, e2.DeviceID, e2.Secret)
	ev := domain.NewEventID(clock.Add(-time.Hour), [10]byte{3})
	for _, r := range []domain.Rejection{
		{AccountID: a.ID, DeviceID: d1.ID, ID: string(ev) + "-1", Reason: domain.TrailingData, Detail: "12 bytes after the end", RejectedAt: clock.Add(-time.Minute)},
		{AccountID: a.ID, DeviceID: d1.ID, ID: "0123456789abcdef", Reason: domain.BadKey, RejectedAt: clock.Add(-time.Minute)},
		{AccountID: a.ID, DeviceID: d2.ID, ID: string(ev) + "-2", Reason: domain.Corrupt, RejectedAt: clock.Add(-time.Minute)},
	} {
		if err := st.PutRejection(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := svc.DeviceStatus(ctx, d1, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := domain.SeatStatus{Status: "active", Seats: 3, SeatsUsed: 2, Expires: clock.AddDate(0, 1, 0)}
	if got.DeviceID != d1.ID || got.Name != "door" || got.License.Status != want.Status || got.License.Seats != 3 ||
		got.License.SeatsUsed != 2 || !got.License.Expires.Equal(want.Expires) {
		t.Fatalf("status %+v", got)
	}
	if len(got.Rejected) != 1 || got.Rejected[0].Name != string(ev)+"-1.jpg" || got.Rejected[0].Reason != domain.TrailingData ||
		got.Rejected[0].Text() != "trailing_data: 12 bytes after the end" {
		t.Fatalf("rejected %+v: want only the device's own snapshot", got.Rejected)
	}
	if got, err := svc.DeviceStatus(ctx, d1, clock.Add(time.Second)); err != nil || len(got.Rejected) != 0 {
		t.Fatalf("since after the rejection: %+v %v", got.Rejected, err)
	}
	if _, err := svc.DeviceStatus(ctx, d1, clock.AddDate(0, 0, 2)); domain.KindOf(err) != domain.Invalid {
		t.Fatalf("since in the future: %v", err)
	}
	// Suspended, then expired: the device is told, not refused.
	if err := svc.SetLicenseState(ctx, a.ID, domain.LicenseSuspended); err != nil {
		t.Fatal(err)
	}
	if got, err := svc.DeviceStatus(ctx, d2, time.Time{}); err != nil || got.License.Status != "suspended" || len(got.Rejected) != 1 ||
		got.Rejected[0].Reason != domain.Corrupt {
		t.Fatalf("suspended: %+v %v", got, err)
	}
	_ = svc.SetLicenseState(ctx, a.ID, domain.LicenseActive)
	*clock = clock.AddDate(0, 2, 0)
	if got, err := svc.DeviceStatus(ctx, d2, time.Time{}); err != nil || got.License.Status != "expired" {
		t.Fatalf("expired: %+v %v", got, err)
	}
	// Five a minute per device (the clock moved on: a new window).
	limited := false
	for range 6 {
		if _, err := svc.DeviceStatus(ctx, d1, time.Time{}); errors.Is(err, cloud.ErrRateLimited) {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("no rate limit after 6 requests with 5 a minute")
	}
}

// TestLoginBoundsPasswordChecks: more sign-ins at once than password check
// slots do not all hash at once (19 MiB each); the ones that find no free
// slot within the short wait are refused at once with ErrBusy
// (Unavailable), and sign-ins work again when the burst is over.
func TestLoginBoundsPasswordChecks(t *testing.T) {
	ctx := context.Background()
	const wait = 5 * time.Millisecond
	svc, _, _ := newService(t, cloud.Config{PasswordChecks: 1, PasswordWait: wait})
	if _, err := svc.CreateAccount(ctx, "owner@example.org", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	const n = 8
	type result struct {
		err  error
		took time.Duration
	}
	results := make(chan result, n)
	start := make(chan struct{})
	for i := range n {
		go func() {
			<-start
			t0 := time.Now()
			_, _, err := svc.Login(ctx, "owner@example.org", "a long enough password", fmt.Sprintf("10.0.0.%d", i))
			results <- result{err, time.Since(t0)}
		}()
	}
	close(start)
	var ok, busy int
	for range n {
		r := <-results
		switch {
		case r.err == nil:
			ok++
		case errors.Is(r.err, cloud.ErrBusy) && domain.KindOf(r.err) == domain.Unavailable:
			busy++
			if r.took > wait+time.Second {
				t.Errorf("a busy sign-in took %s to be refused", r.took)
			}
		default:
			t.Errorf("login: %v", r.err)
		}
	}
	if ok < 1 || busy < 1 {
		t.Fatalf("%d signed in, %d refused as busy: want some of each with one slot for %d at once", ok, busy, n)
	}
	if _, _, err := svc.Login(ctx, "owner@example.org", "a long enough password", "10.0.1.1"); err != nil {
		t.Fatalf("after the burst: %v", err)
	}
}

// TestLoginLockout: an attacker's failed attempts from another client do
// not lock the owner out; only failures from many clients reach the
// address's ceiling, and the owner's own sign-ins do not count against it.
func TestLoginLockout(t *testing.T) {
	ctx := context.Background()
	svc, _, clock := newService(t, cloud.Config{LoginsPerWindow: 3, LoginFailuresPerWindow: 8, LoginWindow: 15 * time.Minute})
	if _, err := svc.CreateAccount(ctx, "owner@example.org", "a long enough password"); err != nil {
		t.Fatal(err)
	}
	login := func(password, client string) error {
		_, _, err := svc.Login(ctx, "owner@example.org", password, client)
		return err
	}
	// The attacker uses up its attempts from one client.
	for i := range 3 {
		if err := login("a wrong password", "6.6.6.6"); domain.KindOf(err) != domain.Unauthorized {
			t.Fatalf("attack %d: %v", i, err)
		}
	}
	if err := login("a wrong password", "6.6.6.6"); !errors.Is(err, cloud.ErrRateLimited) {
		t.Fatalf("fourth attack from one client: %v, want rate limited", err)
	}
	// The owner, elsewhere, still signs in, more times than the ceiling of
	// failures (successes do not count against it).
	for i := range 3 {
		if err := login("a long enough password", fmt.Sprintf("1.1.1.%d", i)); err != nil {
			t.Fatalf("owner after the attack: %v", err)
		}
	}
	// Failures spread over many clients reach the ceiling (3 counted so
	// far, 5 more): then even the right password is refused, from anywhere.
	for i := range 5 {
		if err := login("a wrong password", fmt.Sprintf("7.7.7.%d", i)); domain.KindOf(err) != domain.Unauthorized {
			t.Fatalf("spread attack %d: %v", i, err)
		}
	}
	if err := login("a long enough password", "1.1.1.9"); !errors.Is(err, cloud.ErrRateLimited) {
		t.Fatalf("past the ceiling: %v, want rate limited", err)
	}
	// A window later, the owner is back.
	*clock = clock.Add(15*time.Minute + 15*time.Minute/domain.RateSlots)
	if err := login("a long enough password", "1.1.1.9"); err != nil {
		t.Fatalf("a window later: %v", err)
	}
}

// failingLicenses fails chosen steps of issuing a license: the store's
// write commits and then answers an error (a failed cleanup), and/or the
// re-read fails once.
type failingLicenses struct {
	*inmem.Tenants
	issueErr, readErr error
}

func (f *failingLicenses) IssueLicense(ctx context.Context, l domain.License) error {
	if err := f.Tenants.IssueLicense(ctx, l); err != nil {
		return err
	}
	return f.issueErr
}

func (f *failingLicenses) License(ctx context.Context, acct string) (domain.License, error) {
	if err := f.readErr; err != nil {
		f.readErr = nil
		return domain.License{}, err
	}
	return f.Tenants.License(ctx, acct)
}

// TestIssueLicenseKeepsTheKey: once the license is stored with its new
// key, the key is returned (with an ErrIssued warning) even when the old
// key's cleanup or the re-read fails; it enrolls devices. A write that
// did not commit returns no key.
func TestIssueLicenseKeepsTheKey(t *testing.T) {
	ctx := context.Background()
	clock := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	st := &inmem.Tenants{}
	fl := &failingLicenses{Tenants: st}
	svc, err := cloud.New(cloud.Stores{Accounts: st, Licenses: fl, Seats: st, Devices: st, Gallery: st, Sessions: st, Limiter: st,
		Presigner: inmem.Presigner{Upload: "up", Production: "prod"}}, cloud.Config{}, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.CreateAccount(ctx, "owner@example.org", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.IssueLicense(ctx, a.ID, 2, clock.AddDate(1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	cleanup := domain.E("issue license", domain.Unavailable, errors.New("deleting the old key's lookup: throttled"))
	for _, tc := range []struct {
		name              string
		issueErr, readErr error
	}{
		{"cleanup fails", cleanup, nil},
		{"re-read fails", nil, domain.E("license", domain.Unavailable, errors.New("timeout"))},
	} {
		fl.issueErr, fl.readErr = tc.issueErr, tc.readErr
		key, l, err := svc.IssueLicense(ctx, a.ID, 3, clock.AddDate(1, 0, 0))
		if !errors.Is(err, cloud.ErrIssued) || key == "" || l.Seats != 3 {
			t.Fatalf("%s: key %q, license %+v, %v: want the key and ErrIssued", tc.name, key, l, err)
		}
		fl.issueErr = nil
		if _, err := svc.Enroll(ctx, key, "cam "+tc.name); err != nil {
			t.Fatalf("%s: enroll with the key shown: %v", tc.name, err)
		}
	}
	// The write fails and the license keeps its old key: no key shown.
	fl.issueErr = nil
	before, _ := st.License(ctx, a.ID)
	key, _, err := svc.IssueLicense(ctx, a.ID, 1, clock.AddDate(1, 0, 0)) // fewer seats than in use
	if err == nil || errors.Is(err, cloud.ErrIssued) || key != "" {
		t.Fatalf("refused renewal: key %q, %v", key, err)
	}
	if after, _ := st.License(ctx, a.ID); after.KeyHash != before.KeyHash {
		t.Fatal("a refused renewal changed the key")
	}
}
