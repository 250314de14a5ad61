package edge

import (
	"strings"
	"testing"

	"vigil/domain"
	"vigil/vision"
)

func TestDefaultSettingsAreValid(t *testing.T) {
	if err := DefaultSettings().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSettingsValidationNamesEveryField(t *testing.T) {
	s := DefaultSettings()
	s.Camera = CameraSettings{Source: "ftp://x", Width: -640, Height: 480, FPS: 0, Format: "h264"}
	s.Motion.Sensitivity = 42
	s.Regions = []vision.Region{{Points: []vision.Point{{X: 0.5, Y: 0.5}}}}
	s.Schedule = &domain.Schedule{}
	s.Schedule.Days[1] = []domain.Window{{From: 600, To: 60}}
	s.GPIO = &GPIOSettings{Chip: "", Line: -1}
	s.Webhook = &WebhookSettings{URL: "nope"}
	s.Retention.QuotaBytes = -1
	s.Listen = "8080"
	err := s.Validate()
	if domain.KindOf(err) != domain.Invalid {
		t.Fatalf("kind %v: %v", domain.KindOf(err), err)
	}
	for _, field := range []string{"camera.source", "camera.width/height", "camera.fps", "camera.format", "motion:",
		"regions[0]", "schedule:", "gpio.chip", "gpio.line", "webhook.url", "retention.quota_bytes", "listen"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error does not name %s:\n%v", field, err)
		}
	}
}

// The cloud URL carries the device secret: https, or plain http only to
// this device.
func TestCloudURLWantsHTTPS(t *testing.T) {
	for raw, ok := range map[string]bool{
		"https://cloud.example.org":         true,
		"https://cloud.example.org:8443/v1": true,
		"http://127.0.0.1:8080":             true,
		"http://127.0.0.1":                  true,
		"http://127.9.9.9":                  true,
		"http://localhost:9000":             true,
		"http://[::1]:9000":                 true,
		"http://example.org":                false,
		"http://192.168.1.10:8080":          false,
		"http://[::ffff:10.0.0.1]":          false,
		"http://127.0.0.1.example.org":      false,
		"ftp://127.0.0.1":                   false,
		"https://":                          false,
		"cloud.example.org":                 false,
	} {
		s := DefaultSettings()
		s.Cloud.URL = raw
		err := s.Validate()
		if (err == nil) != ok {
			t.Errorf("cloud.url %q: %v, want ok=%v", raw, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), "cloud.url") {
			t.Errorf("cloud.url %q: the error does not name the field: %v", raw, err)
		}
	}
}
