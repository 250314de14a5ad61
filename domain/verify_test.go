package domain

import (
	"strings"
	"testing"
	"time"
)

func TestVerifyLimitsDefaults(t *testing.T) {
	d := DefaultVerifyLimits()
	if d.MaxBytes != 5<<20 || d.MaxPixels != 4096*4096 || d.MaxWidth != 4096 || d.MaxHeight != 4096 || d.DecodeTimeout != 2*time.Second {
		t.Fatalf("defaults %+v", d)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := (VerifyLimits{}).WithDefaults(); got != d {
		t.Fatalf("zero value with defaults %+v", got)
	}
	if got := (VerifyLimits{MaxBytes: 1}).WithDefaults(); got.MaxBytes != 1 || got.MaxPixels != d.MaxPixels {
		t.Fatalf("a set field was overridden: %+v", got)
	}
}

func TestVerifyLimitsValidateReportsAll(t *testing.T) {
	err := VerifyLimits{MaxBytes: -1, MaxPixels: 0, MaxWidth: 1, MaxHeight: -1, DecodeTimeout: -time.Second}.Validate()
	if err == nil || KindOf(err) != Invalid {
		t.Fatalf("err %v, kind %v", err, KindOf(err))
	}
	for _, want := range []string{"max bytes", "max pixels", "max size", "decode timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not mention %s", err, want)
		}
	}
}

func TestImageVerdictReject(t *testing.T) {
	v := ImageVerdict{Accepted: true, Width: 2, Height: 3, Format: "png"}.Reject(Corrupt, "bad CRC")
	if v.Accepted || v.Reason != Corrupt || v.Detail != "bad CRC" || v.Width != 2 || v.Format != "png" {
		t.Fatalf("%+v", v)
	}
}
