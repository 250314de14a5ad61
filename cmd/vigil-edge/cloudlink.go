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

// writeSecret keeps the device secret in DATA/device.secret, mode 0600,
// written to a temporary file and renamed.
func writeSecret(dataDir, secret string) error {
	tmp := filepath.Join(dataDir, "."+secretFile+".tmp")
	if err := os.WriteFile(tmp, []byte(secret+"\n"), 0o600); err != nil {
		return fmt.Errorf("device secret: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dataDir, secretFile)); err != nil {
		return fmt.Errorf("device secret: %w", err)
	}
	return nil
}
