package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"

	"vigil/adapters/fiber/cloudweb"
	"vigil/app/cloud"
)

// runServe runs the web app and the APIs until ctx ends.
func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	return serve(ctx, args, getenv, stderr, nil)
}

// serve is runServe; ready, when set, receives the listening address.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, ready func(addr string)) error {
	c := defaults()
	fs := flag.NewFlagSet("vigil-cloud serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.flags(fs, true)
	if err := c.parse(fs, args, getenv, true); err != nil {
		return err
	}
	log := newLogger(c, stderr)
	svc, err := newService(ctx, c, getenv, true)
	if err != nil {
		return err
	}
	origins := []string{"https://*.amazonaws.com"}
	if c.S3Endpoint != "" {
		u, _ := url.Parse(c.S3Endpoint)
		origins = []string{u.Scheme + "://" + u.Host}
	}
	web, err := cloudweb.New(cloudweb.Config{Service: svc, SecureCookie: c.SecureCookie, ImageOrigins: origins,
		ProxyHeader: c.ProxyHeader, Log: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "table", c.Table, "upload_bucket", c.UploadBucket,
		"production_bucket", c.ProductionBucket, "gallery_url_lifetime", cloud.GalleryLifetime.String())
	if ready != nil {
		ready(ln.Addr().String())
	}
	return web.Serve(ctx, ln)
}
