package cloudweb_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"vigil/adapters/dynamodb"
	"vigil/adapters/fiber/cloudweb"
	"vigil/adapters/s3"
	"vigil/app/cloud"
)

// TestRequestTimeout: when the table never answers (and the SDK's client
// has no timeout of its own), each request still ends after the app's
// request timeout with 503, and the next request on the same connection
// gets a fresh deadline.
func TestRequestTimeout(t *testing.T) {
	hung := make(chan struct{})
	table := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hung:
		case <-r.Context().Done():
		}
	}))
	defer table.Close()
	defer close(hung)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret-test", "")}
	tab, err := dynamodb.Open(cfg, dynamodb.Options{Table: "vigil", Endpoint: table.URL})
	if err != nil {
		t.Fatal(err)
	}
	st := cloud.Stores{Accounts: tab, Licenses: tab, Seats: tab, Devices: tab, Gallery: tab, Sessions: tab, Limiter: tab,
		Presigner: s3.NewPresigner(awss3.NewFromConfig(cfg), "up", "prod")}
	svc, err := cloud.New(st, cloud.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 300 * time.Millisecond
	web, err := cloudweb.New(cloudweb.Config{Service: svc, RequestTimeout: timeout, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	base := serveWeb(t, web)

	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 2 { // the second on the same connection
		req, _ := http.NewRequest("GET", base+"/api/v1/devices", nil)
		req.AddCookie(&http.Cookie{Name: "vigil_session", Value: "a-session-token"})
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(t0)
		if resp.StatusCode != http.StatusServiceUnavailable || took < timeout || took > 5*time.Second {
			t.Fatalf("request %d: %d %s after %s, want 503 after about %s", i, resp.StatusCode, body, took, timeout)
		}
		// The SDK's error (operation, endpoint, cause) stays in the log.
		if string(body) != `{"error":"temporarily unavailable: try again later","kind":"unavailable"}` {
			t.Fatalf("request %d: body %s, want the fixed message", i, body)
		}
	}
	if _, err := cloudweb.New(cloudweb.Config{Service: svc, RequestTimeout: -time.Second}); err == nil {
		t.Fatal("a negative request timeout is accepted")
	}
}
