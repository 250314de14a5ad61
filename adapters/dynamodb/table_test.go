package dynamodb_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/adapters/dynamodb"
	"vigil/adapters/dynamodb/dynamotest"
	"vigil/domain"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func newDevice(acct string, now time.Time) domain.Device {
	var e [10]byte
	_, _ = rand.Read(e[:])
	return domain.Device{AccountID: acct, ID: domain.NewDeviceID(now, e), Name: "cam", SecretHash: "h", Enrolled: now}
}

func eventAt(t time.Time) domain.EventID {
	var e [10]byte
	_, _ = rand.Read(e[:])
	return domain.NewEventID(t, e)
}

func TestStandingAndConditionalPuts(t *testing.T) {
	tab := dynamotest.Start(t).Table(t)
	ctx := ctxT(t)
	seed := dynamotest.SeedDevice(t, tab, 3)
	st, err := tab.Standing(ctx, seed.Account.ID, seed.Device.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Device.ID != seed.Device.ID || st.License.Seats != 3 || st.License.SeatsUsed != 1 || st.Check(time.Now()) != "" {
		t.Fatalf("standing %+v", st)
	}
	other := dynamotest.SeedDevice(t, tab, 1)
	if _, err := tab.Standing(ctx, seed.Account.ID, other.Device.ID); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("another account's device: %v", err)
	}
	if _, err := tab.Standing(ctx, "acct_bad", seed.Device.ID); domain.KindOf(err) != domain.Invalid {
		t.Fatalf("bad account id: %v", err)
	}

	taken := time.Now().UTC().Truncate(time.Millisecond)
	ev := eventAt(taken)
	img := domain.ImageRecord{AccountID: seed.Account.ID, DeviceID: seed.Device.ID, ID: string(ev) + "-1", EventID: string(ev),
		TakenAt: taken, VerifiedAt: taken.Add(time.Second), Key: "images/x.jpg", ThumbKey: "thumbs/x.jpg", Bytes: 123, Width: 64, Height: 48,
		Faces: []domain.Face{{Box: domain.Box{X0: .1, Y0: .2, X1: .3, Y1: .4}, Score: 9.5}}}
	if err := tab.PutImage(ctx, img); err != nil {
		t.Fatal(err)
	}
	img2 := img
	img2.Bytes = 999
	if err := tab.PutImage(ctx, img2); domain.KindOf(err) != domain.Conflict {
		t.Fatalf("second put: %v", err)
	}
	got, err := tab.Image(ctx, seed.Account.ID, seed.Device.ID, img.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bytes != 123 || len(got.Faces) != 1 || got.Faces[0].Score != 9.5 || got.Faces[0].Box.X1 != .3 || !got.TakenAt.Equal(taken) {
		t.Fatalf("image read back: %+v", got)
	}
	if _, err := tab.Image(ctx, other.Account.ID, seed.Device.ID, img.ID); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("image from another account: %v", err)
	}
	d, err := tab.Device(ctx, seed.Account.ID, seed.Device.ID)
	if err != nil || !d.LastUpload.Equal(img.VerifiedAt) {
		t.Fatalf("last upload %v (%v), want %v", d.LastUpload, err, img.VerifiedAt)
	}

	rej := domain.Rejection{AccountID: seed.Account.ID, DeviceID: seed.Device.ID, ID: string(ev) + "-2", Reason: "bad-signature",
		Detail: "not a JPEG", RejectedAt: taken}
	if err := tab.PutRejection(ctx, rej); err != nil {
		t.Fatal(err)
	}
	rej.RejectedAt = rej.RejectedAt.Add(time.Minute) // a retry, later
	if err := tab.PutRejection(ctx, rej); domain.KindOf(err) != domain.Conflict {
		t.Fatalf("second rejection: %v", err)
	}
	if err := tab.PutRejection(ctx, domain.Rejection{ID: "sha-abc", SourceKey: "junk", Reason: "bad-key", RejectedAt: taken}); err != nil {
		t.Fatalf("rejection without account: %v", err)
	}
	page, err := tab.Rejections(ctx, seed.Account.ID, 10, "")
	if err != nil || len(page.Rejections) != 1 || page.Rejections[0].Detail != "not a JPEG" {
		t.Fatalf("rejections %+v %v", page, err)
	}
}

func TestImagesPagedNewestFirstWithFilters(t *testing.T) {
	tab := dynamotest.Start(t).Table(t)
	ctx := ctxT(t)
	seed := dynamotest.SeedDevice(t, tab, 3)
	dev2 := newDevice(seed.Account.ID, time.Now())
	if err := tab.Enroll(ctx, dev2, seed.License.KeyHash, time.Now()); err != nil {
		t.Fatal(err)
	}
	day1 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var want []string // newest first
	for i := range 12 {
		at := day1.Add(time.Duration(i) * 3 * time.Hour) // 27th and 28th
		dev := seed.Device.ID
		if i%3 == 0 {
			dev = dev2.ID
		}
		ev := eventAt(at)
		img := domain.ImageRecord{AccountID: seed.Account.ID, DeviceID: dev, ID: string(ev) + "-1", EventID: string(ev), TakenAt: at}
		if i%2 == 0 {
			img.Faces = []domain.Face{{Box: domain.Box{X1: 1, Y1: 1}, Score: 1}}
		}
		if err := tab.PutImage(ctx, img); err != nil {
			t.Fatal(err)
		}
		want = append([]string{domain.ImageKey(dev, img.ID)}, want...)
	}
	var all []string
	q := domain.ImageQuery{Limit: 5}
	for pages := 0; ; pages++ {
		p, err := tab.Images(ctx, seed.Account.ID, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Images) > 5 || pages > 5 {
			t.Fatalf("page %d: %d images", pages, len(p.Images))
		}
		for _, im := range p.Images {
			all = append(all, domain.ImageKey(im.DeviceID, im.ID))
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("paged listing\n got %v\nwant %v", all, want)
	}
	count := func(q domain.ImageQuery, check func(domain.ImageRecord) bool) int {
		t.Helper()
		q.Limit = 3
		total := 0
		for {
			p, err := tab.Images(ctx, seed.Account.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, im := range p.Images {
				if !check(im) {
					t.Fatalf("filter %+v let through %+v", q, im)
				}
			}
			total += len(p.Images)
			if p.Next == "" {
				return total
			}
			q.Cursor = p.Next
		}
	}
	if n := count(domain.ImageQuery{DeviceID: dev2.ID}, func(im domain.ImageRecord) bool { return im.DeviceID == dev2.ID }); n != 4 {
		t.Fatalf("device filter: %d images, want 4", n)
	}
	if n := count(domain.ImageQuery{WithFaces: true}, func(im domain.ImageRecord) bool { return len(im.Faces) > 0 }); n != 6 {
		t.Fatalf("faces filter: %d images, want 6", n)
	}
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	if n := count(domain.ImageQuery{Day: day}, func(im domain.ImageRecord) bool { return im.TakenAt.Truncate(24 * time.Hour).Equal(day) }); n != 7 {
		t.Fatalf("day filter: %d images, want 7", n)
	}
	// A cursor is only a sort key: another account's listing cannot be reached with it.
	other := dynamotest.SeedDevice(t, tab, 1)
	p, err := tab.Images(ctx, other.Account.ID, domain.ImageQuery{Limit: 5, Cursor: q.Cursor})
	if err != nil || len(p.Images) != 0 {
		t.Fatalf("other account with a cursor: %v %v", p, err)
	}
	if _, err := tab.Images(ctx, seed.Account.ID, domain.ImageQuery{Cursor: "!!"}); domain.KindOf(err) != domain.Invalid {
		t.Fatalf("bad cursor: %v", err)
	}
	// A cursor of another listing (another day, the rejections) is the
	// client's mistake: Invalid, not a query DynamoDB refuses.
	p, err = tab.Images(ctx, seed.Account.ID, domain.ImageQuery{Limit: 2}) // its cursor: on the 28th
	if err != nil || p.Next == "" {
		t.Fatalf("first page: %v %v", p, err)
	}
	if _, err := tab.Images(ctx, seed.Account.ID, domain.ImageQuery{Day: day.AddDate(0, 0, -1), Cursor: p.Next}); domain.KindOf(err) != domain.Invalid {
		t.Fatalf("cursor of the 28th for the 27th: %v, want Invalid", err)
	}
	if _, err := tab.Rejections(ctx, seed.Account.ID, 5, p.Next); domain.KindOf(err) != domain.Invalid {
		t.Fatalf("image cursor for the rejections: %v, want Invalid", err)
	}
	dayPage, err := tab.Images(ctx, seed.Account.ID, domain.ImageQuery{Day: day, Limit: 2})
	if err != nil || dayPage.Next == "" {
		t.Fatalf("day page: %v %v", dayPage, err)
	}
	if p, err := tab.Images(ctx, seed.Account.ID, domain.ImageQuery{Day: day, Limit: 2, Cursor: dayPage.Next}); err != nil || len(p.Images) != 2 {
		t.Fatalf("the day's own cursor: %v %v", p, err)
	}
}

func TestSeatsAreTakenAtomically(t *testing.T) {
	tab := dynamotest.Start(t).Table(t)
	ctx := ctxT(t)
	seed := dynamotest.SeedDevice(t, tab, 3) // one seat taken
	now := time.Now()
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	devs := make([]domain.Device, n)
	for i := range n {
		devs[i] = newDevice(seed.Account.ID, now)
		wg.Go(func() { errs[i] = tab.Enroll(ctx, devs[i], seed.License.KeyHash, now) })
	}
	wg.Wait()
	ok, enrolled := 0, ""
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
			enrolled = devs[i].ID
		case domain.KindOf(err) != domain.Unlicensed:
			t.Fatalf("enrollment %d: %v (want Unlicensed)", i, err)
		}
	}
	if ok != 2 {
		t.Fatalf("%d enrollments succeeded, want 2 (3 seats, 1 taken)", ok)
	}
	l, _ := tab.License(ctx, seed.Account.ID)
	if l.SeatsUsed != 3 {
		t.Fatalf("seats used %d", l.SeatsUsed)
	}
	if err := tab.Revoke(ctx, seed.Account.ID, enrolled, now); err != nil {
		t.Fatal(err)
	}
	if err := tab.Revoke(ctx, seed.Account.ID, enrolled, now); err != nil {
		t.Fatalf("second revoke: %v", err)
	}
	if l, _ := tab.License(ctx, seed.Account.ID); l.SeatsUsed != 2 {
		t.Fatalf("after revoke (twice): seats used %d, want 2", l.SeatsUsed)
	}
	if err := tab.Enroll(ctx, newDevice(seed.Account.ID, now), seed.License.KeyHash, now); err != nil {
		t.Fatalf("enroll after revoke: %v", err)
	}
	if err := tab.Enroll(ctx, newDevice(seed.Account.ID, now), seed.License.KeyHash, now); domain.KindOf(err) != domain.Unlicensed {
		t.Fatalf("enroll over the seats: %v", err)
	}
	// The device write fails (its ID exists): the seat comes back.
	if err := tab.Revoke(ctx, seed.Account.ID, seed.Device.ID, now); err != nil {
		t.Fatal(err)
	}
	dup := seed.Device
	if err := tab.Enroll(ctx, dup, seed.License.KeyHash, now); domain.KindOf(err) != domain.Conflict {
		t.Fatalf("duplicate device: %v", err)
	}
	if l, _ := tab.License(ctx, seed.Account.ID); l.SeatsUsed != 2 {
		t.Fatalf("after a failed device write: seats used %d, want 2", l.SeatsUsed)
	}
	// Expired and suspended licenses admit nobody, and say why.
	if err := tab.SetLicenseState(ctx, seed.Account.ID, domain.LicenseSuspended); err != nil {
		t.Fatal(err)
	}
	err := tab.Enroll(ctx, newDevice(seed.Account.ID, now), seed.License.KeyHash, now)
	if domain.KindOf(err) != domain.Unlicensed || !contains(err, "suspended") {
		t.Fatalf("suspended: %v", err)
	}
	if err := tab.SetLicenseState(ctx, seed.Account.ID, domain.LicenseActive); err != nil {
		t.Fatal(err)
	}
	err = tab.Enroll(ctx, newDevice(seed.Account.ID, now), seed.License.KeyHash, now.AddDate(2, 0, 0))
	if domain.KindOf(err) != domain.Unlicensed || !contains(err, "expired") {
		t.Fatalf("expired: %v", err)
	}
	if err := tab.Enroll(ctx, newDevice(seed.Account.ID, now), "wrong", now); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("wrong key: %v", err)
	}
}

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

func TestAccountsLicensesSessionsAndRates(t *testing.T) {
	tab := dynamotest.Start(t).Table(t)
	ctx := ctxT(t)
	seed := dynamotest.SeedDevice(t, tab, 2)
	u, err := tab.User(ctx, seed.Account.Email)
	if err != nil || u.AccountID != seed.Account.ID {
		t.Fatalf("user %+v %v", u, err)
	}
	if err := tab.CreateAccount(ctx, domain.Account{ID: newDevice("", time.Now()).ID[4:] /* junk */}, u); domain.KindOf(err) != domain.Invalid {
		t.Fatalf("bad account: %v", err)
	}
	again := seed.Account
	var e [10]byte
	_, _ = rand.Read(e[:])
	again.ID = domain.NewAccountID(time.Now(), e)
	u2 := u
	u2.AccountID = again.ID
	if err := tab.CreateAccount(ctx, again, u2); domain.KindOf(err) != domain.Conflict {
		t.Fatalf("same e-mail twice: %v", err)
	}
	l, err := tab.LicenseByKey(ctx, seed.License.KeyHash)
	if err != nil || l.AccountID != seed.Account.ID {
		t.Fatalf("license by key: %+v %v", l, err)
	}
	// Renewal: a new key replaces the old one; fewer seats than in use is refused.
	now := time.Now()
	renewed, _ := domain.NewLicense(seed.Account.ID, "newhash", 5, now.AddDate(2, 0, 0), now)
	if err := tab.IssueLicense(ctx, renewed); err != nil {
		t.Fatal(err)
	}
	if _, err := tab.LicenseByKey(ctx, seed.License.KeyHash); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("old key after renewal: %v", err)
	}
	if l, _ := tab.License(ctx, seed.Account.ID); l.Seats != 5 || l.SeatsUsed != 1 {
		t.Fatalf("renewed %+v", l)
	}
	shrunk, _ := domain.NewLicense(seed.Account.ID, "otherhash", 1, now.AddDate(2, 0, 0), now)
	shrunk.Seats = 0
	if err := tab.IssueLicense(ctx, shrunk); domain.KindOf(err) != domain.Conflict {
		t.Fatalf("fewer seats than in use: %v", err)
	}

	se := domain.Session{TokenHash: "tok", AccountID: seed.Account.ID, Email: u.Email, CSRF: "c", Created: now, Expires: now.Add(time.Hour)}
	if err := tab.PutSession(ctx, se); err != nil {
		t.Fatal(err)
	}
	if got, err := tab.Session(ctx, "tok", now); err != nil || got.AccountID != seed.Account.ID || got.CSRF != "c" {
		t.Fatalf("session %+v %v", got, err)
	}
	if _, err := tab.Session(ctx, "tok", now.Add(2*time.Hour)); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("expired session: %v", err)
	}
	if err := tab.DeleteSession(ctx, "tok"); err != nil {
		t.Fatal(err)
	}
	if _, err := tab.Session(ctx, "tok", now); domain.KindOf(err) != domain.Unauthorized {
		t.Fatalf("deleted session: %v", err)
	}

	allowed := 0
	for range 7 {
		ok, err := tab.Allow(ctx, "login:x", 5, time.Hour, now)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		}
	}
	if allowed != 5 {
		t.Fatalf("allowed %d of 7 with a limit of 5", allowed)
	}
	if ok, _ := tab.Allow(ctx, "login:x", 5, time.Hour, now.Add(59*time.Minute)); ok {
		t.Fatal("59 minutes later, a sixth attempt is allowed")
	}
	if ok, _ := tab.Allow(ctx, "login:x", 5, time.Hour, now.Add(time.Hour+time.Hour/domain.RateSlots)); !ok {
		t.Fatal("a window and a slot later, the key is still refused")
	}
}

var _ = dynamodb.Options{}
