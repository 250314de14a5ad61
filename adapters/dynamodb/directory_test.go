package dynamodb_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"vigil/adapters/dynamodb"
	"vigil/adapters/dynamodb/dynamotest"
	"vigil/domain"
)

// faults is a proxy in front of dynalite that breaks chosen requests: the
// next request whose body contains every one of match fails, either
// before it reaches the server or after it committed (its answer lost).
type faults struct {
	mu        sync.Mutex
	match     []string
	committed bool
	hits      int
}

func (f *faults) arm(committed bool, match ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.match, f.committed, f.hits = match, committed, 0
}

func (f *faults) fired() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

// take reports whether body is the armed request (and disarms).
func (f *faults) take(body []byte) (hit, committed bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.match) == 0 {
		return false, false
	}
	for _, m := range f.match {
		if !bytes.Contains(body, []byte(m)) {
			return false, false
		}
	}
	f.match = nil
	f.hits++
	return true, f.committed
}

// faultyTable is a new table on dynalite reached through a faults proxy.
func faultyTable(t *testing.T) (*dynamodb.Table, *faults) {
	t.Helper()
	srv := dynamotest.Start(t)
	target, err := url.Parse(srv.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	f := &faults{}
	rp := httputil.NewSingleHostReverseProxy(target)
	fail := func(w http.ResponseWriter) { // a non-retryable error, as DynamoDB sends one
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"__type":"com.amazon.coral.validate#ValidationException","message":"injected fault"}`)
	}
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		hit, committed := f.take(body)
		switch {
		case !hit:
			rp.ServeHTTP(w, r)
		case committed:
			rp.ServeHTTP(httptest.NewRecorder(), r)
			fail(w)
		default:
			fail(w)
		}
	}))
	t.Cleanup(proxy.Close)
	client := ddb.New(ddb.Options{Region: srv.Region, BaseEndpoint: aws.String(proxy.URL),
		Credentials: credentials.NewStaticCredentialsProvider("testfaults", "secret-test", "")})
	tab := dynamodb.New(client, "vigil-faults-"+strings.ToLower(string(domain.NewDeviceID(time.Now(), [10]byte{}))[4:10]))
	if err := tab.CreateTable(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	return tab, f
}

// TestRevokeRetryReturnsSeat: when giving the seat back fails after the
// device was marked revoked, revoking again gives it back, once.
func TestRevokeRetryReturnsSeat(t *testing.T) {
	tab, f := faultyTable(t)
	ctx := ctxT(t)
	seed := dynamotest.SeedDevice(t, tab, 3)
	now := time.Now()
	d := newDevice(seed.Account.ID, now)
	if err := tab.Enroll(ctx, d, seed.License.KeyHash, now); err != nil {
		t.Fatal(err)
	}
	seats := func() int {
		t.Helper()
		l, err := tab.License(ctx, seed.Account.ID)
		if err != nil {
			t.Fatal(err)
		}
		return l.SeatsUsed
	}
	if n := seats(); n != 2 {
		t.Fatalf("seats used %d, want 2", n)
	}
	f.arm(false, "SeatsUsed - :one")
	if err := tab.Revoke(ctx, seed.Account.ID, d.ID, now); err == nil || f.fired() != 1 {
		t.Fatalf("revoke with a failing seat return: %v (fault fired %d times)", err, f.fired())
	}
	if got, err := tab.Device(ctx, seed.Account.ID, d.ID); err != nil || !got.Revoked {
		t.Fatalf("device after the failed return: %+v %v", got, err)
	}
	if n := seats(); n != 2 {
		t.Fatalf("seats used %d after the failed return, want still 2", n)
	}
	for i := range 3 { // the retry returns the seat; more retries change nothing
		if err := tab.Revoke(ctx, seed.Account.ID, d.ID, now); err != nil {
			t.Fatalf("revoke retry %d: %v", i, err)
		}
		if n := seats(); n != 1 {
			t.Fatalf("after revoke retry %d: seats used %d, want 1", i, n)
		}
	}
	// The answer of the seat return is lost (it committed): a retry does not
	// give a second seat back.
	if err := tab.Revoke(ctx, seed.Account.ID, seed.Device.ID, now); err != nil {
		t.Fatal(err)
	}
	d2 := newDevice(seed.Account.ID, now)
	if err := tab.Enroll(ctx, d2, seed.License.KeyHash, now); err != nil {
		t.Fatal(err)
	}
	f.arm(true, "SeatsUsed - :one")
	if err := tab.Revoke(ctx, seed.Account.ID, d2.ID, now); err == nil {
		t.Fatal("revoke whose seat return lost its answer: no error")
	}
	if err := tab.Revoke(ctx, seed.Account.ID, d2.ID, now); err != nil {
		t.Fatal(err)
	}
	if n := seats(); n != 0 {
		t.Fatalf("seats used %d, want 0", n)
	}
}

// TestEnrollLostAnswerKeepsSeat: when the device's write commits but its
// answer is lost, the seat stays with the stored device (not freed while in
// use); when the write really fails, the seat comes back.
func TestEnrollLostAnswerKeepsSeat(t *testing.T) {
	tab, f := faultyTable(t)
	ctx := ctxT(t)
	seed := dynamotest.SeedDevice(t, tab, 2)
	now := time.Now()
	d := newDevice(seed.Account.ID, now)
	f.arm(true, "SecretHash", d.ID)
	err := tab.Enroll(ctx, d, seed.License.KeyHash, now)
	if f.fired() != 1 {
		t.Fatal("the fault did not fire")
	}
	if err != nil {
		t.Fatalf("enroll whose committed write lost its answer: %v", err)
	}
	if got, err := tab.Device(ctx, seed.Account.ID, d.ID); err != nil || got.SecretHash != d.SecretHash {
		t.Fatalf("device %+v %v", got, err)
	}
	if l, _ := tab.License(ctx, seed.Account.ID); l.SeatsUsed != 2 {
		t.Fatalf("seats used %d with 2 devices stored", l.SeatsUsed)
	}
	// Revoking it frees its seat.
	if err := tab.Revoke(ctx, seed.Account.ID, d.ID, now); err != nil {
		t.Fatal(err)
	}
	// A write that really fails: the seat comes back, no device is left.
	d2 := newDevice(seed.Account.ID, now)
	f.arm(false, "SecretHash", d2.ID)
	if err := tab.Enroll(ctx, d2, seed.License.KeyHash, now); err == nil {
		t.Fatal("enroll with a failing write: no error")
	}
	if _, err := tab.DeviceByID(ctx, d2.ID); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("device of a failed enrollment: %v", err)
	}
	if l, _ := tab.License(ctx, seed.Account.ID); l.SeatsUsed != 1 {
		t.Fatalf("seats used %d after a failed enrollment, want 1", l.SeatsUsed)
	}
}

// TestTouchDeviceFailureIsLogged: when recording a device's last upload
// fails, the image is recorded all the same and the failure is logged at
// warn; an older upload (the condition) is not a failure.
func TestTouchDeviceFailureIsLogged(t *testing.T) {
	tab, f := faultyTable(t)
	var logs bytes.Buffer
	tab.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := ctxT(t)
	seed := dynamotest.SeedDevice(t, tab, 1)
	put := func(taken time.Time) {
		t.Helper()
		ev := eventAt(taken)
		if err := tab.PutImage(ctx, domain.ImageRecord{AccountID: seed.Account.ID, DeviceID: seed.Device.ID, ID: string(ev) + "-1",
			EventID: string(ev), TakenAt: taken, VerifiedAt: taken, Key: "images/" + string(ev) + ".jpg"}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	put(now)
	if d, _ := tab.Device(ctx, seed.Account.ID, seed.Device.ID); !d.LastUpload.Equal(now) {
		t.Fatalf("last upload %v, want %v", d.LastUpload, now)
	}
	put(now.Add(-time.Hour)) // older: the condition keeps the later time
	if logs.Len() != 0 {
		t.Fatalf("an older upload was logged: %s", logs.String())
	}
	f.arm(false, "LastUploadMs = :t")
	put(now.Add(time.Minute))
	if f.fired() != 1 {
		t.Fatal("the fault did not fire")
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "last upload was not recorded") ||
		!strings.Contains(l, seed.Device.ID) {
		t.Fatalf("log %q: want a warning naming the device", l)
	}
	if d, _ := tab.Device(ctx, seed.Account.ID, seed.Device.ID); !d.LastUpload.Equal(now) {
		t.Fatalf("last upload %v after the failed touch, want still %v", d.LastUpload, now)
	}
}
