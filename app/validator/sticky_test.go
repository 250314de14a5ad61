package validator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"vigil/app/validator"
	"vigil/domain"
)

var errDown = domain.E("test", domain.Unavailable, errors.New("the store is down"))

// failDeleteOnce makes the upload bucket's next delete of key fail.
func failDeleteOnce(e *env, key string) {
	failed := false
	e.uploads.Fail = func(op, k string) error {
		if op == "delete" && k == key && !failed {
			failed = true
			return errDown
		}
		return nil
	}
}

// TestVerdictStickyAcrossRedelivery: an upload accepted whose deletion
// failed, then its device revoked, then redelivered, ends in production
// only (the accept is completed); one rejected whose deletion failed, then
// its device restored, then redelivered, ends in quarantine only.
func TestVerdictStickyAcrossRedelivery(t *testing.T) {
	revoked := domain.Device{AccountID: acct, ID: dev, Name: "porch", Revoked: true, RevokedAt: now.Add(-time.Minute)}
	enrolled := domain.Device{AccountID: acct, ID: dev, Name: "porch"}
	data := file(t, "../../testdata/faces/obama.jpg")

	t.Run("accepted then revoked", func(t *testing.T) {
		e := newEnv(t)
		key := uploadKey(1)
		e.uploads.Put(key, data)
		failDeleteOnce(e, key)
		if _, err := e.p.Handle(context.Background(), key); err == nil {
			t.Fatal("the failed delete was not an error")
		}
		e.dir.SetDevice(revoked)
		o, err := e.p.Handle(context.Background(), key)
		if err != nil || o.Verdict != validator.Duplicate || o.Reason != "" {
			t.Fatalf("redelivery: %+v, %v; want the accept completed", o, err)
		}
		if n := len(e.dir.Rejections()); n != 0 {
			t.Errorf("%d REJECT items for an accepted upload", n)
		}
		if n := len(e.dir.Images()); n != 1 {
			t.Errorf("%d IMAGE items", n)
		}
		keys := e.uploads.Keys()
		if len(keys) != 0 {
			t.Errorf("upload bucket holds %v (quarantine copy or upload left)", keys)
		}
		if got := e.prod.Keys(); len(got) != 2 {
			t.Errorf("production holds %v", got)
		}
	})

	t.Run("accepted, publish failed, then revoked", func(t *testing.T) {
		e := newEnv(t)
		key := uploadKey(2)
		e.uploads.Put(key, data)
		e.prod.Fail = func(op, k string) error { return errDown }
		if _, err := e.p.Handle(context.Background(), key); err == nil {
			t.Fatal("the failed put was not an error")
		}
		e.prod.Fail = nil
		e.dir.SetDevice(revoked)
		o, err := e.p.Handle(context.Background(), key)
		if err != nil || o.Verdict != validator.Duplicate {
			t.Fatalf("redelivery: %+v, %v; want the accept completed", o, err)
		}
		if len(e.dir.Rejections()) != 0 || len(e.dir.Images()) != 1 || len(e.uploads.Keys()) != 0 {
			t.Errorf("rejections %v, images %d, uploads %v", e.dir.Rejections(), len(e.dir.Images()), e.uploads.Keys())
		}
		if _, _, ok := e.prod.Object(strings.Replace(key, "uploads/", "images/", 1)); !ok {
			t.Errorf("no clean copy in production: %v", e.prod.Keys())
		}
		if _, _, ok := e.prod.Object(strings.Replace(key, "uploads/", "thumbs/", 1)); !ok {
			t.Errorf("no thumbnail in production: %v", e.prod.Keys())
		}
	})

	t.Run("rejected then restored", func(t *testing.T) {
		e := newEnv(t)
		key := uploadKey(3)
		e.dir.SetDevice(revoked)
		e.uploads.Put(key, data)
		failDeleteOnce(e, key)
		if _, err := e.p.Handle(context.Background(), key); err == nil {
			t.Fatal("the failed delete was not an error")
		}
		e.dir.SetDevice(enrolled)
		o, err := e.p.Handle(context.Background(), key)
		if err != nil || o.Verdict != validator.Duplicate || o.Reason != domain.DeviceRevoked || o.QuarantineKey != "quarantine/"+key {
			t.Fatalf("redelivery: %+v, %v; want the reject completed", o, err)
		}
		if got := e.prod.Keys(); len(got) != 0 {
			t.Errorf("production holds %v", got)
		}
		if n := len(e.dir.Images()); n != 0 {
			t.Errorf("%d IMAGE items for a rejected upload", n)
		}
		if rs := e.dir.Rejections(); len(rs) != 1 || rs[0].Reason != domain.DeviceRevoked {
			t.Errorf("rejections %+v", rs)
		}
		if keys := e.uploads.Keys(); len(keys) != 1 || keys[0] != "quarantine/"+key {
			t.Errorf("upload bucket holds %v, want the quarantine copy only", keys)
		}
	})

	t.Run("lookup down", func(t *testing.T) {
		e := newEnv(t)
		key := uploadKey(4)
		e.uploads.Put(key, data)
		e.dir.Fail = func(op string) error {
			if op == "recorded" {
				return errDown
			}
			return nil
		}
		if _, err := e.p.Handle(context.Background(), key); domain.KindOf(err) != domain.Unavailable {
			t.Fatalf("lookup down: %v, want Unavailable", err)
		}
		if len(e.uploads.Keys()) != 1 || len(e.prod.Keys()) != 0 || len(e.dir.Images())+len(e.dir.Rejections()) != 0 {
			t.Error("an upload was judged without its recorded outcome")
		}
	})
}
