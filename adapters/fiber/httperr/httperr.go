// Package httperr maps errors to the HTTP status both Fiber apps (the
// edge UI and vigil-cloud) answer with: a *fiber.Error keeps its code, a
// domain error's Kind picks one, anything else is a 500.
package httperr

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"vigil/domain"
)

// Status is the HTTP status for err.
func Status(err error) int {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	switch domain.KindOf(err) {
	case domain.Invalid:
		return fiber.StatusBadRequest
	case domain.NotFound:
		return fiber.StatusNotFound
	case domain.Conflict:
		return fiber.StatusConflict
	case domain.Unauthorized:
		return fiber.StatusUnauthorized
	case domain.Unlicensed: // the license is not active or has no free seat
		return fiber.StatusPaymentRequired
	case domain.Unavailable:
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}
