package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"vigil/adapters/s3"
	"vigil/adapters/s3/s3test"
	"vigil/domain"
)

var ctx = context.Background()

const key = "uploads/acct1/dev1/2026/11/28/01JDZ2F7QH4M8RS0XK3V9TB6WX-1.jpg"

func jpegBytes(n int) []byte {
	b := bytes.Repeat([]byte{0x5a}, n)
	b[0], b[1], b[n-2], b[n-1] = 0xff, 0xd8, 0xff, 0xd9
	return b
}

func object(t *testing.T, srv *s3test.Server, bucket, key string) ([]byte, string, bool) {
	t.Helper()
	out, err := srv.Client().GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var nk interface{ ErrorCode() string }
		if errors.As(err, &nk) && nk.ErrorCode() == "NoSuchKey" {
			return nil, "", false
		}
		t.Fatalf("GetObject %s: %v", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, aws.ToString(out.ContentType), true
}

func TestPutPresignedToVersitygw(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	p := s3.NewPutter(nil)
	body := jpegBytes(4321)

	g, err := srv.Presign(ctx, s3test.Put{Bucket: bucket, Key: key, Length: int64(len(body)), ContentType: "image/jpeg"})
	if err != nil {
		t.Fatal(err)
	}
	if g.Headers["Content-Length"] != "4321" || g.Headers["Content-Type"] != "image/jpeg" {
		t.Fatalf("the grant's headers %v: want the length and type signed", g.Headers)
	}
	if err := p.Put(ctx, g, body); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, typ, ok := object(t, srv, bucket, key)
	if !ok || !bytes.Equal(got, body) || typ != "image/jpeg" {
		t.Fatalf("stored %d bytes of type %q (found %v), want the %d sent as image/jpeg", len(got), typ, ok, len(body))
	}
}

// The store checks the signature: what the grant does not cover is refused
// as Unauthorized, and nothing is stored.
func TestPutRefusedByVersitygw(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	p := s3.NewPutter(nil)
	body := jpegBytes(1000)
	grant := func(t *testing.T, put s3test.Put) domain.UploadGrant {
		t.Helper()
		put.Bucket = bucket
		if put.Key == "" {
			put.Key = key
		}
		if put.Length == 0 {
			put.Length = int64(len(body))
		}
		if put.ContentType == "" {
			put.ContentType = "image/jpeg"
		}
		g, err := srv.Presign(ctx, put)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	for _, c := range []struct {
		name  string
		grant func(t *testing.T) domain.UploadGrant
		body  []byte
	}{
		{"LongerBody", func(t *testing.T) domain.UploadGrant {
			g := grant(t, s3test.Put{})
			delete(g.Headers, "Content-Length") // so the putter sends what it has
			return g
		}, jpegBytes(1001)},
		{"ShorterBody", func(t *testing.T) domain.UploadGrant {
			g := grant(t, s3test.Put{})
			delete(g.Headers, "Content-Length")
			return g
		}, jpegBytes(999)},
		{"Expired", func(t *testing.T) domain.UploadGrant {
			return grant(t, s3test.Put{Lifetime: time.Minute, Backdate: 2 * time.Minute})
		}, body},
		{"OtherType", func(t *testing.T) domain.UploadGrant {
			g := grant(t, s3test.Put{})
			g.Headers = maps.Clone(g.Headers)
			g.Headers["Content-Type"] = "text/html"
			return g
		}, body},
		{"OtherKey", func(t *testing.T) domain.UploadGrant {
			g := grant(t, s3test.Put{})
			g.URL = strings.Replace(g.URL, "-1.jpg", "-2.jpg", 1)
			return g
		}, body},
		{"BadSignature", func(t *testing.T) domain.UploadGrant {
			g := grant(t, s3test.Put{})
			i := strings.Index(g.URL, "X-Amz-Signature=") + len("X-Amz-Signature=")
			sig := []byte(g.URL[i : i+64])
			sig[0] ^= 1
			g.URL = g.URL[:i] + string(sig) + g.URL[i+64:]
			return g
		}, body},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := c.grant(t)
			err := p.Put(ctx, g, c.body)
			if domain.KindOf(err) != domain.Unauthorized {
				t.Fatalf("Put: %v (kind %v), want Unauthorized", err, domain.KindOf(err))
			}
			if strings.Contains(err.Error(), "X-Amz-Signature") || strings.Contains(err.Error(), srv.AccessKey) {
				t.Fatalf("the error shows the URL or the key: %v", err)
			}
			t.Logf("%v", err)
			for _, k := range []string{key, strings.Replace(key, "-1.jpg", "-2.jpg", 1)} {
				if _, _, ok := object(t, srv, bucket, k); ok {
					t.Fatalf("%s stored despite the refusal", k)
				}
			}
		})
	}
}

func TestPutChecksTheGrant(t *testing.T) {
	var hits int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer ts.Close()
	p := s3.NewPutter(ts.Client())
	body := []byte("0123456789")
	for name, g := range map[string]domain.UploadGrant{
		"LengthMismatch":   {URL: ts.URL + "/b/k", Method: "PUT", Key: "k", Headers: map[string]string{"Content-Length": "11"}},
		"LengthNotANumber": {URL: ts.URL + "/b/k", Key: "k", Headers: map[string]string{"content-length": "ten"}},
		"Method":           {URL: ts.URL + "/b/k", Method: "DELETE", Key: "k"},
		"NoURL":            {Key: "k"},
		"NotHTTP":          {URL: "file:///etc/passwd", Key: "k"},
	} {
		if err := p.Put(ctx, g, body); domain.KindOf(err) != domain.Invalid {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
	if hits != 0 {
		t.Fatalf("%d requests sent for grants that cannot be performed", hits)
	}
}

// Put performs the grant exactly: method, URL, headers as given, the
// exact length, the body.
func TestPutSendsTheGrantAsItIs(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer ts.Close()
	body := jpegBytes(321)
	g := domain.UploadGrant{URL: ts.URL + "/bucket/a/b.jpg?X-Amz-Signature=abc&x=1", Method: "PUT", Key: "a/b.jpg",
		Headers: map[string]string{"Content-Type": "image/jpeg", "Content-Length": "321", "x-amz-meta-device": "dev1"}}
	if err := s3.NewPutter(ts.Client()).Put(ctx, g, body); err != nil {
		t.Fatalf("Put: %v (any 2xx is success)", err)
	}
	if got.Method != "PUT" || got.URL.RequestURI() != "/bucket/a/b.jpg?X-Amz-Signature=abc&x=1" || got.ContentLength != 321 ||
		got.Header.Get("Content-Type") != "image/jpeg" || got.Header.Get("X-Amz-Meta-Device") != "dev1" ||
		len(got.TransferEncoding) != 0 || !bytes.Equal(gotBody, body) {
		t.Fatalf("request %s %s length %d headers %v te %v, body %d bytes", got.Method, got.URL, got.ContentLength, got.Header,
			got.TransferEncoding, len(gotBody))
	}
}

func TestPutErrors(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		kind   domain.Kind
		text   string
	}{
		{403, `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message><StringToSign>secret stuff</StringToSign></Error>`,
			domain.Unauthorized, "403 Forbidden: AccessDenied: Request has expired"},
		{400, `<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>`, domain.Unauthorized, "ExpiredToken"},
		{400, `<Error><Code>EntityTooLarge</Code><Message>too big</Message></Error>`, domain.Invalid, "400 Bad Request: EntityTooLarge: too big"},
		{503, `<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`, domain.Unavailable, "SlowDown"},
		{500, `oops`, domain.Unavailable, "500 Internal Server Error"},
		{429, ``, domain.Unavailable, "429"},
		{404, `<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>`, domain.NotFound, "NoSuchBucket"},
		{412, `<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`, domain.Conflict, "PreconditionFailed"},
	} {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(c.status)
			io.WriteString(w, c.body)
		}))
		err := s3.NewPutter(ts.Client()).Put(ctx, domain.UploadGrant{URL: ts.URL + "/b/k?X-Amz-Signature=0123", Key: "k"}, []byte("x"))
		ts.Close()
		if domain.KindOf(err) != c.kind || !strings.Contains(err.Error(), c.text) || !strings.HasPrefix(err.Error(), "s3: put k: ") {
			t.Errorf("%d %.40s: %v (kind %v), want %v with %q", c.status, c.body, err, domain.KindOf(err), c.kind, c.text)
		}
		if err != nil && (strings.Contains(err.Error(), "secret stuff") || strings.Contains(err.Error(), "Signature")) {
			t.Errorf("the error shows more than the code and message: %v", err)
		}
	}

	// Unreachable: Unavailable, and the URL (its signature) is not in the error.
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close()
	err := s3.NewPutter(nil).Put(ctx, domain.UploadGrant{URL: url + "/b/k?X-Amz-Signature=0123", Key: "k"}, []byte("x"))
	if domain.KindOf(err) != domain.Unavailable || strings.Contains(err.Error(), "0123") {
		t.Fatalf("unreachable: %v (kind %v), want Unavailable without the URL", err, domain.KindOf(err))
	}

	// Too slow for the caller's deadline: Unavailable.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	dctx, dcancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer dcancel()
	err = s3.NewPutter(slow.Client()).Put(dctx, domain.UploadGrant{URL: slow.URL + "/b/k", Key: "k"}, []byte("x"))
	if domain.KindOf(err) != domain.Unavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("past the deadline: %v (kind %v), want Unavailable", err, domain.KindOf(err))
	}

	// Cancelled: the context's error, not a kind that asks for a retry.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = s3.NewPutter(nil).Put(cctx, domain.UploadGrant{URL: "http://127.0.0.1:9/b/k", Key: "k"}, []byte("x"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
