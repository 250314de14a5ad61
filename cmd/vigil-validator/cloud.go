package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"vigil/adapters/lambda"
	"vigil/adapters/s3event"
	"vigil/app/validator"
)

// recordHandler passes the records of new objects to the pipeline, which
// reads the key from the configured upload bucket and ignores keys outside
// uploads/ (the production bucket's, its own quarantine copies). Removals
// are none of its work.
//
// The record's bucket is only checked for the log: versitygw v1.8.0 was
// seen naming another bucket (the bytes of a concurrent request's) in an
// event for the upload bucket, so trusting the name would drop uploads
// until the next sweep. Handling against our own bucket is safe either
// way: a key that is not there is "gone".
func recordHandler(c cloudConfig, p *validator.Pipeline, log *slog.Logger) s3event.HandleFunc {
	return func(ctx context.Context, r s3event.Record) error {
		if !r.Created() || r.Bucket != c.UploadBucket && !strings.HasPrefix(r.Key, validator.UploadPrefix) {
			log.Debug("event ignored", "bucket", r.Bucket, "event", r.Event, "key", r.Key)
			return nil
		}
		if r.Bucket != c.UploadBucket {
			log.Warn("event names another bucket: handled against the upload bucket", "bucket", r.Bucket,
				"upload_bucket", c.UploadBucket, "key", r.Key)
		}
		_, err := p.Handle(ctx, r.Key)
		return err
	}
}

// runLambda is the lambda mode: the AWS Lambda runtime loop.
func runLambda(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	c, err := parseConfig("lambda", args, getenv, stderr)
	if err != nil {
		return err
	}
	if getenv("AWS_LAMBDA_RUNTIME_API") == "" {
		return errors.New("lambda: AWS_LAMBDA_RUNTIME_API is not set: run under the Lambda runtime (or aws-lambda-rie)")
	}
	log := newLogger(c, stderr)
	p, _, err := newPipeline(ctx, c, getenv, log)
	if err != nil {
		return err
	}
	log.Info("lambda: ready", "upload_bucket", c.UploadBucket, "production_bucket", c.ProductionBucket, "table", c.Table)
	lambda.NewHandler(recordHandler(c, p, log), log).Start(ctx)
	return nil
}

// runServe is the serve mode: the webhook endpoint for S3-compatible
// servers' event notifications, until ctx ends.
func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	c, err := parseConfig("serve", args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(c, stderr)
	p, uploads, err := newPipeline(ctx, c, getenv, log)
	if err != nil {
		return err
	}
	sweeper, err := validator.NewSweeper(p, uploads, c.SweepEvery, c.SweepMinAge, log)
	if err != nil {
		return err
	}
	wh, err := s3event.NewWebhook(s3event.WebhookOptions{Secret: c.Secret, Concurrency: c.Concurrency, Log: log}, recordHandler(c, p, log))
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/events", wh)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok\n")
	})
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	log.Info("serve: listening", "addr", ln.Addr().String(), "path", "/events", "upload_bucket", c.UploadBucket,
		"production_bucket", c.ProductionBucket, "table", c.Table, "concurrency", c.Concurrency)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	sweepCtx, stopSweep := context.WithCancel(ctx)
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		_ = sweeper.Run(sweepCtx)
	}()
	select {
	case err = <-errc:
		err = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		// Let running uploads finish (they are idempotent, but a finished
		// one is not delivered again).
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		err = srv.Shutdown(sctx)
	}
	stopSweep()
	<-swept
	log.Info("serve: stopped")
	return err
}
