package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"vigil/adapters/bbolt"
	"vigil/adapters/cloudapi"
	"vigil/adapters/configfile"
	"vigil/domain"
)

// enroll is `vigil-edge enroll -cloud URL -license KEY [-name NAME]`: it
// takes a seat of the license at vigil-cloud, keeps the device secret in
// DATA/device.secret (0600, never printed) and writes the cloud URL and
// device ID into the settings file. The daemon then uploads. While the
// daemon runs (its database is locked) it refuses: enroll from the web UI.
func enroll(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vigil-edge enroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cloud := fs.String("cloud", "", "vigil-cloud's URL, e.g. https://cloud.example.org")
	license := fs.String("license", getenv("VIGIL_LICENSE"), "the license key (or VIGIL_LICENSE)")
	host, _ := os.Hostname()
	name := fs.String("name", host, "this camera's name, as the cloud shows it")
	dataDir := fs.String("data", or(getenv("VIGIL_DATA"), "data"), "data directory")
	configPath := fs.String("config", getenv("VIGIL_CONFIG"), "settings file (default DATA/config.json)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cloud == "" || *license == "" {
		fs.Usage()
		return domain.E("enroll", domain.Invalid, errors.New("-cloud and -license are required"))
	}
	if *configPath == "" {
		*configPath = filepath.Join(*dataDir, "config.json")
	}
	// A running daemon would keep its settings and undo this enrollment at
	// its next change from the web UI: enroll there instead.
	if busy, err := bbolt.InUse(filepath.Join(*dataDir, "vigil.db"), 100*time.Millisecond); err != nil {
		return err
	} else if busy {
		return domain.E("enroll", domain.Conflict, errors.New("vigil-edge is running: enroll from Settings → Cloud in its web UI"))
	}
	s, err := configfile.Load(*configPath)
	if err != nil {
		return err
	}
	s.Cloud.URL = *cloud
	if err := s.Validate(); err != nil { // the URL, before anything is sent
		return err
	}
	if err := os.MkdirAll(*dataDir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	c := &cloudapi.Client{BaseURL: *cloud, HTTP: &http.Client{Timeout: 30 * time.Second}}
	id, secret, err := c.Enroll(ctx, *license, *name)
	if err != nil {
		return err
	}
	// The secret first: a device ID in the settings without its secret
	// would be an enrolled camera that cannot upload.
	if err := writeSecret(*dataDir, secret); err != nil {
		return err
	}
	s.Cloud.DeviceID = id
	if err := configfile.Save(*configPath, s); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "enrolled as device %s at %s; restart vigil-edge to start uploading\n", id, *cloud)
	return nil
}
