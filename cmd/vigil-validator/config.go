package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"vigil/adapters/awsconfig"
	"vigil/adapters/dynamodb"
	"vigil/adapters/s3"
	"vigil/app/validator"
	"vigil/domain"
	"vigil/vision"
)

// cloudConfig is the configuration of the lambda and serve modes:
// defaults, then the environment, then flags; validated at once.
type cloudConfig struct {
	UploadBucket     string
	ProductionBucket string
	QuarantineBucket string // default: the upload bucket
	QuarantinePrefix string
	Table            string
	S3Endpoint       string
	DynamoEndpoint   string
	Region           string

	MaxBytes      int64
	MaxSide       int
	MaxPixels     int
	DecodeTimeout time.Duration
	MinFace       int
	LogLevel      string

	// serve only
	Listen      string
	Secret      string
	SecretFile  string
	Concurrency int
	SweepEvery  time.Duration
	SweepMinAge time.Duration
}

// env names the environment variable of each setting.
var env = map[string]string{
	"upload-bucket":     "VIGIL_UPLOAD_BUCKET",
	"production-bucket": "VIGIL_PRODUCTION_BUCKET",
	"quarantine-bucket": "VIGIL_QUARANTINE_BUCKET",
	"quarantine-prefix": "VIGIL_QUARANTINE_PREFIX",
	"table":             "VIGIL_TABLE",
	"s3-endpoint":       "VIGIL_S3_ENDPOINT",
	"dynamodb-endpoint": "VIGIL_DYNAMODB_ENDPOINT",
	"region":            "AWS_REGION",
	"max-bytes":         "VIGIL_MAX_BYTES",
	"max-side":          "VIGIL_MAX_SIDE",
	"max-pixels":        "VIGIL_MAX_PIXELS",
	"decode-timeout":    "VIGIL_DECODE_TIMEOUT",
	"min-face":          "VIGIL_MIN_FACE",
	"log-level":         "VIGIL_LOG_LEVEL",
	"listen":            "VIGIL_LISTEN",
	"secret-file":       "VIGIL_WEBHOOK_SECRET_FILE",
	"concurrency":       "VIGIL_CONCURRENCY",
	"sweep-interval":    "VIGIL_SWEEP_INTERVAL",
	"sweep-min-age":     "VIGIL_SWEEP_MIN_AGE",
}

// secretEnv holds the webhook secret itself (never a flag: ps shows flags).
const secretEnv = "VIGIL_WEBHOOK_SECRET"

// minSecret is the shortest webhook secret accepted.
const minSecret = 16

func defaultConfig() cloudConfig {
	l := domain.DefaultVerifyLimits()
	return cloudConfig{QuarantinePrefix: "quarantine/", MaxBytes: l.MaxBytes, MaxSide: l.MaxWidth, MaxPixels: l.MaxPixels,
		DecodeTimeout: l.DecodeTimeout, MinFace: 20, LogLevel: "info", Listen: "127.0.0.1:8090",
		Concurrency: runtime.GOMAXPROCS(0), SweepEvery: time.Minute, SweepMinAge: 2 * time.Minute}
}

// parseConfig reads mode's flags over the environment over the defaults
// and validates the result, reporting every problem at once.
func parseConfig(mode string, args []string, getenv func(string) string, stderr io.Writer) (cloudConfig, error) {
	c := defaultConfig()
	fs := flag.NewFlagSet("vigil-validator "+mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, usage string) { fs.StringVar(p, name, *p, usage+" ($"+env[name]+")") }
	str(&c.UploadBucket, "upload-bucket", "bucket the devices upload to (required)")
	str(&c.ProductionBucket, "production-bucket", "bucket of verified images and thumbnails (required)")
	str(&c.QuarantineBucket, "quarantine-bucket", "bucket of rejected uploads (default: the upload bucket)")
	str(&c.QuarantinePrefix, "quarantine-prefix", "key prefix of rejected uploads")
	str(&c.Table, "table", "DynamoDB table (required)")
	str(&c.S3Endpoint, "s3-endpoint", "S3-compatible endpoint URL (default: AWS)")
	str(&c.DynamoEndpoint, "dynamodb-endpoint", "DynamoDB-compatible endpoint URL (default: AWS)")
	str(&c.Region, "region", "AWS region")
	fs.Int64Var(&c.MaxBytes, "max-bytes", c.MaxBytes, "largest upload in bytes ($"+env["max-bytes"]+")")
	fs.IntVar(&c.MaxSide, "max-side", c.MaxSide, "largest width or height ($"+env["max-side"]+")")
	fs.IntVar(&c.MaxPixels, "max-pixels", c.MaxPixels, "largest width×height ($"+env["max-pixels"]+")")
	fs.DurationVar(&c.DecodeTimeout, "decode-timeout", c.DecodeTimeout, "longest full decode ($"+env["decode-timeout"]+")")
	fs.IntVar(&c.MinFace, "min-face", c.MinFace, "smallest face searched, pixels ($"+env["min-face"]+")")
	str(&c.LogLevel, "log-level", "debug, info, warn or error")
	if mode == "serve" {
		str(&c.Listen, "listen", "address of the webhook endpoint")
		str(&c.SecretFile, "secret-file", "file holding the webhook's shared secret (or $"+secretEnv+")")
		fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "uploads handled at once ($"+env["concurrency"]+")")
		fs.DurationVar(&c.SweepEvery, "sweep-interval", c.SweepEvery, "list uploads/ this often for uploads no event announced; 0: at start only ($"+env["sweep-interval"]+")")
		fs.DurationVar(&c.SweepMinAge, "sweep-min-age", c.SweepMinAge, "the sweep leaves younger uploads to their events ($"+env["sweep-min-age"]+")")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: vigil-validator %s [flags]\n\n", mode)
		fs.PrintDefaults()
	}

	// The environment first, so that flags win.
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(env[f.Name]); v != "" && env[f.Name] != "" {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("$%s: %v", env[f.Name], err))
			}
		}
	})
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if mode == "serve" {
		c.Secret = getenv(secretEnv)
	}
	return c, c.validate(mode, errs)
}

// validate checks every setting and loads the secret file.
func (c *cloudConfig) validate(mode string, errs []error) error {
	need := func(v, name string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("-%s (or $%s) is required", name, env[name]))
		}
	}
	need(c.UploadBucket, "upload-bucket")
	need(c.ProductionBucket, "production-bucket")
	need(c.Table, "table")
	if c.QuarantineBucket == "" {
		c.QuarantineBucket = c.UploadBucket
	}
	if c.UploadBucket != "" && c.UploadBucket == c.ProductionBucket {
		errs = append(errs, errors.New("the upload and production buckets must differ"))
	}
	if c.QuarantineBucket == c.ProductionBucket && c.ProductionBucket != "" {
		errs = append(errs, errors.New("the quarantine must not be the production bucket"))
	}
	// In any bucket: a copy under uploads/ would look like an upload (to
	// the bucket's events, the sweep, an operator) and be judged again.
	if c.QuarantinePrefix == "" || strings.HasPrefix(c.QuarantinePrefix, validator.UploadPrefix) {
		errs = append(errs, fmt.Errorf("-quarantine-prefix %q: it must be set and outside %q", c.QuarantinePrefix, validator.UploadPrefix))
	}
	for name, u := range map[string]string{"s3-endpoint": c.S3Endpoint, "dynamodb-endpoint": c.DynamoEndpoint} {
		if u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			errs = append(errs, fmt.Errorf("-%s %q is not an http(s) URL", name, u))
		}
	}
	if err := c.limits().Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.MinFace < 8 {
		errs = append(errs, fmt.Errorf("-min-face %d: at least 8", c.MinFace))
	}
	if _, err := logLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if mode == "serve" {
		if c.SecretFile != "" {
			b, err := os.ReadFile(c.SecretFile)
			if err != nil {
				errs = append(errs, fmt.Errorf("-secret-file: %v", err))
			}
			c.Secret = strings.TrimSpace(string(b))
		}
		switch {
		case c.Secret == "" && c.SecretFile == "":
			errs = append(errs, fmt.Errorf("the webhook needs a shared secret: $%s or -secret-file", secretEnv))
		case len(c.Secret) < minSecret:
			errs = append(errs, fmt.Errorf("the webhook secret is shorter than %d characters", minSecret))
		}
		if c.Listen == "" {
			errs = append(errs, errors.New("-listen is empty"))
		}
		if c.Concurrency < 1 || c.Concurrency > 256 {
			errs = append(errs, fmt.Errorf("-concurrency %d: 1..256", c.Concurrency))
		}
		if c.SweepEvery < 0 || (c.SweepEvery > 0 && c.SweepEvery < time.Second) {
			errs = append(errs, fmt.Errorf("-sweep-interval %v: 0 or at least 1s", c.SweepEvery))
		}
		if c.SweepMinAge < 0 {
			errs = append(errs, fmt.Errorf("-sweep-min-age %v is negative", c.SweepMinAge))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return nil
}

func (c cloudConfig) limits() domain.VerifyLimits {
	return domain.VerifyLimits{MaxBytes: c.MaxBytes, MaxPixels: c.MaxPixels, MaxWidth: c.MaxSide, MaxHeight: c.MaxSide, DecodeTimeout: c.DecodeTimeout}
}

func logLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("-log-level %q: debug, info, warn or error", s)
	}
	return l, nil
}

// newLogger logs JSON lines to w.
func newLogger(c cloudConfig, w io.Writer) *slog.Logger {
	l, _ := logLevel(c.LogLevel)
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})).With("app", "vigil-validator", "version", version)
}

// newPipeline wires the validator's use case to S3 and DynamoDB; it
// returns the upload bucket too (for the sweep).
func newPipeline(ctx context.Context, c cloudConfig, getenv func(string) string, log *slog.Logger) (*validator.Pipeline, *s3.Bucket, error) {
	cfg, err := awsconfig.Load(ctx, c.Region, getenv)
	if err != nil {
		return nil, nil, err
	}
	s3c := s3.NewClient(cfg, s3.ClientOptions{Endpoint: c.S3Endpoint})
	table, err := dynamodb.Open(cfg, dynamodb.Options{Table: c.Table, Endpoint: c.DynamoEndpoint})
	if err != nil {
		return nil, nil, err
	}
	table.SetLogger(log) // a failed "last upload" update is only worth a warning
	fd, err := vision.NewFaceDetector(vision.FaceOptions{MinSize: c.MinFace})
	if err != nil {
		return nil, nil, err
	}
	uploads := s3.NewBucket(s3c, c.UploadBucket)
	p, err := validator.NewPipeline(validator.Stores{
		Uploads:    uploads,
		Quarantine: s3.NewQuarantine(s3c, c.UploadBucket, c.QuarantineBucket, c.QuarantinePrefix),
		Production: s3.NewBucket(s3c, c.ProductionBucket),
		Directory:  table,
		Index:      table,
	}, fd, c.limits(), time.Now, log)
	return p, uploads, err
}
