package dynamodb_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"vigil/adapters/dynamodb/dynamotest"
	"vigil/adapters/inmem"
	"vigil/app/validator"
	"vigil/domain"
)

// TestRecorded: the outcome lookup finds an upload's image and rejection
// by account, device and ID, and nothing for another ID, device or account.
func TestRecorded(t *testing.T) {
	tab := dynamotest.Start(t).Table(t)
	ctx := ctxT(t)
	seed := dynamotest.SeedDevice(t, tab, 2)
	acct, dev := seed.Account.ID, seed.Device.ID
	taken := time.Now().UTC().Truncate(time.Millisecond)
	ev := eventAt(taken)
	id := string(ev) + "-1"
	img, rej, err := tab.Recorded(ctx, acct, dev, id)
	if err != nil || img != nil || rej != nil {
		t.Fatalf("nothing recorded: %+v %+v %v", img, rej, err)
	}
	if err := tab.PutImage(ctx, domain.ImageRecord{AccountID: acct, DeviceID: dev, ID: id, EventID: string(ev), TakenAt: taken,
		VerifiedAt: taken, Key: "images/x.jpg", ThumbKey: "thumbs/x.jpg", Bytes: 7, Width: 4, Height: 3}); err != nil {
		t.Fatal(err)
	}
	img, rej, err = tab.Recorded(ctx, acct, dev, id)
	if err != nil || img == nil || rej != nil || img.ID != id || img.Width != 4 || img.Key != "images/x.jpg" {
		t.Fatalf("image recorded: %+v %+v %v", img, rej, err)
	}
	id2 := string(ev) + "-2"
	if err := tab.PutRejection(ctx, domain.Rejection{AccountID: acct, DeviceID: dev, ID: id2, Reason: domain.DeviceRevoked,
		QuarantineKey: "quarantine/y", Detail: "revoked", RejectedAt: taken}); err != nil {
		t.Fatal(err)
	}
	img, rej, err = tab.Recorded(ctx, acct, dev, id2)
	if err != nil || img != nil || rej == nil || rej.ID != id2 || rej.Reason != domain.DeviceRevoked || rej.QuarantineKey != "quarantine/y" {
		t.Fatalf("rejection recorded: %+v %+v %v", img, rej, err)
	}
	other := dynamotest.SeedDevice(t, tab, 1)
	for _, c := range []struct{ acct, dev, id string }{{acct, other.Device.ID, id}, {other.Account.ID, dev, id2}, {acct, dev, string(ev) + "-3"}} {
		if img, rej, err := tab.Recorded(ctx, c.acct, c.dev, c.id); err != nil || img != nil || rej != nil {
			t.Errorf("%v: %+v %+v %v, want nothing", c, img, rej, err)
		}
	}
	for _, c := range []struct{ acct, dev, id string }{{"acct_bad", dev, id}, {acct, "dev_bad", id}, {acct, dev, "not-an-id"}} {
		if _, _, err := tab.Recorded(ctx, c.acct, c.dev, c.id); domain.KindOf(err) != domain.Invalid {
			t.Errorf("%v: %v, want Invalid", c, err)
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
