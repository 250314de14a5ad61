package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"vigil/adapters/cloudapi"
	"vigil/adapters/configfile"
	"vigil/app/edge"
)

// cloudLink enrolls the device from the web UI, as `vigil-edge enroll`
// does from the shell: a seat at vigil-cloud, the device secret kept in
// DATA/device.secret (0600, never shown), the cloud URL and device ID in
// the settings, which restarts the pipeline with uploads on.
type cloudLink struct {
	dataDir  string
	settings *edge.LiveSettings
}

// Enroll takes a seat of license at url for a camera called name.
func (l *cloudLink) Enroll(ctx context.Context, url, license, name string) (string, error) {
	probe := l.settings.File()
	probe.Cloud = edge.CloudSettings{URL: url}
	if err := probe.Validate(); err != nil { // the URL, before anything is sent
		return "", err
	}
	c := &cloudapi.Client{BaseURL: url, HTTP: &http.Client{Timeout: 30 * time.Second}}
	id, secret, err := c.Enroll(ctx, license, name)
	if err != nil {
		return "", err
	}
	// The secret first: a device ID in the settings without its secret
	// would be an enrolled camera that cannot upload.
	if err := writeSecret(l.dataDir, secret); err != nil {
		return "", err
	}
	err = l.settings.Update(ctx, func(s *edge.Settings) error {
		s.Cloud = edge.CloudSettings{URL: url, DeviceID: id}
		return nil
	})
	return id, err
}

// Unlink forgets the enrollment on this device: the settings lose the
// cloud and the secret file is removed (the seat is freed by revoking the
// device in vigil-cloud's web app).
func (l *cloudLink) Unlink(ctx context.Context) error {
	if err := l.settings.Update(ctx, func(s *edge.Settings) error {
		s.Cloud = edge.CloudSettings{}
		return nil
	}); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(l.dataDir, secretFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("device secret: %w", err)
	}
	return nil
}

// writeFile writes a private file whole and durably; a variable so that
// tests can see what goes through it.
var writeFile = configfile.WriteAtomic

// writeSecret keeps the device secret in DATA/device.secret, mode 0600,
// written atomically and fsynced (a power cut right after enrollment must
// not leave a device ID without its secret).
func writeSecret(dataDir, secret string) error {
	if err := writeFile(filepath.Join(dataDir, secretFile), []byte(secret+"\n")); err != nil {
		return fmt.Errorf("device secret: %w", err)
	}
	return nil
}
