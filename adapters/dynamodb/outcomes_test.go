package dynamodb_test

import (
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"vigil/adapters/dynamodb/dynamotest"
	"vigil/adapters/inmem"
	"vigil/app/validator"
	"vigil/domain"
)

// TestSettleVerdictExclusive: deliveries settling different verdicts on one
// upload at the same time (the conditional put) yield exactly one winner,
// and every caller gets the winner's verdict back, as does a later lookup;
// another upload, device or account has none.
func TestSettleVerdictExclusive(t *testing.T) {
	tab := dynamotest.Start(t).Table(t)
	ctx := ctxT(t)
	seed := dynamotest.SeedDevice(t, tab, 2)
	acct, dev := seed.Account.ID, seed.Device.ID
	at := time.Now().UTC().Truncate(time.Millisecond)
	id := string(eventAt(at)) + "-1"
	if _, found, err := tab.Verdict(ctx, acct, dev, id); err != nil || found {
		t.Fatalf("nothing recorded: %v, %v", found, err)
	}
	const n = 8
	type result struct {
		v   domain.UploadVerdict
		won bool
		err error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		v := domain.UploadVerdict{AccountID: acct, DeviceID: dev, ID: id, SourceKey: "uploads/x", Bytes: int64(i), SHA256: "ab", At: at}
		if i%2 == 0 {
			v.Accepted = true
		} else {
			v.Reason, v.Detail = domain.DeviceRevoked, "the device was revoked"
		}
		wg.Go(func() {
			<-start
			got, won, err := tab.Settle(ctx, v)
			results[i] = result{got, won, err}
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, r := range results {
		if r.err != nil {
			t.Fatalf("settle %d: %v", i, r.err)
		}
		if r.won {
			if winner >= 0 {
				t.Fatalf("settles %d and %d both won", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no settle won")
	}
	want := results[winner].v
	if want.Bytes != int64(winner) || want.Accepted != (winner%2 == 0) {
		t.Fatalf("the winner %d got %+v back", winner, want)
	}
	for i, r := range results {
		if r.v.Accepted != want.Accepted || r.v.Reason != want.Reason || r.v.Bytes != want.Bytes || !r.v.At.Equal(at) {
			t.Errorf("settle %d got %+v, want the winner's %+v", i, r.v, want)
		}
	}
	got, found, err := tab.Verdict(ctx, acct, dev, id)
	if err != nil || !found || got.Accepted != want.Accepted || got.Reason != want.Reason || got.Bytes != want.Bytes ||
		got.AccountID != acct || got.DeviceID != dev || got.ID != id || got.SourceKey != "uploads/x" || got.SHA256 != "ab" || !got.At.Equal(at) {
		t.Fatalf("Verdict: %+v, %v, %v; want %+v", got, found, err, want)
	}
	other := dynamotest.SeedDevice(t, tab, 1)
	for _, c := range []struct{ acct, dev, id string }{{acct, other.Device.ID, id}, {other.Account.ID, dev, id}, {acct, dev, string(eventAt(at)) + "-2"}} {
		if v, found, err := tab.Verdict(ctx, c.acct, c.dev, c.id); err != nil || found {
			t.Errorf("%v: %+v %v %v, want nothing", c, v, found, err)
		}
	}
	// A key that named no account: kept apart, still exclusive.
	bad := domain.UploadVerdict{ID: "key-0123abcd", Reason: domain.BadKey, SourceKey: "uploads/junk", At: at}
	if _, won, err := tab.Settle(ctx, bad); err != nil || !won {
		t.Fatalf("settle without an account: %v, %v", won, err)
	}
	if got, won, err := tab.Settle(ctx, bad); err != nil || won || got.Reason != domain.BadKey {
		t.Fatalf("second settle without an account: %+v, %v, %v", got, won, err)
	}
	for _, v := range []domain.UploadVerdict{
		{AccountID: "acct_bad", DeviceID: dev, ID: id, Reason: domain.Corrupt},
		{AccountID: acct, DeviceID: "dev_bad", ID: id, Reason: domain.Corrupt},
		{AccountID: acct, DeviceID: dev, ID: "a#b", Reason: domain.Corrupt},
		{AccountID: acct, DeviceID: dev, ID: id},                                         // rejected without a reason
		{AccountID: acct, DeviceID: dev, ID: id, Accepted: true, Reason: domain.Corrupt}, // accepted with one
		{ID: "key-1", Accepted: true},                                                    // accepted without an account
	} {
		if _, _, err := tab.Settle(ctx, v); domain.KindOf(err) != domain.Invalid {
			t.Errorf("%+v: %v, want Invalid", v, err)
		}
	}
}

// TestVerdictSticksWithDynamo: with the table as directory, index and
// outcome lookup, an upload accepted whose deletion failed, then its device
// revoked, then redelivered, ends in production only; one rejected (license
// suspended) whose deletion failed, then its license reactivated, then
// redelivered, ends in quarantine only.
func TestVerdictSticksWithDynamo(t *testing.T) {
	tab := dynamotest.Start(t).Table(t)
	ctx := ctxT(t)
	photo, err := os.ReadFile("../../testdata/faces/obama.jpg")
	if err != nil {
		t.Fatal(err)
	}
	setup := func(t *testing.T) (dynamotest.Seed, *inmem.Bucket, *inmem.Bucket, *validator.Pipeline, string) {
		seed := dynamotest.SeedDevice(t, tab, 2)
		uploads, prod := &inmem.Bucket{}, &inmem.Bucket{}
		p, err := validator.NewPipeline(validator.Stores{Uploads: uploads, Quarantine: &inmem.Quarantine{From: uploads, To: uploads},
			Production: prod, Directory: tab, Index: tab}, nil, domain.VerifyLimits{}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		ev := eventAt(time.Now().Add(-time.Minute))
		key := "uploads/" + seed.Account.ID + "/" + seed.Device.ID + "/" + ev.Time().UTC().Format("2006/01/02") + "/" + domain.SnapshotName(ev, 1)
		uploads.Put(key, photo)
		failed := false
		uploads.Fail = func(op, k string) error {
			if op == "delete" && k == key && !failed {
				failed = true
				return domain.E("test", domain.Unavailable, errors.New("down"))
			}
			return nil
		}
		return seed, uploads, prod, p, key
	}
	counts := func(t *testing.T, seed dynamotest.Seed) (images, rejections int) {
		ip, err := tab.Images(ctx, seed.Account.ID, domain.ImageQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		rp, err := tab.Rejections(ctx, seed.Account.ID, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(ip.Images), len(rp.Rejections)
	}

	t.Run("accepted then revoked", func(t *testing.T) {
		seed, uploads, prod, p, key := setup(t)
		if _, err := p.Handle(ctx, key); err == nil {
			t.Fatal("the failed delete was not an error")
		}
		if err := tab.Revoke(ctx, seed.Account.ID, seed.Device.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		o, err := p.Handle(ctx, key)
		if err != nil || o.Verdict != validator.Duplicate || o.Reason != "" {
			t.Fatalf("redelivery: %+v, %v; want the accept completed", o, err)
		}
		if i, r := counts(t, seed); i != 1 || r != 0 {
			t.Errorf("%d IMAGE and %d REJECT items, want 1 and 0", i, r)
		}
		if len(uploads.Keys()) != 0 || len(prod.Keys()) != 2 {
			t.Errorf("uploads %v, production %v", uploads.Keys(), prod.Keys())
		}
	})

	t.Run("rejected then reactivated", func(t *testing.T) {
		seed, uploads, prod, p, key := setup(t)
		if err := tab.SetLicenseState(ctx, seed.Account.ID, domain.LicenseSuspended); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Handle(ctx, key); err == nil {
			t.Fatal("the failed delete was not an error")
		}
		if err := tab.SetLicenseState(ctx, seed.Account.ID, domain.LicenseActive); err != nil {
			t.Fatal(err)
		}
		o, err := p.Handle(ctx, key)
		if err != nil || o.Verdict != validator.Duplicate || o.Reason != domain.LicenseInactive {
			t.Fatalf("redelivery: %+v, %v; want the reject completed", o, err)
		}
		if i, r := counts(t, seed); i != 0 || r != 1 {
			t.Errorf("%d IMAGE and %d REJECT items, want 0 and 1", i, r)
		}
		if keys := uploads.Keys(); len(keys) != 1 || keys[0] != "quarantine/"+key || len(prod.Keys()) != 0 {
			t.Errorf("uploads %v, production %v", keys, prod.Keys())
		}
	})
}
