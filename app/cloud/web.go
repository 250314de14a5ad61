package cloud

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"vigil/domain"
)

// badLogin is the one answer to every failed sign-in, so that it does not
// tell which addresses have accounts.
var badLogin = domain.E("login", domain.Unauthorized, errors.New("wrong e-mail address or password"))

// dummyHash is verified against when there is no such user, so that an
// unknown address takes as long as a wrong password.
var dummyHash, _ = hashPassword("vigil: no such user, the timing stays the same")

// Login checks a person's e-mail address and password and opens a session;
// it returns the session's token (for the cookie, never stored) and the
// session (with its CSRF token). Attempts are limited per client
// (clientKey, e.g. the remote IP) and per address from that client; failed
// ones also count against a much higher ceiling per address from all
// clients, so that nobody can lock the owner out from one place.
func (s *Service) Login(ctx context.Context, email, password, clientKey string) (string, domain.Session, error) {
	now := s.now()
	norm, err := domain.NormalizeEmail(email)
	if err != nil || password == "" || len(password) > 4*domain.MaxPasswordLen {
		return "", domain.Session{}, badLogin
	}
	limited := domain.E("login", domain.Unavailable, ErrRateLimited)
	for _, lim := range []struct {
		key string
		n   int
	}{{"login:client:" + clientKey, 5 * s.cfg.LoginsPerWindow}, {"login:email:" + norm + "|client:" + clientKey, s.cfg.LoginsPerWindow}} {
		ok, err := s.st.Limiter.Allow(ctx, lim.key, lim.n, s.cfg.LoginWindow, now)
		if err != nil {
			return "", domain.Session{}, err
		}
		if !ok {
			return "", domain.Session{}, limited
		}
	}
	failKey := "login:failed:" + norm
	failed, err := s.st.Limiter.Used(ctx, failKey, s.cfg.LoginWindow, now)
	if err != nil {
		return "", domain.Session{}, err
	}
	if failed >= s.cfg.LoginFailuresPerWindow {
		return "", domain.Session{}, limited
	}
	u, err := s.st.Accounts.User(ctx, norm)
	hash := u.PasswordHash
	if domain.KindOf(err) == domain.NotFound {
		hash = dummyHash
	} else if err != nil {
		return "", domain.Session{}, err
	}
	ok, verr := s.checkPassword(ctx, password, hash)
	if domain.KindOf(verr) == domain.Unavailable {
		return "", domain.Session{}, verr
	}
	if err != nil || verr != nil || !ok {
		// The failure counts against the address's ceiling (once that is
		// reached, Allow counts no more: the ceiling holds anyway).
		if _, lerr := s.st.Limiter.Allow(ctx, failKey, s.cfg.LoginFailuresPerWindow, s.cfg.LoginWindow, now); lerr != nil {
			return "", domain.Session{}, lerr
		}
		return "", domain.Session{}, badLogin
	}
	token, err := randomToken(32)
	if err != nil {
		return "", domain.Session{}, err
	}
	csrf, err := randomToken(32)
	if err != nil {
		return "", domain.Session{}, err
	}
	se := domain.Session{TokenHash: hashToken(token), AccountID: u.AccountID, Email: u.Email, CSRF: csrf,
		Created: now.UTC(), Expires: now.Add(s.cfg.SessionLifetime).UTC()}
	if err := s.st.Sessions.PutSession(ctx, se); err != nil {
		return "", domain.Session{}, err
	}
	return token, se, nil
}

// checkPassword runs verifyPassword in one of the service's slots: each
// check holds 19 MiB, so an unbounded number of them at once could exhaust
// memory. It waits at most PasswordWait for a slot, then answers ErrBusy
// (Unavailable), as it does when ctx ends first.
func (s *Service) checkPassword(ctx context.Context, password, hash string) (bool, error) {
	select {
	case s.hashSlots <- struct{}{}:
	default:
		t := time.NewTimer(s.cfg.PasswordWait)
		defer t.Stop()
		select {
		case s.hashSlots <- struct{}{}:
		case <-t.C:
			return false, domain.E("login", domain.Unavailable, ErrBusy)
		case <-ctx.Done():
			return false, domain.E("login", domain.Unavailable, ctx.Err())
		}
	}
	defer func() { <-s.hashSlots }()
	return verifyPassword(password, hash)
}

// Session returns the live session of a cookie's token; Unauthorized
// otherwise.
func (s *Service) Session(ctx context.Context, token string) (domain.Session, error) {
	if token == "" || len(token) > maxKeyLen {
		return domain.Session{}, domain.E("session", domain.Unauthorized, errors.New("not signed in"))
	}
	return s.st.Sessions.Session(ctx, hashToken(token), s.now())
}

// Logout ends the session of token.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" || len(token) > maxKeyLen {
		return nil
	}
	return s.st.Sessions.DeleteSession(ctx, hashToken(token))
}

// CheckCSRF reports whether got is the session's CSRF token.
func CheckCSRF(se domain.Session, got string) error {
	if got == "" || !sameHash(se.CSRF, got) {
		return domain.E("csrf", domain.Unauthorized, errors.New("missing or wrong CSRF token: reload the page"))
	}
	return nil
}

// GalleryImage is an image with URLs valid for GalleryLifetime.
type GalleryImage struct {
	domain.ImageRecord
	Key      string // the public key: {deviceID}.{eventID}-{n}
	URL      string
	ThumbURL string
}

func (s *Service) present(ctx context.Context, r domain.ImageRecord) (GalleryImage, error) {
	g := GalleryImage{ImageRecord: r, Key: domain.ImageKey(r.DeviceID, r.ID)}
	var err error
	if g.URL, err = s.st.Presigner.PresignGet(ctx, r.Key, GalleryLifetime); err != nil {
		return g, err
	}
	thumb := r.ThumbKey
	if thumb == "" {
		thumb = r.Key
	}
	g.ThumbURL, err = s.st.Presigner.PresignGet(ctx, thumb, GalleryLifetime)
	return g, err
}

// Images returns a page of the session's account's verified images with
// fresh URLs, newest first, and the next page's cursor.
func (s *Service) Images(ctx context.Context, se domain.Session, q domain.ImageQuery) ([]GalleryImage, string, error) {
	page, err := s.st.Gallery.Images(ctx, se.AccountID, q)
	if err != nil {
		return nil, "", err
	}
	out := make([]GalleryImage, 0, len(page.Images))
	for _, r := range page.Images {
		g, err := s.present(ctx, r)
		if err != nil {
			return nil, "", err
		}
		out = append(out, g)
	}
	return out, page.Next, nil
}

// Image returns one image of the session's account by its public key;
// NotFound for a malformed key or another account's image.
func (s *Service) Image(ctx context.Context, se domain.Session, key string) (GalleryImage, error) {
	dev, id, _, err := domain.ParseImageKey(key)
	if err != nil {
		return GalleryImage{}, domain.E("image", domain.NotFound, fmt.Errorf("no image %q", key))
	}
	r, err := s.st.Gallery.Image(ctx, se.AccountID, dev, id)
	if err != nil {
		return GalleryImage{}, err
	}
	return s.present(ctx, r)
}

// Devices returns the session's account's license (zero when it has none)
// and its devices.
func (s *Service) Devices(ctx context.Context, se domain.Session) (domain.License, []domain.Device, error) {
	l, err := s.st.Licenses.License(ctx, se.AccountID)
	if err != nil && domain.KindOf(err) != domain.NotFound {
		return domain.License{}, nil, err
	}
	ds, err := s.st.Devices.Devices(ctx, se.AccountID)
	return l, ds, err
}

// Device returns one device of the session's account (NotFound otherwise).
func (s *Service) Device(ctx context.Context, se domain.Session, deviceID string) (domain.Device, error) {
	if !domain.ValidDeviceID(deviceID) {
		return domain.Device{}, domain.E("device", domain.NotFound, fmt.Errorf("no device %q", deviceID))
	}
	return s.st.Devices.Device(ctx, se.AccountID, deviceID)
}

// Revoke revokes one device of the session's account: its secret stops
// working at once and its seat is free.
func (s *Service) Revoke(ctx context.Context, se domain.Session, deviceID string) error {
	if !domain.ValidDeviceID(deviceID) {
		return domain.E("revoke", domain.NotFound, fmt.Errorf("no device %q", deviceID))
	}
	return s.st.Seats.Revoke(ctx, se.AccountID, deviceID, s.now().UTC())
}

// Rejections returns a page of the session's account's rejected uploads.
func (s *Service) Rejections(ctx context.Context, se domain.Session, limit int, cursor string) (domain.RejectionPage, error) {
	return s.st.Gallery.Rejections(ctx, se.AccountID, limit, strings.TrimSpace(cursor))
}

// License returns the session's account's license (NotFound when none).
func (s *Service) License(ctx context.Context, se domain.Session) (domain.License, error) {
	return s.st.Licenses.License(ctx, se.AccountID)
}
