package validator_test

import (
	"context"
	"errors"
	"strings"
	"sync"
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
// redeliverWantRejected delivers key again and checks that the recorded
// reject (device revoked) is completed: quarantine only, one REJECT item,
// nothing in production, the upload gone.
func redeliverWantRejected(t *testing.T, e *env, key string) {
	t.Helper()
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
	if rs := e.dir.Rejections(); len(rs) != 1 || rs[0].Reason != domain.DeviceRevoked || rs[0].QuarantineKey != "quarantine/"+key {
		t.Errorf("rejections %+v", rs)
	}
	if keys := e.uploads.Keys(); len(keys) != 1 || keys[0] != "quarantine/"+key {
		t.Errorf("upload bucket holds %v, want the quarantine copy only", keys)
	}
}

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
		redeliverWantRejected(t, e, key)
	})

	t.Run("lookup down", func(t *testing.T) {
		e := newEnv(t)
		key := uploadKey(4)
		e.uploads.Put(key, data)
		e.dir.Fail = func(op string) error {
			if op == "verdict" {
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

// TestConcurrentDeliveriesOneVerdict: two deliveries of one upload handled
// at once, the device revoked between their directory checks (one finds it
// enrolled, the other revoked), both reach the verdict write before either
// completes: the upload ends in production or in quarantine, never both,
// with one verdict and the one matching item.
func TestConcurrentDeliveriesOneVerdict(t *testing.T) {
	data := file(t, "../../testdata/faces/obama.jpg")
	revoked := domain.Device{AccountID: acct, ID: dev, Name: "porch", Revoked: true, RevokedAt: now.Add(-time.Minute)}
	wins := map[bool]int{}
	for round := range 6 {
		e := newEnv(t)
		key := uploadKey(10 + round)
		e.uploads.Put(key, data)
		var (
			mu        sync.Mutex
			standings int
			settles   int
			firstRead = make(chan struct{}) // the first delivery read the standing
			bothThere = make(chan struct{}) // both deliveries are at the verdict write
		)
		wait := func(ch chan struct{}) {
			select {
			case <-ch:
			case <-time.After(5 * time.Second): // without a verdict write, no barrier
			}
		}
		e.dir.Fail = func(op string) error {
			mu.Lock()
			switch op {
			case "standing":
				standings++
				if standings == 2 {
					mu.Unlock()
					wait(firstRead)
					e.dir.SetDevice(revoked)
					return nil
				}
			case "settle":
				settles++
				switch settles {
				case 1:
					close(firstRead)
					mu.Unlock()
					wait(bothThere)
					return nil
				case 2:
					close(bothThere)
					if round%2 == 1 { // let the first delivery's write land first
						mu.Unlock()
						time.Sleep(50 * time.Millisecond)
						return nil
					}
				}
			}
			mu.Unlock()
			return nil
		}
		var wg sync.WaitGroup
		outs := make([]validator.Outcome, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { outs[i], errs[i] = e.p.Handle(context.Background(), key) })
		}
		wg.Wait()
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("round %d delivery %d: %v", round, i, errs[i])
			}
		}
		vs := e.dir.Verdicts()
		if len(vs) != 1 {
			t.Fatalf("round %d: verdicts %+v, want one", round, vs)
		}
		accepted := vs[0].Accepted
		wins[accepted]++
		images, rejections, prod := e.dir.Images(), e.dir.Rejections(), e.prod.Keys()
		var quarantined []string
		for _, k := range e.uploads.Keys() {
			if strings.HasPrefix(k, "quarantine/") {
				quarantined = append(quarantined, k)
			} else {
				t.Errorf("round %d: upload %s left", round, k)
			}
		}
		if accepted {
			if len(images) != 1 || len(rejections) != 0 || len(prod) != 2 || len(quarantined) != 0 {
				t.Errorf("round %d, accepted: %d IMAGE, %d REJECT items, production %v, quarantine %v",
					round, len(images), len(rejections), prod, quarantined)
			}
		} else {
			if len(images) != 0 || len(rejections) != 1 || len(prod) != 0 || len(quarantined) != 1 ||
				rejections[0].Reason != domain.DeviceRevoked || vs[0].Reason != domain.DeviceRevoked {
				t.Errorf("round %d, rejected: %d IMAGE, %+v REJECT items, production %v, quarantine %v",
					round, len(images), rejections, prod, quarantined)
			}
		}
		dups := 0
		for _, o := range outs {
			if o.Verdict == validator.Duplicate || o.Verdict == validator.Gone {
				dups++
			}
		}
		if dups != 1 {
			t.Errorf("round %d: outcomes %+v, want one winner and one follower", round, outs)
		}
	}
	t.Logf("the accept won %d rounds, the reject %d", wins[true], wins[false])
}

// TestRejectFailedAfterCopy: a reject whose REJECT item cannot be recorded
// after the quarantine copy was made, then the device restored, then a
// redelivery: the upload ends in quarantine only, with its REJECT item.
func TestRejectFailedAfterCopy(t *testing.T) {
	e := newEnv(t)
	key := uploadKey(20)
	e.uploads.Put(key, file(t, "../../testdata/faces/obama.jpg"))
	e.dir.SetDevice(domain.Device{AccountID: acct, ID: dev, Name: "porch", Revoked: true, RevokedAt: now.Add(-time.Minute)})
	e.dir.Fail = func(op string) error {
		if op == "put_rejection" {
			return errDown
		}
		return nil
	}
	if _, err := e.p.Handle(context.Background(), key); domain.KindOf(err) != domain.Unavailable {
		t.Fatalf("the failed rejection record: %v, want Unavailable", err)
	}
	if keys := e.uploads.Keys(); len(keys) != 2 {
		t.Fatalf("upload bucket holds %v, want the upload and its quarantine copy", keys)
	}
	e.dir.Fail = nil
	e.dir.SetDevice(domain.Device{AccountID: acct, ID: dev, Name: "porch"})
	redeliverWantRejected(t, e, key)
	if vs := e.dir.Verdicts(); len(vs) != 1 || vs[0].Accepted || vs[0].Reason != domain.DeviceRevoked {
		t.Errorf("verdicts %+v", vs)
	}
}
