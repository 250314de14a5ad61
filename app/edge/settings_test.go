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
