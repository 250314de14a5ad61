// Package s3test gives tests a real S3 server: versitygw (Version, posix
// backend) in a temporary directory on a free loopback port, with
// generated root credentials, killed when the test ends. It checks SigV4
// signatures and presigned URLs as S3 does.
//
// The binary is found as $VIGIL_VERSITYGW, then versitygw on $PATH, then in
// $GOBIN or $(go env GOPATH)/bin (where `make tools` installs it). When it
// is missing the test fails, or is skipped under -short. A server that runs
// already can be used instead by setting VIGIL_TEST_S3_ENDPOINT,
// VIGIL_TEST_S3_ACCESS_KEY and VIGIL_TEST_S3_SECRET_KEY (and optionally
// VIGIL_TEST_S3_REGION); then Stop and Restart are not available.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"vigil/domain"
)

// Version is the versitygw release the tests are written against.
const Version = "v1.8.0"

// Module is what `go install` takes to build it.
const Module = "github.com/versity/versitygw/cmd/versitygw@" + Version

// Server is a running S3 server.
type Server struct {
	Endpoint  string // http://127.0.0.1:port
	Region    string
	AccessKey string
	SecretKey string

	bin, dir, addr string
	opts           Options

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    *lockedBuffer
}

// Options add to the versitygw that StartWith runs.
type Options struct {
	// Addr is the loopback address to listen on (host:port); empty: a
	// free port. For a test that must name the endpoint before the
	// server starts.
	Addr string
	// Args are extra global flags (before the backend), e.g.
	// "--event-webhook-url", URL.
	Args []string
	// Env are extra environment variables ("NAME=value"), e.g.
	// VGW_EVENT_WEBHOOK_URL (a URL holding a secret stays off the command
	// line that ps shows).
	Env []string
	// AccessKey and SecretKey are the root credentials; empty: generated.
	// For a client configured before the server starts.
	AccessKey, SecretKey string
}

// Start returns an S3 server for t: the one the environment names, or a
// versitygw of its own, stopped when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options for the versitygw it runs. With options
// set, a server named by the environment is not used (it would not have
// them).
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	custom := o.Addr != "" || len(o.Args) > 0 || len(o.Env) > 0 || o.AccessKey != ""
	if ep := os.Getenv("VIGIL_TEST_S3_ENDPOINT"); ep != "" && !custom {
		s := &Server{Endpoint: strings.TrimRight(ep, "/"), Region: os.Getenv("VIGIL_TEST_S3_REGION"),
			AccessKey: os.Getenv("VIGIL_TEST_S3_ACCESS_KEY"), SecretKey: os.Getenv("VIGIL_TEST_S3_SECRET_KEY")}
		if s.AccessKey == "" || s.SecretKey == "" {
			t.Fatal("s3test: VIGIL_TEST_S3_ENDPOINT is set without VIGIL_TEST_S3_ACCESS_KEY and VIGIL_TEST_S3_SECRET_KEY")
		}
		if s.Region == "" {
			s.Region = "us-east-1"
		}
		return s
	}
	bin, err := binary()
	if err != nil {
		if testing.Short() {
			t.Skipf("s3test: %v (-short)", err)
		}
		t.Fatalf("s3test: %v: run `make tools` (go install %s)", err, Module)
	}
	s := &Server{Region: "us-east-1", AccessKey: "vigil" + randomHex(8), SecretKey: randomHex(20),
		bin: bin, dir: t.TempDir(), out: &lockedBuffer{}, opts: o}
	if o.AccessKey != "" || o.SecretKey != "" {
		if o.AccessKey == "" || len(o.SecretKey) < 8 {
			t.Fatal("s3test: Options need both AccessKey and a SecretKey of 8 characters or more")
		}
		s.AccessKey, s.SecretKey = o.AccessKey, o.SecretKey
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("versitygw output:\n%s", s.out.String())
		}
	})
	var last error
	for range 3 { // the free port may be taken between choosing and binding it
		addr, err := o.Addr, error(nil)
		if addr == "" {
			addr, err = freePort()
		}
		if err != nil {
			t.Fatal(err)
		}
		s.addr, s.Endpoint = addr, "http://"+addr
		if last = s.start(); last == nil {
			return s
		}
	}
	t.Fatalf("s3test: start versitygw: %v", last)
	return nil
}

// binary finds the versitygw executable.
func binary() (string, error) {
	if p := os.Getenv("VIGIL_VERSITYGW"); p != "" {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			return "", fmt.Errorf("versitygw not found at VIGIL_VERSITYGW=%s", p)
		}
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, d := range filepath.SplitList(strings.TrimSpace(string(out))) {
			dirs = append(dirs, filepath.Join(d, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("versitygw not found")
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("s3test: free port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// start runs versitygw on s.addr and waits until it answers its health
// check. The credentials go through the environment, not the command line.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("already running")
	}
	args := append([]string{"--port", s.addr, "--health", "/health", "--region", s.Region, "--quiet"}, s.opts.Args...)
	cmd := exec.Command(s.bin, append(args, "posix", s.dir)...)
	cmd.Env = append(append(os.Environ(), "ROOT_ACCESS_KEY_ID="+s.AccessKey, "ROOT_SECRET_ACCESS_KEY="+s.SecretKey), s.opts.Env...)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get(s.Endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.cmd, s.exited = cmd, exited
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("versitygw exited at start: %s", lastLines(s.out.String(), 5))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return errors.New("versitygw did not answer its health check in 15 s")
		}
	}
}

// Stop kills the server at once (an outage, not a shutdown); its data stay
// for Restart. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd, s.exited = nil, nil
}

// Restart starts a stopped server again on the same address, credentials
// and data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if s.bin == "" {
		t.Skip("s3test: the server was not started by the test")
	}
	var err error
	for range 50 { // the port may linger for a moment
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("s3test: restart versitygw: %v", err)
}

// Client is an S3 client of the server with its root credentials
// (path-style addressing; checksums only where the operation requires one).
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:                     s.Region,
		BaseEndpoint:               aws.String(s.Endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// Bucket creates a bucket named after the test (lower case, unique enough
// on a shared server) and returns its name.
func (s *Server) Bucket(t testing.TB) string {
	t.Helper()
	name := "vigil-" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("s3test: create bucket %s: %v", name, err)
	}
	return name
}

// Put describes an object to presign a PUT for.
type Put struct {
	Bucket, Key string
	Length      int64
	ContentType string
	// Lifetime of the URL (default 5 min).
	Lifetime time.Duration
	// Backdate signs as if it were that long ago (an expired URL when
	// longer than Lifetime).
	Backdate time.Duration
}

// Presign makes the grant the cloud would give for p: a presigned PUT for
// exactly that key, length and content type, with the headers the client
// must send.
func (s *Server) Presign(ctx context.Context, p Put) (domain.UploadGrant, error) {
	if p.Lifetime <= 0 {
		p.Lifetime = 5 * time.Minute
	}
	in := &s3.PutObjectInput{Bucket: aws.String(p.Bucket), Key: aws.String(p.Key), ContentLength: aws.Int64(p.Length)}
	if p.ContentType != "" {
		in.ContentType = aws.String(p.ContentType)
	}
	pc := s3.NewPresignClient(s.Client(), s3.WithPresignExpires(p.Lifetime), func(o *s3.PresignOptions) {
		if p.Backdate > 0 {
			o.Presigner = backdated{v4.NewSigner(), p.Backdate}
		}
	})
	r, err := pc.PresignPutObject(ctx, in)
	if err != nil {
		return domain.UploadGrant{}, fmt.Errorf("s3test: presign %s: %w", p.Key, err)
	}
	g := domain.UploadGrant{URL: r.URL, Method: r.Method, Key: p.Key, Headers: map[string]string{},
		Expires: time.Now().Add(p.Lifetime - p.Backdate)}
	for k, vs := range r.SignedHeader {
		if http.CanonicalHeaderKey(k) != "Host" && len(vs) > 0 {
			g.Headers[http.CanonicalHeaderKey(k)] = vs[0]
		}
	}
	return g, nil
}

// backdated signs with a signing time in the past.
type backdated struct {
	*v4.Signer
	by time.Duration
}

func (b backdated) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string,
	at time.Time, opts ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return b.Signer.PresignHTTP(ctx, creds, r, payloadHash, service, region, at.Add(-b.by), opts...)
}

// Objects lists a bucket's keys with their sizes.
func (s *Server) Objects(ctx context.Context, bucket string) (map[string]int64, error) {
	out := map[string]int64{}
	pages := s3.NewListObjectsV2Paginator(s.Client(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3test: list %s: %w", bucket, err)
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
		}
	}
	return out, nil
}

// lockedBuffer collects the server's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 1<<20 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
