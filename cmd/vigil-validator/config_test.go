package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestConfigEveryProblemAtOnce(t *testing.T) {
	var errb bytes.Buffer
	_, err := parseConfig("serve", []string{"-max-bytes", "0", "-concurrency", "0", "-log-level", "loud", "-s3-endpoint", "ftp://x"}, noenv, &errb)
	if err == nil {
		t.Fatal("an empty configuration passed")
	}
	for _, want := range []string{"-upload-bucket", "-production-bucket", "-table", "max bytes", "-concurrency", "-log-level", "-s3-endpoint", "shared secret"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %s: %v", want, err)
		}
	}
	// run reports it too, for both modes.
	for _, mode := range []string{"lambda", "serve"} {
		if err := run(context.Background(), []string{mode}, noenv, &errb, &errb); err == nil || !strings.Contains(err.Error(), "-upload-bucket") {
			t.Errorf("%s: %v", mode, err)
		}
	}
	if err := run(context.Background(), []string{"serve", "-h"}, noenv, &errb, &errb); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("serve -h: %v", err)
	}
}

func TestConfigEnvThenFlags(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("0123456789abcdef-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := envOf(map[string]string{
		"VIGIL_UPLOAD_BUCKET": "up", "VIGIL_PRODUCTION_BUCKET": "prod", "VIGIL_TABLE": "vigil",
		"VIGIL_MAX_BYTES": "1000", "VIGIL_DECODE_TIMEOUT": "3s", "VIGIL_WEBHOOK_SECRET": "0123456789abcdef-env",
	})
	var errb bytes.Buffer
	c, err := parseConfig("serve", []string{"-max-bytes", "2000", "-listen", "127.0.0.1:0"}, e, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if c.UploadBucket != "up" || c.QuarantineBucket != "up" || c.QuarantinePrefix != "quarantine/" || c.MaxBytes != 2000 ||
		c.DecodeTimeout != 3*time.Second || c.Secret != "0123456789abcdef-env" || c.Listen != "127.0.0.1:0" {
		t.Errorf("%+v", c)
	}
	c, err = parseConfig("serve", []string{"-secret-file", secretFile}, e, &errb)
	if err != nil || c.Secret != "0123456789abcdef-from-file" {
		t.Errorf("secret file: %q, %v", c.Secret, err)
	}
	for name, args := range map[string][]string{
		"short secret":                {"-secret-file", writeFile(t, dir, "short", "abc")},
		"missing secret file":         {"-secret-file", filepath.Join(dir, "none")},
		"same buckets":                {"-production-bucket", "up"},
		"quarantine in uploads":       {"-quarantine-prefix", "uploads/q/"},
		"no quarantine prefix":        {"-quarantine-prefix", ""},
		"quarantine in prod":          {"-quarantine-bucket", "prod"},
		"no prefix in another bucket": {"-quarantine-bucket", "q", "-quarantine-prefix", ""},
		"uploads/ in another bucket":  {"-quarantine-bucket", "q", "-quarantine-prefix", "uploads/x/"},
		"stray argument":              {"extra"},
		"sweep too often":             {"-sweep-interval", "10ms"},
		"negative sweep age":          {"-sweep-min-age", "-1s"},
	} {
		if _, err := parseConfig("serve", args, e, &errb); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if c, err := parseConfig("serve", []string{"-quarantine-bucket", "q", "-quarantine-prefix", "rejected/"}, e, &errb); err != nil || c.QuarantinePrefix != "rejected/" {
		t.Errorf("a quarantine bucket with its own prefix: %+v, %v", c, err)
	}
	bad := envOf(map[string]string{"VIGIL_UPLOAD_BUCKET": "up", "VIGIL_PRODUCTION_BUCKET": "prod", "VIGIL_TABLE": "t", "VIGIL_MAX_BYTES": "lots"})
	if _, err := parseConfig("lambda", nil, bad, &errb); err == nil || !strings.Contains(err.Error(), "$VIGIL_MAX_BYTES") {
		t.Errorf("bad environment value: %v", err)
	}
	// lambda needs no secret, and refuses to run outside the runtime.
	ok := envOf(map[string]string{"VIGIL_UPLOAD_BUCKET": "up", "VIGIL_PRODUCTION_BUCKET": "prod", "VIGIL_TABLE": "t"})
	if err := run(context.Background(), []string{"lambda"}, ok, &errb, &errb); err == nil || !strings.Contains(err.Error(), "AWS_LAMBDA_RUNTIME_API") {
		t.Errorf("lambda outside the runtime: %v", err)
	}
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
