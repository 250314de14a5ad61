package edge

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"vigil/domain"
	"vigil/vision"
)

// Settings are everything a user configures on the edge. The config file
// (adapters/configfile) and the web UI read and write them; Validate is
// the one place that judges them.
type Settings struct {
	Camera    CameraSettings
	Motion    domain.MotionSettings
	Events    domain.EventRules
	Regions   []vision.Region
	Schedule  *domain.Schedule // nil: always armed
	Faces     FaceSettings
	GPIO      *GPIOSettings    // nil: no GPIO output
	Webhook   *WebhookSettings // nil: no webhook
	Retention RetentionSettings
	Cloud     CloudSettings
	Listen    string // the web UI's address, e.g. ":8080"
}

// CameraSettings name the source and its format.
type CameraSettings struct {
	// Source: "synthetic", "file:PATH.mjpeg", "http(s)://URL" or "v4l2:/dev/videoN".
	Source        string
	Width, Height int
	FPS           int
	Format        string // v4l2: "mjpeg" or "yuyv"
}

// FaceSettings switch face detection on the events' peak frames.
type FaceSettings struct {
	Enabled  bool
	MinSize  int     // pixels; 0: the detector's default
	MinScore float64 // 0: the detector's default
}

// GPIOSettings drive a line on an event.
type GPIOSettings struct {
	Chip          string
	Line          int
	ActiveLow     bool
	Pulse, MinGap time.Duration
	OnFace        bool // only for events with a face
}

// WebhookSettings post events to a URL.
type WebhookSettings struct {
	URL    string
	Secret string
	MinGap time.Duration
	OnFace bool
}

// RetentionSettings bound the snapshots' disk use.
type RetentionSettings struct {
	QuotaBytes   int64 // 0: no quota
	MinFreeBytes int64 // keep at least this much of the disk free
}

// CloudSettings point at vigil-cloud. The device secret is not here: it is
// kept in its own 0600 file and never shown.
type CloudSettings struct {
	URL      string // empty: no cloud
	DeviceID string
}

// DefaultSettings are the settings of a new installation: the synthetic
// scene, whole frame watched, sensitivity 6, faces on, 1 GiB quota.
func DefaultSettings() Settings {
	return Settings{
		Camera:    CameraSettings{Source: "synthetic", Width: 640, Height: 480, FPS: 15},
		Motion:    domain.DefaultMotionSettings(),
		Events:    domain.DefaultEventRules(),
		Faces:     FaceSettings{Enabled: true},
		Retention: RetentionSettings{QuotaBytes: 1 << 30, MinFreeBytes: 256 << 20},
		Listen:    ":8080",
	}
}

// Validate reports every problem at once, each naming its field as the
// config file spells it.
func (s Settings) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{field}, args...)...))
	}
	c := s.Camera
	switch {
	case c.Source == "synthetic", strings.HasPrefix(c.Source, "file:") && len(c.Source) > 5,
		strings.HasPrefix(c.Source, "v4l2:/dev/"):
	case strings.HasPrefix(c.Source, "http://"), strings.HasPrefix(c.Source, "https://"):
		if u, err := url.Parse(c.Source); err != nil || u.Host == "" {
			bad("camera.source", "%q is not a valid URL", c.Source)
		}
	default:
		bad("camera.source", "%q: want synthetic, file:PATH, http(s)://URL or v4l2:/dev/videoN", c.Source)
	}
	if c.Width < 16 || c.Width > 4096 || c.Height < 16 || c.Height > 4096 {
		bad("camera.width/height", "%dx%d is outside 16..4096", c.Width, c.Height)
	}
	if c.FPS < 1 || c.FPS > 120 {
		bad("camera.fps", "%d is outside 1..120", c.FPS)
	}
	if c.Format != "" && c.Format != "mjpeg" && c.Format != "yuyv" {
		bad("camera.format", "%q: want mjpeg or yuyv", c.Format)
	}
	if err := s.Motion.Validate(); err != nil {
		bad("motion", "%v", unwrapDomain(err))
	}
	if err := s.Events.Validate(); err != nil {
		bad("events", "%v", unwrapDomain(err))
	}
	for i, r := range s.Regions {
		if err := r.Validate(); err != nil {
			bad(fmt.Sprintf("regions[%d]", i), "%v", err)
		}
	}
	if err := s.Schedule.Validate(); err != nil {
		bad("schedule", "%v", unwrapDomain(err))
	}
	if s.Faces.MinSize < 0 || s.Faces.MinSize > 2000 {
		bad("faces.min_size", "%d is outside 0..2000", s.Faces.MinSize)
	}
	if s.Faces.MinScore < 0 {
		bad("faces.min_score", "%v is negative", s.Faces.MinScore)
	}
	if g := s.GPIO; g != nil {
		if g.Chip == "" || strings.ContainsAny(g.Chip, "/ ") && !strings.HasPrefix(g.Chip, "/dev/gpiochip") {
			bad("gpio.chip", "%q: want a chip name such as gpiochip0", g.Chip)
		}
		if g.Line < 0 || g.Line > 1023 {
			bad("gpio.line", "%d is outside 0..1023", g.Line)
		}
		if g.Pulse < 0 || g.Pulse > time.Minute {
			bad("gpio.pulse", "%v is outside 0..1m", g.Pulse)
		}
		if g.MinGap < 0 {
			bad("gpio.min_gap", "%v is negative", g.MinGap)
		}
	}
	if w := s.Webhook; w != nil {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("webhook.url", "%q is not an http(s) URL", w.URL)
		}
		if w.MinGap < 0 {
			bad("webhook.min_gap", "%v is negative", w.MinGap)
		}
	}
	if s.Retention.QuotaBytes < 0 {
		bad("retention.quota_bytes", "%d is negative", s.Retention.QuotaBytes)
	}
	if s.Retention.MinFreeBytes < 0 {
		bad("retention.min_free_bytes", "%d is negative", s.Retention.MinFreeBytes)
	}
	if s.Cloud.URL != "" {
		if err := validCloudURL(s.Cloud.URL); err != nil {
			bad("cloud.url", "%v", err)
		}
	}
	if s.Listen == "" || !strings.Contains(s.Listen, ":") {
		bad("listen", "%q: want host:port or :port", s.Listen)
	}
	if len(errs) > 0 {
		return domain.E("settings", domain.Invalid, errors.Join(errs...))
	}
	return nil
}

// validCloudURL accepts an https URL, or an http one to a loopback host
// (a local test or a tunnel on this device): the device secret must not
// cross a network in clear text.
func validCloudURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return fmt.Errorf("%q: want https (plain http only to this device: localhost, 127.0.0.1, ::1), the device secret must not cross the network in clear text", raw)
	}
	return nil
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// unwrapDomain drops the Op prefix of a domain error, whose field the
// caller names itself.
func unwrapDomain(err error) error {
	var e *domain.Error
	if errors.As(err, &e) {
		return e.Err
	}
	return err
}
