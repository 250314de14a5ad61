// Package webhook posts an event's JSON to a URL the user chose, signed
// with a shared secret when one is set, throttled and retried.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// Config configures the webhook.
type Config struct {
	URL string
	// Secret, when set, signs each body: header X-Vigil-Signature:
	// sha256=<hex HMAC-SHA256 of the body>. It is never logged.
	Secret string
	// MinGap between two posts (throttle); default 10 s.
	MinGap time.Duration
	// Attempts per event (default 5), waiting Backoff (default 1 s) doubled
	// with jitter between them; each attempt times out after Timeout (10 s).
	Attempts int
	Backoff  time.Duration
	Timeout  time.Duration
	Client   *http.Client
	Now      func() time.Time
}

// Hook is a ports.Alerter posting to one URL.
type Hook struct {
	cfg Config
	mu  sync.Mutex
	th  domain.Throttle
}

var _ ports.Alerter = (*Hook)(nil)

// New validates cfg.
func New(cfg Config) (*Hook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Not the URL itself: its path or query may hold a token.
		return nil, domain.E("webhook url", domain.Invalid, errors.New("not an http:// or https:// URL with a host"))
	}
	if cfg.MinGap <= 0 {
		cfg.MinGap = 10 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Hook{cfg: cfg, th: domain.Throttle{MinGap: cfg.MinGap}}, nil
}

// body is the JSON the hook posts (the adapter's own shape of domain.Event).
type body struct {
	Event     string     `json:"event"`
	Start     time.Time  `json:"start"`
	End       *time.Time `json:"end,omitempty"`
	PeakScore float64    `json:"peak_score"`
	BBox      [4]float64 `json:"bbox"` // x0, y0, x1, y1 in 0..1
	Faces     int        `json:"faces"`
	Snapshots []string   `json:"snapshots"`
}

// Alert posts ev unless the throttle holds it back; it retries failures
// (network errors, 5xx, 429) until ctx ends or the attempts run out.
func (h *Hook) Alert(ctx context.Context, ev domain.Event) error {
	h.mu.Lock()
	ok := h.th.Allow(h.cfg.Now())
	h.mu.Unlock()
	if !ok {
		return nil
	}
	b := body{Event: string(ev.ID), Start: ev.Start.UTC(), PeakScore: ev.PeakScore,
		BBox: [4]float64{ev.BBox.X0, ev.BBox.Y0, ev.BBox.X1, ev.BBox.Y1}, Faces: len(ev.Faces), Snapshots: []string{}}
	if !ev.End.IsZero() {
		end := ev.End.UTC()
		b.End = &end
	}
	for _, s := range ev.Snapshots {
		b.Snapshots = append(b.Snapshots, s.Name)
	}
	payload, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	wait := h.cfg.Backoff
	for attempt := 1; ; attempt++ {
		retry, err := h.post(ctx, payload)
		if err == nil {
			return nil
		}
		if !retry || attempt == h.cfg.Attempts {
			return fmt.Errorf("webhook: event %s: attempt %d: %w", ev.ID, attempt, err)
		}
		t := time.NewTimer(wait/2 + rand.N(wait/2+1))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("webhook: event %s: %w (last: %v)", ev.ID, ctx.Err(), err)
		case <-t.C:
		}
		wait *= 2
	}
}

func (h *Hook) post(ctx context.Context, payload []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.URL, bytes.NewReader(payload))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil-edge")
	if h.cfg.Secret != "" {
		m := hmac.New(sha256.New, []byte(h.cfg.Secret))
		m.Write(payload)
		req.Header.Set("X-Vigil-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	}
	resp, err := h.cfg.Client.Do(req)
	if err != nil {
		// The client's *url.Error names the URL, whose path or query may
		// hold a token: keep only its cause.
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return true, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("%s", resp.Status)
	}
	return false, fmt.Errorf("%s", resp.Status)
}
