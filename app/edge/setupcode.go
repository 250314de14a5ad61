package edge

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"

	"vigil/domain"
)

// The setup code: SetupCodeLength characters of setupAlphabet (no 0/O,
// 1/I/L: nothing to confuse when read off a terminal), shown as two groups
// of five joined by a dash. 31^10 ≈ 2^49 codes, against a handful of
// guesses per client before the lock-out.
const (
	SetupCodeLength = 10
	setupAlphabet   = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
)

// ErrBadSetupCode is the answer to a setup without the right setup code
// (HTTP 403).
var ErrBadSetupCode = domain.E("setup", domain.Unauthorized, errors.New(
	"missing or wrong setup code: it is printed in the daemon's log at its start (journalctl -u vigil-edge | grep \"setup code\") "+
		"and by `vigil-edge admin setup-code`"))

// ErrNoSetupCode is the answer to a setup when no code has been issued
// (the file was removed while the daemon ran): a restart issues one.
var ErrNoSetupCode = domain.E("setup", domain.Unavailable, errors.New(
	"no setup code has been issued: restart vigil-edge, it prints a new one"))

// NewSetupCode returns a random setup code in its shown form (XXXXX-XXXXX).
func NewSetupCode() (string, error) {
	const limit = 256 - 256%len(setupAlphabet) // bytes ≥ limit would bias the draw
	code := make([]byte, 0, SetupCodeLength+1)
	buf := make([]byte, 2*SetupCodeLength)
	for len(code) < SetupCodeLength+1 {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("setup code: %w", err)
		}
		for _, b := range buf {
			if int(b) >= limit || len(code) == SetupCodeLength+1 {
				continue
			}
			if len(code) == SetupCodeLength/2 {
				code = append(code, '-')
			}
			code = append(code, setupAlphabet[int(b)%len(setupAlphabet)])
		}
	}
	return string(code), nil
}

// normalSetupCode is code as compared: upper case, without the dash and
// blanks people type or paste around it.
func normalSetupCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ', '\t', '\r', '\n':
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// validSetupCode reports whether the normalised code has the length and
// alphabet of one NewSetupCode issues.
func validSetupCode(normal string) bool {
	if len(normal) != SetupCodeLength {
		return false
	}
	for i := 0; i < len(normal); i++ {
		if strings.IndexByte(setupAlphabet, normal[i]) < 0 {
			return false
		}
	}
	return true
}

// setupCodesEqual compares a typed code with the stored one in constant
// time (for codes of the one valid length).
func setupCodesEqual(typed, stored string) bool {
	t, s := normalSetupCode(typed), normalSetupCode(stored)
	return validSetupCode(s) && subtle.ConstantTimeCompare([]byte(t), []byte(s)) == 1
}

// PrepareSetup is called at the daemon's start. On a first run (no admin)
// it returns the setup code to print, issuing and storing a new one unless
// a valid one is stored already (a restart before the setup keeps the code
// already printed). Once an admin exists it removes any code left over and
// returns "".
func (a *Accounts) PrepareSetup(ctx context.Context) (code string, err error) {
	if a.cfg.SetupCodes == nil {
		return "", domain.E("setup code", domain.Internal, errors.New("no setup code store configured"))
	}
	a.setupMu.Lock()
	defer a.setupMu.Unlock()
	if _, ok, err := a.store.Admin(ctx); err != nil {
		return "", err
	} else if ok {
		return "", a.cfg.SetupCodes.DeleteSetupCode(ctx)
	}
	if old, ok, err := a.cfg.SetupCodes.SetupCode(ctx); err != nil {
		return "", err
	} else if ok && validSetupCode(normalSetupCode(old)) {
		return old, nil
	}
	code, err = NewSetupCode()
	if err != nil {
		return "", err
	}
	if err := a.cfg.SetupCodes.SetSetupCode(ctx, code); err != nil {
		return "", err
	}
	return code, nil
}
