package awsconfig

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestLoad(t *testing.T) {
	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret-test", "AWS_SESSION_TOKEN": "tok"}
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	cfg, err := Load(context.Background(), "", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != DefaultRegion {
		t.Errorf("region %q, want %q", cfg.Region, DefaultRegion)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIDTEST" || creds.SecretAccessKey != "secret-test" || creds.SessionToken != "tok" {
		t.Errorf("credentials %+v, %v: want those of getenv", creds, err)
	}
	cfg, err = Load(context.Background(), "eu-central-1", func(k string) string { return env[k] })
	if err != nil || cfg.Region != "eu-central-1" {
		t.Errorf("region %q, %v: want eu-central-1", cfg.Region, err)
	}
}

// TestHTTPTimeout: a call to a server that never answers ends after the
// client's timeout even though its context has no deadline.
func TestHTTPTimeout(t *testing.T) {
	cfg, err := Load(context.Background(), "", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
	if !ok || bc.GetTimeout() != HTTPTimeout || HTTPTimeout != 30*time.Second {
		t.Fatalf("HTTP client %T: want a BuildableClient with a %s timeout", cfg.HTTPClient, HTTPTimeout)
	}

	hung := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hung }))
	defer srv.Close()
	defer close(hung)
	env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret-test"}
	cfg, err = load(context.Background(), "us-east-1", func(k string) string { return env[k] }, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.RetryMaxAttempts = 1
	})
	t0 := time.Now()
	_, err = client.ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if err == nil {
		t.Fatal("a hung server answered")
	}
	if took := time.Since(t0); took > 5*time.Second {
		t.Fatalf("the call took %s with a 300ms client timeout", took)
	}
}
