//go:build linux && hardware

package gpiod

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"vigil/domain"
)

// TestRealLine pulses VIGIL_GPIO_CHIP / VIGIL_GPIO_LINE (default gpiochip0
// line 17) on real hardware: go test -tags hardware ./adapters/gpiod/
func TestRealLine(t *testing.T) {
	chip := os.Getenv("VIGIL_GPIO_CHIP")
	if chip == "" {
		chip = "gpiochip0"
	}
	line := 17
	if v, err := strconv.Atoi(os.Getenv("VIGIL_GPIO_LINE")); err == nil {
		line = v
	}
	p, err := Open(Config{Chip: chip, Line: line, Pulse: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Alert(context.Background(), domain.Event{}); err != nil {
		t.Fatal(err)
	}
}
