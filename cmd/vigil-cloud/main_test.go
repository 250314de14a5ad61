package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"vigil/adapters/cloudapi"
	"vigil/adapters/dynamodb"
	"vigil/adapters/dynamodb/dynamotest"
	"vigil/adapters/s3"
	"vigil/adapters/s3/s3test"
	"vigil/domain"
)

func TestHelpAndUnknownMode(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, func(string) string { return "" }, strings.NewReader(""), &out, &errb); err != flag.ErrHelp {
		t.Fatalf("--help: %v", err)
	}
	if !strings.Contains(errb.String(), "Usage: vigil-cloud MODE") {
		t.Fatalf("usage: %q", errb.String())
	}
	if err := run(context.Background(), []string{"bogus"}, func(string) string { return "" }, strings.NewReader(""), &out, &errb); err == nil {
		t.Fatal("unknown mode accepted")
	}
}

// TestConfigErrorsAtOnce: every problem of serve's settings in one error.
func TestConfigErrorsAtOnce(t *testing.T) {
	var out, errb bytes.Buffer
	getenv := func(k string) string { return map[string]string{"VIGIL_GALLERY_URL_LIFETIME": "banana"}[k] }
	err := run(context.Background(), []string{"serve", "--upload-url-lifetime", "10m", "--dynamodb-endpoint", "ftp://x", "--log-level", "loud"},
		getenv, strings.NewReader(""), &out, &errb)
	if err == nil {
		t.Fatal("bad settings accepted")
	}
	for _, want := range []string{"VIGIL_GALLERY_URL_LIFETIME", "-table", "-upload-bucket", "-production-bucket", "upload URL lifetime 10m0s", "dynamodb-endpoint", "log-level"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

// TestOperatorCommandsThenDevicesAndPeople runs the real commands: account
// create, license issue (the key printed once, stored hashed), serve; then
// the edge's client enrolls and uploads, and the owner signs in.
func TestOperatorCommandsThenDevicesAndPeople(t *testing.T) {
	s3s, dyn := s3test.Start(t), dynamotest.Start(t)
	upload, prod := s3s.Bucket(t), s3s.Bucket(t)
	table := "vigil-cmd-" + strings.ToLower(hex.EncodeToString([]byte(time.Now().Format("150405.000"))))
	env := map[string]string{"VIGIL_TABLE": table, "VIGIL_DYNAMODB_ENDPOINT": dyn.Endpoint, "AWS_REGION": s3s.Region,
		"AWS_ACCESS_KEY_ID": s3s.AccessKey, "AWS_SECRET_ACCESS_KEY": s3s.SecretKey}
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var out, errb bytes.Buffer
	if err := run(ctx, []string{"account", "create", "--create-table", "--email", "Owner@Example.org", "--password-stdin"}, getenv,
		strings.NewReader("a long enough password\n"), &out, &errb); err != nil {
		t.Fatalf("account create: %v\n%s", err, errb.String())
	}
	acct := regexp.MustCompile(`account (acct_\S+)`).FindStringSubmatch(out.String())
	if acct == nil || strings.Contains(out.String(), "password") {
		t.Fatalf("account create printed %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"account", "create", "--email", "owner@example.org", "--password-stdin"}, getenv,
		strings.NewReader("another long password\n"), &out, &errb); domain.KindOf(err) != domain.Conflict {
		t.Fatalf("second account with the same address: %v", err)
	}
	if err := run(ctx, []string{"account", "create", "--email", "short@example.org", "--password-stdin"}, getenv,
		strings.NewReader("short\n"), &out, &errb); domain.KindOf(err) != domain.Invalid {
		t.Fatalf("short password: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"license", "issue", "--account", acct[1], "--seats", "1", "--expires", "2099-12-31"}, getenv,
		strings.NewReader(""), &out, &errb); err != nil {
		t.Fatalf("license issue: %v", err)
	}
	key := regexp.MustCompile(`license key (VGL-\S+)`).FindStringSubmatch(out.String())
	if key == nil || !strings.Contains(out.String(), "expires 2099-12-31T23:59:59Z") {
		t.Fatalf("license issue printed %q", out.String())
	}
	for _, bad := range [][]string{{"--account", "acct_x", "--seats", "1", "--expires", "2099-01-01"},
		{"--account", acct[1], "--seats", "0", "--expires", "2099-01-01"}, {"--account", acct[1], "--seats", "1", "--expires", "2001-01-01"},
		{"--account", acct[1], "--seats", "1", "--expires", "soon"}} {
		if err := run(ctx, append([]string{"license", "issue"}, bad...), getenv, strings.NewReader(""), &out, &errb); err == nil {
			t.Errorf("license issue %v accepted", bad)
		}
	}
	// Stored hashed: the table holds the key's SHA-256, never the key.
	tab := dynamodb.New(ddb.New(ddb.Options{Region: "us-east-1", BaseEndpoint: aws.String(dyn.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("x", "y", "")}), table)
	l, err := tab.License(ctx, acct[1])
	sum := sha256.Sum256([]byte(key[1]))
	if err != nil || l.KeyHash != hex.EncodeToString(sum[:]) || l.Seats != 1 {
		t.Fatalf("stored license %+v %v", l, err)
	}

	addr := make(chan string, 1)
	done := make(chan error, 1)
	sctx, stop := context.WithCancel(ctx)
	go func() {
		done <- serve(sctx, []string{"--listen", "127.0.0.1:0", "--secure-cookie=false", "--s3-endpoint", s3s.Endpoint,
			"--upload-bucket", upload, "--production-bucket", prod}, getenv, &errb, func(a string) { addr <- a })
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, errb.String())
	}
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	c := &cloudapi.Client{BaseURL: base}
	id, secret, err := c.Enroll(ctx, key[1], "front door")
	if err != nil {
		t.Fatal(err)
	}
	c.DeviceID, c.Secret = id, secret
	var ent [10]byte
	ev := domain.NewEventID(time.Now(), ent)
	g, err := c.Grant(ctx, domain.Upload{Name: domain.SnapshotName(ev, 1), Event: ev, Bytes: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := s3.NewPutter(nil).Put(ctx, g, []byte{0xFF, 0xD8, 0xFF, 0xD9, 0}); err != nil {
		t.Fatal(err)
	}
	if objs, _ := s3s.Objects(ctx, upload); objs[g.Key] != 5 {
		t.Fatalf("upload bucket %v", objs)
	}
	body, _ := json.Marshal(map[string]string{"email": "owner@example.org", "password": "a long enough password"})
	resp, err := http.Post(base+"/api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if strings.Contains(errb.String(), secret) || strings.Contains(errb.String(), key[1]) || strings.Contains(errb.String(), "X-Amz-Signature") {
		t.Fatal("the log holds a secret")
	}

	// Suspend: the device gets no grant (the client sees Unlicensed).
	out.Reset()
	if err := run(ctx, []string{"license", "suspend", "--account", acct[1]}, getenv, strings.NewReader(""), &out, &errb); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Grant(ctx, domain.Upload{Name: domain.SnapshotName(ev, 2), Event: ev, Bytes: 5}); domain.KindOf(err) != domain.Unlicensed {
		t.Fatalf("suspended license: %v", err)
	}
}

// TestGalleryLifetimeFixed: the gallery's URL lifetime is 100 s, never
// another: neither a flag nor the environment can set it.
func TestGalleryLifetimeFixed(t *testing.T) {
	base := []string{"serve", "--table", "t", "--upload-bucket", "up", "--production-bucket", "prod"}
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{append(base, "--gallery-url-lifetime", "1h"), nil, "gallery-url-lifetime"},
		{base, map[string]string{"VIGIL_GALLERY_URL_LIFETIME": "100s"}, "fixed"},
		{base, map[string]string{"VIGIL_GALLERY_URL_LIFETIME": "10m"}, "fixed"},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, strings.NewReader(""), &out, &errb)
		if err == nil || !strings.Contains(err.Error()+errb.String(), tc.want) {
			t.Errorf("%v %v: %v, want an error about %q", tc.args, tc.env, err, tc.want)
		}
	}
}
