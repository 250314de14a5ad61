// Package cloudtest is the contract of the cloud app's stores: one suite
// that every implementation passes (adapters/dynamodb against dynalite,
// adapters/inmem in memory), so the twin used by unit tests behaves as the
// real table does.
package cloudtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// Store is everything the cloud app and the validator keep in the table.
type Store interface {
	ports.Accounts
	ports.Licenses
	ports.Seats
	ports.Devices
	ports.Gallery
	ports.Sessions
	ports.RateLimiter
	ports.ImageIndex
	ports.Directory
}

// Run runs the suite; open returns a new, empty store for each test.
func Run(t *testing.T, open func(t *testing.T) Store) {
	t.Run("Accounts", func(t *testing.T) { testAccounts(t, open(t)) })
	t.Run("Licenses", func(t *testing.T) { testLicenses(t, open(t)) })
	t.Run("Seats", func(t *testing.T) { testSeats(t, open(t)) })
	t.Run("Images", func(t *testing.T) { testImages(t, open(t)) })
	t.Run("Rejections", func(t *testing.T) { testRejections(t, open(t)) })
	t.Run("DeviceRejections", func(t *testing.T) { testDeviceRejections(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open(t)) })
	t.Run("RateLimits", func(t *testing.T) { testRates(t, open(t)) })
}

func ctxOf(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func entropy() [10]byte {
	var e [10]byte
	_, _ = rand.Read(e[:])
	return e
}

func hexOf(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// tenant is an account with a license of seats seats (no device).
type tenant struct {
	acct    domain.Account
	keyHash string
}

func newTenant(t *testing.T, s Store, seats int) tenant {
	t.Helper()
	ctx := ctxOf(t)
	a := domain.Account{ID: domain.NewAccountID(now, entropy()), Email: "o-" + hexOf(4) + "@example.org", Created: now}
	if err := s.CreateAccount(ctx, a, domain.User{Email: a.Email, AccountID: a.ID, PasswordHash: "h", Created: now}); err != nil {
		t.Fatal(err)
	}
	l, err := domain.NewLicense(a.ID, hexOf(32), seats, now.AddDate(1, 0, 0), now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.IssueLicense(ctx, l); err != nil {
		t.Fatal(err)
	}
	return tenant{acct: a, keyHash: l.KeyHash}
}

func newDevice(acct string) domain.Device {
	return domain.Device{AccountID: acct, ID: domain.NewDeviceID(now, entropy()), Name: "cam", SecretHash: hexOf(32), Enrolled: now}
}

func (tn tenant) enroll(t *testing.T, s Store) domain.Device {
	t.Helper()
	d := newDevice(tn.acct.ID)
	if err := s.Enroll(ctxOf(t), d, tn.keyHash, now); err != nil {
		t.Fatal(err)
	}
	return d
}

func want(t *testing.T, what string, err error, k domain.Kind) {
	t.Helper()
	if domain.KindOf(err) != k || (k != domain.Internal && err == nil) {
		t.Fatalf("%s: %v, want %v", what, err, k)
	}
}

func testAccounts(t *testing.T, s Store) {
	ctx := ctxOf(t)
	tn := newTenant(t, s, 1)
	u, err := s.User(ctx, tn.acct.Email)
	if err != nil || u.AccountID != tn.acct.ID || u.PasswordHash != "h" {
		t.Fatalf("user %+v %v", u, err)
	}
	a, err := s.Account(ctx, tn.acct.ID)
	if err != nil || a.Email != tn.acct.Email {
		t.Fatalf("account %+v %v", a, err)
	}
	_, err = s.User(ctx, "nobody@example.org")
	want(t, "unknown user", err, domain.NotFound)
	_, err = s.Account(ctx, domain.NewAccountID(now, entropy()))
	want(t, "unknown account", err, domain.NotFound)
	_, err = s.Account(ctx, "acct_../x")
	want(t, "malformed account", err, domain.Invalid)
	other := domain.Account{ID: domain.NewAccountID(now, entropy()), Email: tn.acct.Email}
	want(t, "same e-mail", s.CreateAccount(ctx, other, domain.User{Email: tn.acct.Email, AccountID: other.ID, PasswordHash: "x"}), domain.Conflict)
	want(t, "user of another account", s.CreateAccount(ctx, other, domain.User{Email: "x@example.org", AccountID: tn.acct.ID, PasswordHash: "x"}), domain.Invalid)
	if _, err := s.Account(ctx, other.ID); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("a refused account exists: %v", err)
	}
}

func testLicenses(t *testing.T, s Store) {
	ctx := ctxOf(t)
	tn := newTenant(t, s, 2)
	tn.enroll(t, s)
	l, err := s.LicenseByKey(ctx, tn.keyHash)
	if err != nil || l.AccountID != tn.acct.ID || l.Seats != 2 || l.SeatsUsed != 1 || l.Status(now) != "active" {
		t.Fatalf("license by key %+v %v", l, err)
	}
	_, err = s.LicenseByKey(ctx, "nope")
	want(t, "unknown key", err, domain.Unauthorized)
	// Renewal: a new key replaces the old; seats in use stay.
	renewed, _ := domain.NewLicense(tn.acct.ID, hexOf(32), 5, now.AddDate(2, 0, 0), now)
	if err := s.IssueLicense(ctx, renewed); err != nil {
		t.Fatal(err)
	}
	_, err = s.LicenseByKey(ctx, tn.keyHash)
	want(t, "the old key", err, domain.Unauthorized)
	if l, _ := s.License(ctx, tn.acct.ID); l.Seats != 5 || l.SeatsUsed != 1 || !l.Expires.Equal(renewed.Expires) {
		t.Fatalf("renewed %+v", l)
	}
	shrunk, _ := domain.NewLicense(tn.acct.ID, hexOf(32), 1, now.AddDate(2, 0, 0), now)
	shrunk.Seats = 0
	want(t, "fewer seats than in use", s.IssueLicense(ctx, shrunk), domain.Conflict)
	if _, err := s.LicenseByKey(ctx, shrunk.KeyHash); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("a refused license's key works: %v", err)
	}
	orphan, _ := domain.NewLicense(domain.NewAccountID(now, entropy()), hexOf(32), 1, now.AddDate(1, 0, 0), now)
	want(t, "license of no account", s.IssueLicense(ctx, orphan), domain.NotFound)
	// States.
	if err := s.SetLicenseState(ctx, tn.acct.ID, domain.LicenseSuspended); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.License(ctx, tn.acct.ID); l.Status(now) != "suspended" {
		t.Fatalf("suspended: %+v", l)
	}
	want(t, "bad state", s.SetLicenseState(ctx, tn.acct.ID, "gone"), domain.Invalid)
	want(t, "state of no license", s.SetLicenseState(ctx, orphan.AccountID, domain.LicenseActive), domain.NotFound)
}

func testSeats(t *testing.T, s Store) {
	ctx := ctxOf(t)
	tn := newTenant(t, s, 3)
	const n = 9
	errs := make([]error, n)
	devs := make([]domain.Device, n)
	var wg sync.WaitGroup
	for i := range n {
		devs[i] = newDevice(tn.acct.ID)
		wg.Go(func() { errs[i] = s.Enroll(ctx, devs[i], tn.keyHash, now) })
	}
	wg.Wait()
	var in []domain.Device
	for i, err := range errs {
		switch domain.KindOf(err) {
		case domain.Internal:
			if err != nil {
				t.Fatal(err)
			}
			in = append(in, devs[i])
		case domain.Unlicensed:
		default:
			t.Fatalf("enrollment %d: %v", i, err)
		}
	}
	if len(in) != 3 {
		t.Fatalf("%d of %d concurrent enrollments on 3 seats succeeded", len(in), n)
	}
	ds, err := s.Devices(ctx, tn.acct.ID)
	if err != nil || len(ds) != 3 {
		t.Fatalf("devices %d %v", len(ds), err)
	}
	got, err := s.DeviceByID(ctx, in[0].ID)
	if err != nil || got.AccountID != tn.acct.ID || got.SecretHash != in[0].SecretHash {
		t.Fatalf("device by ID %+v %v", got, err)
	}
	// Revoke frees one seat, once.
	if err := s.Revoke(ctx, tn.acct.ID, in[0].ID, now); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, tn.acct.ID, in[0].ID, now); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	if d, _ := s.Device(ctx, tn.acct.ID, in[0].ID); !d.Revoked || !d.RevokedAt.Equal(now) {
		t.Fatalf("revoked device %+v", d)
	}
	if l, _ := s.License(ctx, tn.acct.ID); l.SeatsUsed != 2 {
		t.Fatalf("seats used after revoke: %d", l.SeatsUsed)
	}
	tn.enroll(t, s)
	want(t, "over the seats", s.Enroll(ctx, newDevice(tn.acct.ID), tn.keyHash, now), domain.Unlicensed)
	// A device that exists already: Conflict, and its seat is not kept.
	if err := s.Revoke(ctx, tn.acct.ID, in[1].ID, now); err != nil {
		t.Fatal(err)
	}
	want(t, "existing device", s.Enroll(ctx, in[1], tn.keyHash, now), domain.Conflict)
	if l, _ := s.License(ctx, tn.acct.ID); l.SeatsUsed != 2 {
		t.Fatalf("seats used after a refused device: %d", l.SeatsUsed)
	}
	want(t, "wrong key", s.Enroll(ctx, newDevice(tn.acct.ID), "wrong", now), domain.Unauthorized)
	err = s.Enroll(ctx, newDevice(tn.acct.ID), tn.keyHash, now.AddDate(3, 0, 0))
	if want(t, "expired", err, domain.Unlicensed); !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired: %v", err)
	}
	// Another account sees none of it.
	other := newTenant(t, s, 1)
	_, err = s.Device(ctx, other.acct.ID, in[2].ID)
	want(t, "another account's device", err, domain.NotFound)
	want(t, "revoke another account's device", s.Revoke(ctx, other.acct.ID, in[2].ID, now), domain.NotFound)
	if d, _ := s.Device(ctx, tn.acct.ID, in[2].ID); d.Revoked {
		t.Fatal("another account revoked the device")
	}
	want(t, "enroll into another account with one's key", s.Enroll(ctx, newDevice(other.acct.ID), tn.keyHash, now), domain.Unauthorized)
	st, err := s.Standing(ctx, tn.acct.ID, in[2].ID)
	if err != nil || st.Check(now) != "" {
		t.Fatalf("standing %+v %v", st, err)
	}
}

func image(acct, dev string, at time.Time, faces int) domain.ImageRecord {
	ev := domain.NewEventID(at, entropy())
	r := domain.ImageRecord{AccountID: acct, DeviceID: dev, ID: string(ev) + "-1", EventID: string(ev), TakenAt: at, VerifiedAt: at.Add(time.Second),
		Key: "images/" + string(ev), ThumbKey: "thumbs/" + string(ev), Bytes: 100, Width: 64, Height: 48, SHA256: hexOf(32)}
	for range faces {
		r.Faces = append(r.Faces, domain.Face{Box: domain.Box{X0: .25, Y0: .5, X1: .75, Y1: 1}, Score: 3.5})
	}
	return r
}

func testImages(t *testing.T, s Store) {
	ctx := ctxOf(t)
	tn := newTenant(t, s, 2)
	d1, d2 := tn.enroll(t, s), tn.enroll(t, s)
	day1 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var all []string // newest first
	for i := range 12 {
		d := d1.ID
		if i%3 == 0 {
			d = d2.ID
		}
		r := image(tn.acct.ID, d, day1.Add(time.Duration(i)*3*time.Hour), i%2)
		if err := s.PutImage(ctx, r); err != nil {
			t.Fatal(err)
		}
		all = append([]string{r.ID}, all...)
	}
	first := image(tn.acct.ID, d1.ID, day1.Add(-time.Hour), 1)
	if err := s.PutImage(ctx, first); err != nil {
		t.Fatal(err)
	}
	all = append(all, first.ID)
	again := first
	again.Bytes = 1
	want(t, "second put", s.PutImage(ctx, again), domain.Conflict)
	got, err := s.Image(ctx, tn.acct.ID, d1.ID, first.ID)
	if err != nil || got.Bytes != 100 || len(got.Faces) != 1 || got.Faces[0] != first.Faces[0] || !got.TakenAt.Equal(first.TakenAt) || got.SHA256 != first.SHA256 {
		t.Fatalf("image read back %+v %v", got, err)
	}
	if d, _ := s.Device(ctx, tn.acct.ID, d1.ID); d.LastUpload.IsZero() {
		t.Fatal("no last upload time")
	}

	list := func(q domain.ImageQuery) []domain.ImageRecord {
		t.Helper()
		var out []domain.ImageRecord
		for pages := 0; ; pages++ {
			p, err := s.Images(ctx, tn.acct.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Images) > q.Limit || pages > 20 {
				t.Fatalf("page of %d with limit %d", len(p.Images), q.Limit)
			}
			out = append(out, p.Images...)
			if p.Next == "" {
				return out
			}
			q.Cursor = p.Next
		}
	}
	var ids []string
	for _, r := range list(domain.ImageQuery{Limit: 5}) {
		ids = append(ids, r.ID)
	}
	if fmt.Sprint(ids) != fmt.Sprint(all) {
		t.Fatalf("listing\n got %v\nwant %v", ids, all)
	}
	count := func(q domain.ImageQuery, keep func(domain.ImageRecord) bool) int {
		t.Helper()
		rs := list(q)
		for _, r := range rs {
			if !keep(r) {
				t.Fatalf("filter %+v let %+v through", q, r)
			}
		}
		return len(rs)
	}
	if n := count(domain.ImageQuery{Limit: 3, DeviceID: d2.ID}, func(r domain.ImageRecord) bool { return r.DeviceID == d2.ID }); n != 4 {
		t.Fatalf("device filter: %d, want 4", n)
	}
	if n := count(domain.ImageQuery{Limit: 3, WithFaces: true}, func(r domain.ImageRecord) bool { return len(r.Faces) > 0 }); n != 7 {
		t.Fatalf("faces filter: %d, want 7", n)
	}
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	if n := count(domain.ImageQuery{Limit: 2, Day: day}, func(r domain.ImageRecord) bool { return r.TakenAt.Truncate(24 * time.Hour).Equal(day) }); n != 7 {
		t.Fatalf("day filter: %d, want 7", n)
	}
	_, err = s.Images(ctx, tn.acct.ID, domain.ImageQuery{Cursor: "!!"})
	want(t, "bad cursor", err, domain.Invalid)
	_, err = s.Images(ctx, tn.acct.ID, domain.ImageQuery{Limit: 1000})
	want(t, "huge limit", err, domain.Invalid)
	// Another account: nothing, not even by ID.
	other := newTenant(t, s, 1)
	if p, err := s.Images(ctx, other.acct.ID, domain.ImageQuery{}); err != nil || len(p.Images) != 0 {
		t.Fatalf("another account's listing %+v %v", p, err)
	}
	_, err = s.Image(ctx, other.acct.ID, d1.ID, first.ID)
	want(t, "another account's image", err, domain.NotFound)
	_, err = s.Image(ctx, tn.acct.ID, d1.ID, "nonsense")
	want(t, "malformed image ID", err, domain.Invalid)
}

func testRejections(t *testing.T, s Store) {
	ctx := ctxOf(t)
	tn := newTenant(t, s, 1)
	d := tn.enroll(t, s)
	var ids []string
	for i := range 4 {
		ev := domain.NewEventID(now.Add(time.Duration(i)*time.Minute), entropy())
		r := domain.Rejection{AccountID: tn.acct.ID, DeviceID: d.ID, ID: string(ev) + "-1", Reason: "bad-signature", Detail: fmt.Sprint(i), RejectedAt: now}
		if err := s.PutRejection(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids = append([]string{r.ID}, ids...)
		r.RejectedAt = now.Add(time.Hour)
		want(t, "second rejection", s.PutRejection(ctx, r), domain.Conflict)
	}
	if err := s.PutRejection(ctx, domain.Rejection{ID: hexOf(16), SourceKey: "junk", Reason: "bad-key", RejectedAt: now}); err != nil {
		t.Fatalf("rejection of no account: %v", err)
	}
	want(t, "rejection without ID", s.PutRejection(ctx, domain.Rejection{AccountID: tn.acct.ID}), domain.Invalid)
	var got []string
	cursor := ""
	for {
		p, err := s.Rejections(ctx, tn.acct.ID, 3, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Rejections {
			got = append(got, r.ID)
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if fmt.Sprint(got) != fmt.Sprint(ids) {
		t.Fatalf("rejections\n got %v\nwant %v", got, ids)
	}
	other := newTenant(t, s, 1)
	if p, err := s.Rejections(ctx, other.acct.ID, 10, ""); err != nil || len(p.Rejections) != 0 {
		t.Fatalf("another account's rejections %+v %v", p, err)
	}
}

// testDeviceRejections: one device's rejections, newest first, bounded,
// since a time; never another device's or another account's.
func testDeviceRejections(t *testing.T, s Store) {
	ctx := ctxOf(t)
	tn := newTenant(t, s, 2)
	d, other := tn.enroll(t, s), tn.enroll(t, s)
	var mine []string // newest first
	for i := range 5 {
		for _, dev := range []domain.Device{d, other} {
			ev := domain.NewEventID(now.Add(time.Duration(i)*time.Minute), entropy())
			r := domain.Rejection{AccountID: tn.acct.ID, DeviceID: dev.ID, ID: string(ev) + "-2", Reason: domain.TrailingData,
				Detail: dev.Name, RejectedAt: now.Add(time.Duration(i) * time.Hour)}
			if err := s.PutRejection(ctx, r); err != nil {
				t.Fatal(err)
			}
			if dev.ID == d.ID {
				mine = append([]string{r.ID}, mine...)
			}
		}
	}
	ids := func(rs []domain.Rejection) []string {
		var out []string
		for _, r := range rs {
			if r.DeviceID != d.ID || r.AccountID != tn.acct.ID || r.Reason != domain.TrailingData {
				t.Fatalf("rejection %+v is not of device %s", r, d.ID)
			}
			out = append(out, r.ID)
		}
		return out
	}
	got, err := s.DeviceRejections(ctx, tn.acct.ID, d.ID, time.Time{}, domain.MaxDeviceRejections)
	if err != nil || fmt.Sprint(ids(got)) != fmt.Sprint(mine) {
		t.Fatalf("device rejections %v %v, want %v", ids(got), err, mine)
	}
	if got[0].RejectedAt.Sub(now.Add(4*time.Hour)).Abs() > time.Millisecond {
		t.Fatalf("rejected at %v", got[0].RejectedAt)
	}
	if got, err := s.DeviceRejections(ctx, tn.acct.ID, d.ID, time.Time{}, 2); err != nil || fmt.Sprint(ids(got)) != fmt.Sprint(mine[:2]) {
		t.Fatalf("limit 2: %v %v", ids(got), err)
	}
	// Since: rejected at or after the third one's time.
	if got, err := s.DeviceRejections(ctx, tn.acct.ID, d.ID, now.Add(2*time.Hour), 10); err != nil || fmt.Sprint(ids(got)) != fmt.Sprint(mine[:3]) {
		t.Fatalf("since: %v %v, want %v", ids(got), err, mine[:3])
	}
	if got, err := s.DeviceRejections(ctx, tn.acct.ID, d.ID, now.Add(5*time.Hour), 10); err != nil || len(got) != 0 {
		t.Fatalf("since after all: %v %v", got, err)
	}
	// Another account asking for this device's: nothing.
	stranger := newTenant(t, s, 1)
	if got, err := s.DeviceRejections(ctx, stranger.acct.ID, d.ID, time.Time{}, 10); err != nil || len(got) != 0 {
		t.Fatalf("another account's view of the device: %v %v", got, err)
	}
	_, err = s.DeviceRejections(ctx, tn.acct.ID, d.ID, time.Time{}, 0)
	want(t, "limit 0", err, domain.Invalid)
	_, err = s.DeviceRejections(ctx, tn.acct.ID, d.ID, time.Time{}, domain.MaxDeviceRejections+1)
	want(t, "limit too high", err, domain.Invalid)
	_, err = s.DeviceRejections(ctx, tn.acct.ID, "dev_x#", time.Time{}, 10)
	want(t, "bad device ID", err, domain.Invalid)
}

func testSessions(t *testing.T, s Store) {
	ctx := ctxOf(t)
	tn := newTenant(t, s, 1)
	se := domain.Session{TokenHash: hexOf(32), AccountID: tn.acct.ID, Email: tn.acct.Email, CSRF: "c", Created: now, Expires: now.Add(time.Hour)}
	if err := s.PutSession(ctx, se); err != nil {
		t.Fatal(err)
	}
	want(t, "same token twice", s.PutSession(ctx, se), domain.Conflict)
	got, err := s.Session(ctx, se.TokenHash, now)
	if err != nil || got.AccountID != tn.acct.ID || got.CSRF != "c" || !got.Expires.Equal(se.Expires) {
		t.Fatalf("session %+v %v", got, err)
	}
	_, err = s.Session(ctx, se.TokenHash, now.Add(time.Hour))
	want(t, "expired", err, domain.Unauthorized)
	_, err = s.Session(ctx, "other", now)
	want(t, "unknown", err, domain.Unauthorized)
	if err := s.DeleteSession(ctx, se.TokenHash); err != nil {
		t.Fatal(err)
	}
	_, err = s.Session(ctx, se.TokenHash, now)
	want(t, "deleted", err, domain.Unauthorized)
	if err := s.DeleteSession(ctx, se.TokenHash); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}
}

func testRates(t *testing.T, s Store) {
	ctx := ctxOf(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 12 {
		wg.Go(func() {
			ok, err := s.Allow(ctx, "k", 5, time.Minute, now)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 5 {
		t.Fatalf("%d of 12 allowed with a limit of 5", allowed)
	}
	if ok, _ := s.Allow(ctx, "k2", 5, time.Minute, now); !ok {
		t.Fatal("another key is limited")
	}
	// Used counts what Allow admitted (refusals are not counted) and counts
	// nothing itself.
	for range 3 {
		if used, err := s.Used(ctx, "k", time.Minute, now.Add(time.Second)); err != nil || used != 5 {
			t.Fatalf("used %d, %v: want the 5 allowed", used, err)
		}
	}
	if used, err := s.Used(ctx, "k3", time.Minute, now); err != nil || used != 0 {
		t.Fatalf("used of a new key: %d, %v", used, err)
	}
	if used, err := s.Used(ctx, "k", time.Minute, now.Add(time.Minute+time.Minute/domain.RateSlots)); err != nil || used != 0 {
		t.Fatalf("used a window and a slot later: %d, %v", used, err)
	}
	if _, err := s.Used(ctx, "", time.Minute, now); domain.KindOf(err) != domain.Invalid {
		t.Fatalf("used of no key: %v", err)
	}
	// A sliding window: the five attempts count for a whole minute (plus up
	// to a slot), across any boundary, and then no more.
	for _, later := range []time.Duration{time.Second, 30 * time.Second, 59 * time.Second} {
		if ok, _ := s.Allow(ctx, "k", 5, time.Minute, now.Add(later)); ok {
			t.Fatalf("%v later, a sixth attempt is allowed", later)
		}
	}
	if ok, _ := s.Allow(ctx, "k", 5, time.Minute, now.Add(time.Minute+time.Minute/domain.RateSlots)); !ok {
		t.Fatal("a window and a slot later, the key is still limited")
	}
	// Four at the end of one minute and four at the start of the next: a
	// fixed window would allow all eight.
	edge := now.Truncate(time.Minute).Add(10 * time.Minute)
	allowed = 0
	for i := range 8 {
		at := edge.Add(-2*time.Second + time.Duration(i)*500*time.Millisecond)
		if ok, err := s.Allow(ctx, "burst", 5, time.Minute, at); err != nil {
			t.Fatal(err)
		} else if ok {
			allowed++
		}
	}
	if allowed != 5 {
		t.Fatalf("%d of 8 attempts across a minute boundary allowed with a limit of 5", allowed)
	}
	_, err := s.Allow(ctx, "k", 0, time.Minute, now)
	want(t, "zero limit", err, domain.Invalid)
}
