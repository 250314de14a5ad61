package httperr

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gofiber/fiber/v2"

	"vigil/domain"
)

func TestStatus(t *testing.T) {
	for err, want := range map[error]int{
		domain.E("x", domain.Invalid, errors.New("bad")):                    400,
		domain.E("x", domain.NotFound, errors.New("gone")):                  404,
		domain.E("x", domain.Conflict, errors.New("taken")):                 409,
		domain.E("x", domain.Unauthorized, errors.New("who")):               401,
		domain.E("x", domain.Unlicensed, errors.New("no seat")):             402,
		fmt.Errorf("wrapped: %w", domain.E("x", domain.Unavailable, nil)):   503,
		fiber.NewError(fiber.StatusTeapot, "tea"):                           418,
		fmt.Errorf("wrapped: %w", fiber.NewError(fiber.StatusGone, "gone")): 410,
		errors.New("plain"): 500,
	} {
		if got := Status(err); got != want {
			t.Errorf("Status(%v) = %d, want %d", err, got, want)
		}
	}
}
