package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Edge is one running vigil-edge of the stack.
type Edge struct {
	Name     string
	URL      string // its web UI
	User     string // its admin account
	Password string
	DataDir  string
	DeviceID string // from enrollment

	p *proc
}

// AddEdge prepares a vigil-edge named name (data in DIR/name): its settings
// (Config.EdgeSettings), its admin account with a generated password,
// enrollment with licenseKey at the stack's cloud, then `vigil-edge run` on
// source (a file source is looped) listening on preferred if it is free.
func (s *Stack) AddEdge(ctx context.Context, name, source, licenseKey, preferred string) (*Edge, error) {
	e := &Edge{Name: name, User: "admin", Password: randomPassword(), DataDir: filepath.Join(s.cfg.Dir, name)}
	if err := os.MkdirAll(e.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	var settings map[string]any
	if err := json.Unmarshal([]byte(s.cfg.EdgeSettings), &settings); err != nil {
		return nil, fmt.Errorf("stack: edge settings: %w", err)
	}
	b, _ := json.MarshalIndent(settings, "", "  ")
	if err := os.WriteFile(filepath.Join(e.DataDir, "config.json"), b, 0o600); err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	if err := s.edgeCommand(ctx, strings.NewReader(e.Password+"\n"), nil, "admin", "set-password", "-user", e.User, "-data", e.DataDir); err != nil {
		return nil, err
	}
	// The license key through the environment: ps shows flags.
	if err := s.edgeCommand(ctx, nil, []string{"VIGIL_LICENSE=" + licenseKey}, "enroll", "-cloud", s.info.CloudURL, "-name", name, "-data", e.DataDir); err != nil {
		return nil, err
	}
	var enrolled struct {
		Cloud struct {
			DeviceID string `json:"device_id"`
		} `json:"cloud"`
	}
	if b, err := os.ReadFile(filepath.Join(e.DataDir, "config.json")); err != nil || json.Unmarshal(b, &enrolled) != nil || enrolled.Cloud.DeviceID == "" {
		return nil, fmt.Errorf("stack: edge %s: no device ID in its settings after enrollment (%v)", name, err)
	}
	e.DeviceID = enrolled.Cloud.DeviceID
	addr, err := freeAddr(preferred)
	if err != nil {
		return nil, err
	}
	e.URL = "http://" + addr
	args := []string{"run", "-data", e.DataDir, "-source", source, "-listen", addr}
	if strings.HasPrefix(source, "file:") {
		args = append(args, "-loop")
	}
	e.p = &proc{name: name, bin: s.bin("vigil-edge"), args: args, log: s.logPath(name),
		env: []string{"VIGIL_CONFIG=", "VIGIL_DATA=", "VIGIL_SOURCE=", "VIGIL_KERNEL="}, ready: httpReady(e.URL+"/login", http.StatusOK)}
	s.log.Info("starting vigil-edge run", "name", name, "device", e.DeviceID, "source", source, "url", e.URL)
	if err := e.p.start(ctx, 60*time.Second); err != nil {
		return nil, fmt.Errorf("stack: %w", err)
	}
	s.mu.Lock()
	s.edges = append(s.edges, e)
	s.mu.Unlock()
	return e, nil
}

// edgeCommand runs a one-shot vigil-edge command; its output is returned
// in the error when it fails.
func (s *Stack) edgeCommand(ctx context.Context, stdin *strings.Reader, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, s.bin("vigil-edge"), args...)
	cmd.Env = append(append(os.Environ(), "VIGIL_CONFIG=", "VIGIL_DATA="), env...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("stack: vigil-edge %s: %v: %s", strings.Join(args[:2], " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// Stop ends the edge gently (SIGTERM: it closes its current event).
func (e *Edge) Stop() error {
	if e == nil || e.p == nil {
		return nil
	}
	return e.p.stop(20 * time.Second)
}

// Restart stops the edge and runs it again on another source.
func (e *Edge) Restart(ctx context.Context, source string) error {
	if err := e.Stop(); err != nil {
		return err
	}
	args := []string{"run", "-data", e.DataDir, "-source", source, "-listen", strings.TrimPrefix(e.URL, "http://")}
	if strings.HasPrefix(source, "file:") {
		args = append(args, "-loop")
	}
	e.p.args = args
	return e.Start(ctx)
}

// Start runs a stopped edge again.
func (e *Edge) Start(ctx context.Context) error {
	if e.p.running() {
		return errors.New("stack: edge " + e.Name + " runs already")
	}
	return e.p.start(ctx, 60*time.Second)
}
