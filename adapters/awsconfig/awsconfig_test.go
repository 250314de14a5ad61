package awsconfig

import (
	"context"
	"testing"
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
