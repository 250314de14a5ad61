package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"vigil/adapters/awsconfig"
	"vigil/adapters/dynamodb"
	"vigil/adapters/s3"
	"vigil/app/cloud"
)

// settings of every mode: defaults, then the environment, then flags.
type settings struct {
	Table          string
	DynamoEndpoint string
	S3Endpoint     string
	Region         string
	LogLevel       string

	// serve
	Listen           string
	UploadBucket     string
	ProductionBucket string
	UploadLifetime   time.Duration
	SessionLifetime  time.Duration
	MaxUploadBytes   int64
	GrantsPerMinute  int
	SecureCookie     bool
	ProxyHeader      string
	CreateTable      bool
}

// env names the environment variable of each flag.
var env = map[string]string{
	"table":               "VIGIL_TABLE",
	"dynamodb-endpoint":   "VIGIL_DYNAMODB_ENDPOINT",
	"s3-endpoint":         "VIGIL_S3_ENDPOINT",
	"region":              "AWS_REGION",
	"log-level":           "VIGIL_LOG_LEVEL",
	"listen":              "VIGIL_LISTEN",
	"upload-bucket":       "VIGIL_UPLOAD_BUCKET",
	"production-bucket":   "VIGIL_PRODUCTION_BUCKET",
	"upload-url-lifetime": "VIGIL_UPLOAD_URL_LIFETIME",
	"session-lifetime":    "VIGIL_SESSION_LIFETIME",
	"max-upload-bytes":    "VIGIL_MAX_UPLOAD_BYTES",
	"grants-per-minute":   "VIGIL_GRANTS_PER_MINUTE",
	"secure-cookie":       "VIGIL_SECURE_COOKIE",
	"proxy-header":        "VIGIL_PROXY_HEADER",
	"create-table":        "VIGIL_CREATE_TABLE",
}

func defaults() settings {
	return settings{LogLevel: "info", Listen: ":8080", UploadLifetime: cloud.DefaultUploadLifetime,
		SessionLifetime: cloud.DefaultSessionLifetime,
		GrantsPerMinute: 60, SecureCookie: true}
}

// flags declares the settings every mode shares and, for serve, the rest.
func (c *settings) flags(fs *flag.FlagSet, serve bool) {
	str := func(p *string, name, usage string) { fs.StringVar(p, name, *p, usage+" ($"+env[name]+")") }
	str(&c.Table, "table", "DynamoDB table (required)")
	str(&c.DynamoEndpoint, "dynamodb-endpoint", "DynamoDB-compatible endpoint URL, e.g. dynalite's (default: AWS)")
	str(&c.Region, "region", "AWS region (default us-east-1)")
	str(&c.LogLevel, "log-level", "debug, info, warn or error")
	fs.BoolVar(&c.CreateTable, "create-table", c.CreateTable, "create the table if it is missing (development) ($"+env["create-table"]+")")
	if !serve {
		return
	}
	str(&c.S3Endpoint, "s3-endpoint", "S3-compatible endpoint URL, e.g. versitygw's (default: AWS)")
	str(&c.Listen, "listen", "address of the web app and the APIs")
	str(&c.UploadBucket, "upload-bucket", "bucket the devices upload to (required)")
	str(&c.ProductionBucket, "production-bucket", "bucket of verified images and thumbnails (required)")
	fs.DurationVar(&c.UploadLifetime, "upload-url-lifetime", c.UploadLifetime, "lifetime of a device's presigned PUT, at most 5m ($"+env["upload-url-lifetime"]+")")
	fs.DurationVar(&c.SessionLifetime, "session-lifetime", c.SessionLifetime, "how long a sign-in lasts ($"+env["session-lifetime"]+")")
	fs.Int64Var(&c.MaxUploadBytes, "max-upload-bytes", c.MaxUploadBytes, "largest upload granted (default the validator's 5 MiB) ($"+env["max-upload-bytes"]+")")
	fs.IntVar(&c.GrantsPerMinute, "grants-per-minute", c.GrantsPerMinute, "upload grants per device per minute ($"+env["grants-per-minute"]+")")
	fs.BoolVar(&c.SecureCookie, "secure-cookie", c.SecureCookie, "mark the session cookie Secure (serve HTTPS, or HTTPS at the proxy) ($"+env["secure-cookie"]+")")
	str(&c.ProxyHeader, "proxy-header", "header a trusted proxy appends the client address to, e.g. X-Forwarded-For (its last entry is used)")
}

// parse reads the environment, then args, into c, and validates it.
func (c *settings) parse(fs *flag.FlagSet, args []string, getenv func(string) string, serve bool) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if name := env[f.Name]; name != "" {
			if v := getenv(name); v != "" {
				if err := f.Value.Set(v); err != nil {
					errs = append(errs, fmt.Errorf("$%s: %v", name, err))
				}
			}
		}
	})
	if serve && getenv("VIGIL_GALLERY_URL_LIFETIME") != "" {
		errs = append(errs, fmt.Errorf("$VIGIL_GALLERY_URL_LIFETIME: the gallery's URLs are valid %s, fixed; unset it", cloud.GalleryLifetime))
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if c.Table == "" {
		errs = append(errs, errors.New("-table is required"))
	}
	endpoints := map[string]string{"dynamodb-endpoint": c.DynamoEndpoint}
	if serve {
		endpoints["s3-endpoint"] = c.S3Endpoint
		if c.UploadBucket == "" {
			errs = append(errs, errors.New("-upload-bucket is required"))
		}
		if c.ProductionBucket == "" {
			errs = append(errs, errors.New("-production-bucket is required"))
		}
		if c.Listen == "" {
			errs = append(errs, errors.New("-listen is empty"))
		}
		if err := c.service().WithDefaults().Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	for name, v := range endpoints {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("-%s %q: want http(s)://host[:port]", name, v))
		}
	}
	if _, err := logLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c settings) service() cloud.Config {
	return cloud.Config{UploadLifetime: c.UploadLifetime, SessionLifetime: c.SessionLifetime,
		MaxUploadBytes: c.MaxUploadBytes, GrantsPerMinute: c.GrantsPerMinute}
}

func logLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("-log-level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func newLogger(c settings, w io.Writer) *slog.Logger {
	l, _ := logLevel(c.LogLevel)
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// stores opens the table (creating it when asked) and, for serve, the
// presigner; then the service over them.
func newService(ctx context.Context, c settings, getenv func(string) string, serve bool) (*cloud.Service, error) {
	cfg, err := awsconfig.Load(ctx, c.Region, getenv)
	if err != nil {
		return nil, err
	}
	table, err := dynamodb.Open(cfg, dynamodb.Options{Table: c.Table, Endpoint: strings.TrimRight(c.DynamoEndpoint, "/")})
	if err != nil {
		return nil, err
	}
	if c.CreateTable {
		if err := table.CreateTable(ctx); err != nil && !strings.Contains(err.Error(), "ResourceInUseException") {
			return nil, err
		}
	}
	st := cloud.Stores{Accounts: table, Licenses: table, Seats: table, Devices: table, Gallery: table, Sessions: table, Limiter: table}
	if serve {
		st.Presigner = s3.NewPresigner(s3.NewClient(cfg, s3.ClientOptions{Endpoint: c.S3Endpoint}), c.UploadBucket, c.ProductionBucket)
	} else {
		st.Presigner = noPresigner{}
	}
	return cloud.New(st, c.service(), time.Now)
}

// noPresigner stands in for the operator commands, which sign nothing.
type noPresigner struct{}

func (noPresigner) PresignPut(context.Context, string, int64, string, time.Duration) (domainGrant, error) {
	return domainGrant{}, errors.New("operator commands sign no URL")
}

func (noPresigner) PresignGet(context.Context, string, time.Duration) (string, error) {
	return "", errors.New("operator commands sign no URL")
}
