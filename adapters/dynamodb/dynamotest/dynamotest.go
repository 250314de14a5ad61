// Package dynamotest gives tests a real DynamoDB-compatible server:
// dynalite (Version, in memory) on a free loopback port, killed when the
// test ends.
//
// dynalite is found as $VIGIL_DYNALITE (its cli.js), then in
// scripts/dynalite/node_modules of the module (where `make tools`, that is
// scripts/dynalite.sh install, puts it); node must be on $PATH. When either
// is missing the test fails, or is skipped under -short. A server that runs
// already can be used instead by setting VIGIL_TEST_DYNAMODB_ENDPOINT.
package dynamotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"vigil/adapters/dynamodb"
	"vigil/domain"
)

// Version is the dynalite release the tests are written against (pinned
// by scripts/dynalite/package-lock.json).
const Version = "4.0.0"

// Server is a running DynamoDB-compatible server.
type Server struct {
	Endpoint string // http://127.0.0.1:port
	Region   string
}

// Start returns a server for t: the one the environment names, or a
// dynalite of its own, stopped when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if ep := os.Getenv("VIGIL_TEST_DYNAMODB_ENDPOINT"); ep != "" {
		return &Server{Endpoint: strings.TrimRight(ep, "/"), Region: "us-east-1"}
	}
	node, cli, err := find()
	if err != nil {
		if testing.Short() {
			t.Skipf("dynamotest: %v (-short)", err)
		}
		t.Fatalf("dynamotest: %v: run `make tools` (scripts/dynalite.sh install)", err)
	}
	var last error
	for range 3 { // the free port may be taken between choosing and binding it
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{Endpoint: "http://127.0.0.1:" + port, Region: "us-east-1"}
		if last = s.start(t, node, cli, port); last == nil {
			return s
		}
	}
	t.Fatalf("dynamotest: start dynalite: %v", last)
	return nil
}

// find locates node and dynalite's cli.js.
func find() (node, cli string, err error) {
	node, err = exec.LookPath("node")
	if err != nil {
		if node, err = exec.LookPath("nodejs"); err != nil {
			return "", "", errors.New("node not found on $PATH")
		}
	}
	if p := os.Getenv("VIGIL_DYNALITE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", "", fmt.Errorf("dynalite not found at VIGIL_DYNALITE=%s", p)
		}
		return node, p, nil
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", "", errors.New("cannot locate the module root")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	p := filepath.Join(root, "scripts", "dynalite", "node_modules", "dynalite", "cli.js")
	if _, err := os.Stat(p); err != nil {
		return "", "", fmt.Errorf("dynalite not found at %s", p)
	}
	return node, p, nil
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("dynamotest: free port: %w", err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, l.Close()
}

// start runs dynalite on port and waits until it answers.
func (s *Server) start(t testing.TB, node, cli, port string) error {
	out := &lockedBuffer{}
	cmd := exec.Command(node, cli, "--host", "127.0.0.1", "--port", port,
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		// dynalite answers any request; an unsigned POST gets a 400 with a JSON body.
		resp, err := client.Post(s.Endpoint, "application/x-amz-json-1.0", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Cleanup(func() {
				stop()
				if t.Failed() {
					t.Logf("dynalite output:\n%s", out.String())
				}
			})
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("dynalite exited at start: %s", strings.TrimSpace(out.String()))
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return errors.New("dynalite did not answer in 20 s")
		}
	}
}

// Client is a DynamoDB client of the server (dynalite accepts any
// credentials; these are made up per client).
func (s *Server) Client() *ddb.Client {
	return ddb.New(ddb.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test"+randomHex(4), randomHex(16), ""),
	})
}

// Table creates a new table with a unique name on the server and returns
// the adapter over it.
func (s *Server) Table(t testing.TB) *dynamodb.Table {
	t.Helper()
	tab := dynamodb.New(s.Client(), "vigil-"+randomHex(6))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tab.CreateTable(ctx); err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	return tab
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

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

// Seed is what SeedDevice made.
type Seed struct {
	Account    domain.Account
	License    domain.License
	LicenseKey string // the key whose SHA-256 hex is License.KeyHash
	Device     domain.Device
}

// SeedDevice stores, through the adapter, a new account with a license of
// seats seats valid for a year and one device enrolled on it (secret hash
// made up: it is not for device authentication).
func SeedDevice(t testing.TB, tab *dynamodb.Table, seats int) Seed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now().UTC().Truncate(time.Millisecond)
	var e [10]byte
	_, _ = rand.Read(e[:])
	acct := domain.Account{ID: domain.NewAccountID(now, e), Email: "owner-" + randomHex(4) + "@example.org", Created: now}
	user := domain.User{Email: acct.Email, AccountID: acct.ID, PasswordHash: "unusable", Created: now}
	if err := tab.CreateAccount(ctx, acct, user); err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	keyText := "VGL-" + randomHex(16)
	sum := sha256.Sum256([]byte(keyText))
	lic, err := domain.NewLicense(acct.ID, hex.EncodeToString(sum[:]), seats, now.AddDate(1, 0, 0), now)
	if err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	if err := tab.IssueLicense(ctx, lic); err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	_, _ = rand.Read(e[:])
	dev := domain.Device{AccountID: acct.ID, ID: domain.NewDeviceID(now, e), Name: "seeded", SecretHash: randomHex(32), Enrolled: now}
	if err := tab.Enroll(ctx, dev, lic.KeyHash, now); err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	lic.SeatsUsed = 1
	return Seed{Account: acct, License: lic, LicenseKey: keyText, Device: dev}
}
