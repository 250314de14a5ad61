package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// rieBinary finds aws-lambda-rie: $VIGIL_LAMBDA_RIE, $PATH, $GOBIN, then
// $(go env GOPATH)/bin, where `make tools` (scripts/lambda-rie.sh) puts it.
func rieBinary() (string, error) {
	if p := os.Getenv("VIGIL_LAMBDA_RIE"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("aws-lambda-rie not found at VIGIL_LAMBDA_RIE=%s", p)
		}
		return p, nil
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
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
	for _, d := range dirs {
		if p := filepath.Join(d, "aws-lambda-rie"); fileExists(p) {
			return p, nil
		}
	}
	return "", errors.New("aws-lambda-rie not found")
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// buildValidator builds this command as the cloud builds it (static).
func buildValidator(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vigil-validator")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startRIE runs the built binary as a Lambda function under
// aws-lambda-rie with env, and returns the invocation URL.
func startRIE(t *testing.T, bin string, env map[string]string) (string, *syncBuffer) {
	t.Helper()
	rie, err := rieBinary()
	if err != nil {
		if testing.Short() {
			t.Skipf("%v (-short)", err)
		}
		t.Fatalf("%v: run `make tools` (scripts/lambda-rie.sh install)", err)
	}
	addr, api := freeAddr(t), freeAddr(t)
	cmd := exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", api, "--log-level", "warn", bin)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("aws-lambda-rie and the function:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("aws-lambda-rie exited:\n%s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("aws-lambda-rie did not listen in 15 s")
		}
	}
	return "http://" + addr + "/2015-03-31/functions/function/invocations", logs
}

// invoke posts payload and returns the function's answer. The emulator
// answers 200 even for a function error (the body then has errorMessage).
func invoke(t *testing.T, u string, payload []byte) []byte {
	t.Helper()
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Post(u, "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke: %s: %s", resp.Status, body)
	}
	return body
}

// awsEvent is an S3 event as AWS sends it: no "s3:" prefix, the key
// URL-encoded.
func awsEvent(bucket, key string) []byte {
	return fmt.Appendf(nil, `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",`+
		`"eventTime":"2026-11-28T18:02:11.123Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0",`+
		`"bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},"object":{"key":%q,"size":1,"sequencer":"0055AED6DCD90281E5"}}}]}`,
		bucket, bucket, strings.ReplaceAll(url.QueryEscape(key), "%2F", "/"))
}

// TestLambdaUnderRIE: the built binary, run by aws-lambda-rie with no mode
// (AWS_LAMBDA_RUNTIME_API selects lambda), takes an S3 event and an SQS
// batch of S3 events and writes the same results as serve; a bad
// invocation is a function error.
func TestLambdaUnderRIE(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary (-short)")
	}
	c := startCloud(t, false)
	bin := buildValidator(t)
	u, _ := startRIE(t, bin, c.env(nil))
	dev := c.seed.Device.ID

	key, id := c.key(dev, 1)
	c.put(t, key, readTestdata(t, "../../testdata/faces/gocv_face_webcam.jpg"))
	if out := invoke(t, u, awsEvent(c.uploads, key)); strings.Contains(string(out), "errorMessage") {
		t.Fatalf("S3 event: %s", out)
	}
	c.checkAccepted(t, key, id, 1)

	good, goodID := c.key(dev, 2)
	bad, _ := c.key(dev, 3)
	c.put(t, good, readTestdata(t, "../../testdata/faces/obama.jpg"))
	c.put(t, bad, readTestdata(t, "../../testdata/validator/malformed/go/video-001.progressive.truncated.jpeg"))
	batch := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m-good", EventSource: "aws:sqs", Body: string(awsEvent(c.uploads, good))},
		{MessageId: "m-bad", EventSource: "aws:sqs", Body: string(awsEvent(c.uploads, bad))},
		{MessageId: "m-again", EventSource: "aws:sqs", Body: string(awsEvent(c.uploads, good))}, // a duplicate
	}}
	payload, _ := json.Marshal(batch)
	out := invoke(t, u, payload)
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.BatchItemFailures == nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("SQS batch: %s (%v)", out, err)
	}
	c.checkAccepted(t, good, goodID, 1)
	if rs := c.rejections(t); len(rs) != 1 || rs[0].SourceKey != bad || rs[0].Reason != "corrupt" {
		t.Errorf("rejections %+v", rs)
	}
	if _, ok := c.objects(t, c.uploads)["quarantine/"+bad]; !ok {
		t.Error("no quarantine copy")
	}
	if imgs := c.images(t); len(imgs) != 2 {
		t.Errorf("%d image items, want 2", len(imgs))
	}

	// A function error comes back as 200 with an errorMessage.
	out = invoke(t, u, []byte(`{"hello":"world"}`))
	var fe struct{ ErrorMessage, ErrorType string }
	if err := json.Unmarshal(out, &fe); err != nil || fe.ErrorMessage == "" {
		t.Errorf("bad invocation: %s", out)
	}
}
