package inmem_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"vigil/adapters/dynamodb/dynamotest"
	"vigil/adapters/inmem"
	"vigil/domain"
	"vigil/ports"
)

// directory is what the contract needs of a directory implementation: the
// ports, and a seeded device it can revoke and an account it can suspend.
type directory struct {
	ports.Directory
	ports.ImageIndex
	ports.Verdicts
	acct, dev string
	revoke    func()
	suspend   func()
}

// contract: the in-memory twin answers the validator as the DynamoDB table
// does (standing, its reasons, conditional puts).
func contract(t *testing.T, d directory) {
	ctx := context.Background()
	now := time.Now()
	st, err := d.Standing(ctx, d.acct, d.dev)
	if err != nil || st.Check(now) != "" || st.Device.ID != d.dev || st.License.AccountID != d.acct {
		t.Fatalf("Standing: %+v, %v", st, err)
	}
	var e [10]byte
	_, _ = rand.Read(e[:])
	if _, err := d.Standing(ctx, d.acct, domain.NewDeviceID(now, e)); domain.KindOf(err) != domain.NotFound {
		t.Errorf("unknown device: %v", err)
	}
	if _, err := d.Standing(ctx, domain.NewAccountID(now, e), d.dev); domain.KindOf(err) != domain.NotFound {
		t.Errorf("unknown account: %v", err)
	}
	ev := domain.NewEventID(now.Add(-time.Minute), e)
	img := domain.ImageRecord{AccountID: d.acct, DeviceID: d.dev, ID: string(ev) + "-1", EventID: string(ev), TakenAt: ev.Time(),
		VerifiedAt: now, Key: "images/k", ThumbKey: "thumbs/k", SourceKey: "uploads/k", Bytes: 10, Width: 4, Height: 3, SHA256: "ab",
		Faces: []domain.Face{{Box: domain.Box{X0: 0.1, Y0: 0.1, X1: 0.5, Y1: 0.5}, Score: 42}}}
	if err := d.PutImage(ctx, img); err != nil {
		t.Fatalf("PutImage: %v", err)
	}
	img.VerifiedAt = now.Add(time.Second) // a later delivery of the same upload
	if err := d.PutImage(ctx, img); domain.KindOf(err) != domain.Conflict {
		t.Errorf("second PutImage: %v", err)
	}
	rej := domain.Rejection{AccountID: d.acct, DeviceID: d.dev, ID: string(ev) + "-2", SourceKey: "uploads/r", QuarantineKey: "quarantine/uploads/r",
		Reason: domain.Corrupt, Detail: "x", RejectedAt: now}
	if err := d.PutRejection(ctx, rej); err != nil {
		t.Fatalf("PutRejection: %v", err)
	}
	rej.RejectedAt = now.Add(time.Second)
	if err := d.PutRejection(ctx, rej); domain.KindOf(err) != domain.Conflict {
		t.Errorf("second PutRejection: %v", err)
	}
	acc := domain.UploadVerdict{AccountID: d.acct, DeviceID: d.dev, ID: string(ev) + "-3", Accepted: true, SourceKey: "uploads/v",
		Bytes: 10, SHA256: "ab", At: now.UTC().Truncate(time.Millisecond)}
	if _, found, err := d.Verdict(ctx, d.acct, d.dev, acc.ID); err != nil || found {
		t.Errorf("Verdict of nothing: %v, %v", found, err)
	}
	if got, won, err := d.Settle(ctx, acc); err != nil || !won || !same(got, acc) {
		t.Errorf("first Settle: %+v, %v, %v", got, won, err)
	}
	rejv := acc
	rejv.Accepted, rejv.Reason, rejv.Detail, rejv.At = false, domain.DeviceRevoked, "revoked", acc.At.Add(time.Second)
	if got, won, err := d.Settle(ctx, rejv); err != nil || won || !same(got, acc) {
		t.Errorf("second Settle: %+v, %v, %v; want the first verdict", got, won, err)
	}
	if got, found, err := d.Verdict(ctx, d.acct, d.dev, acc.ID); err != nil || !found || !same(got, acc) {
		t.Errorf("Verdict: %+v, %v, %v", got, found, err)
	}
	rejv.ID = string(ev) + "-4"
	if got, won, err := d.Settle(ctx, rejv); err != nil || !won || !same(got, rejv) {
		t.Errorf("Settle of a reject: %+v, %v, %v", got, won, err)
	}
	if got, found, err := d.Verdict(ctx, d.acct, d.dev, rejv.ID); err != nil || !found || !same(got, rejv) {
		t.Errorf("Verdict of a reject: %+v, %v, %v", got, found, err)
	}
	bad := domain.UploadVerdict{ID: "key-0123", Reason: domain.BadKey, SourceKey: "uploads/junk", At: acc.At}
	if got, won, err := d.Settle(ctx, bad); err != nil || !won || !same(got, bad) {
		t.Errorf("Settle without an account: %+v, %v, %v", got, won, err)
	}
	if _, _, err := d.Settle(ctx, domain.UploadVerdict{AccountID: d.acct, DeviceID: d.dev, ID: string(ev) + "-5"}); domain.KindOf(err) != domain.Invalid {
		t.Errorf("a rejected verdict without a reason: %v, want Invalid", err)
	}
	if err := d.PutRejection(ctx, domain.Rejection{ID: "key-0123", SourceKey: "uploads/junk", Reason: domain.BadKey, RejectedAt: now}); err != nil {
		t.Errorf("a rejection without an account: %v", err)
	}
	d.revoke()
	if st, err := d.Standing(ctx, d.acct, d.dev); err != nil || st.Check(now) != domain.DeviceRevoked {
		t.Errorf("revoked: %+v, %v", st, err)
	}
	d.suspend()
	if st, err := d.Standing(ctx, d.acct, d.dev); err != nil || st.Check(now) == "" {
		t.Errorf("suspended: %+v, %v", st, err)
	}
}

func TestDirectoryContractInmem(t *testing.T) {
	now := time.Now()
	var e [10]byte
	_, _ = rand.Read(e[:])
	acct, dev := domain.NewAccountID(now, e), domain.NewDeviceID(now, e)
	d := &inmem.Directory{}
	lic := domain.License{AccountID: acct, Seats: 1, SeatsUsed: 1, State: domain.LicenseActive, Expires: now.AddDate(1, 0, 0)}
	d.SetLicense(lic)
	d.SetDevice(domain.Device{AccountID: acct, ID: dev})
	contract(t, directory{Directory: d, ImageIndex: d, Verdicts: d, acct: acct, dev: dev,
		revoke: func() { d.SetDevice(domain.Device{AccountID: acct, ID: dev, Revoked: true, RevokedAt: now}) },
		suspend: func() {
			lic.State = domain.LicenseSuspended
			d.SetLicense(lic)
		}})
}

func TestDirectoryContractDynalite(t *testing.T) {
	tab := dynamotest.Start(t).Table(t)
	seed := dynamotest.SeedDevice(t, tab, 2)
	ctx := context.Background()
	contract(t, directory{Directory: tab, ImageIndex: tab, Verdicts: tab, acct: seed.Account.ID, dev: seed.Device.ID,
		revoke: func() {
			if err := tab.Revoke(ctx, seed.Account.ID, seed.Device.ID, time.Now()); err != nil {
				t.Fatal(err)
			}
		},
		suspend: func() {
			if err := tab.SetLicenseState(ctx, seed.Account.ID, domain.LicenseSuspended); err != nil {
				t.Fatal(err)
			}
		}})
}

// same reports whether two verdicts are equal, their times to the
// millisecond (what the table keeps).
func same(a, b domain.UploadVerdict) bool {
	ta, tb := a.At, b.At
	a.At, b.At = time.Time{}, time.Time{}
	return a == b && ta.Truncate(time.Millisecond).Equal(tb.Truncate(time.Millisecond))
}
