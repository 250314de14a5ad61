package cloudweb

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vigil/app/cloud"
	"vigil/domain"
)

const sessionKey = "vigil.session"

// session is the request's session (set by needSession).
func session(c *fiber.Ctx) domain.Session {
	se, _ := c.Locals(sessionKey).(domain.Session)
	return se
}

// needSession admits requests with a live session; others are redirected
// to the login page (pages) or answered 401 (API).
func (s *Server) needSession(api bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		se, err := s.svc.Session(c.UserContext(), c.Cookies(sessionCookie))
		if err != nil {
			if domain.KindOf(err) != domain.Unauthorized {
				return err
			}
			if api {
				return c.Status(fiber.StatusUnauthorized).JSON(errorBody{Error: "not signed in", Kind: domain.Unauthorized.String()})
			}
			return c.Redirect("/login", fiber.StatusSeeOther)
		}
		c.Locals(sessionKey, se)
		return c.Next()
	}
}

// checkCSRF requires the session's CSRF token on every request that is
// not GET or HEAD.
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Next()
	}
	got := c.Get(csrfHeader)
	if got == "" {
		got = c.FormValue(csrfField)
	}
	if err := cloud.CheckCSRF(session(c), got); err != nil {
		return c.Status(fiber.StatusForbidden).JSON(errorBody{Error: "missing or wrong CSRF token: reload the page", Kind: domain.Unauthorized.String()})
	}
	return c.Next()
}

func (s *Server) setSessionCookie(c *fiber.Ctx, token string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: expires, HTTPOnly: true,
		Secure: s.cfg.SecureCookie, SameSite: fiber.CookieSameSiteStrictMode})
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(1, 0), MaxAge: -1, HTTPOnly: true,
		Secure: s.cfg.SecureCookie, SameSite: fiber.CookieSameSiteStrictMode})
}

func randomText() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// loginPage shows the sign-in form with a fresh double-submit token.
func (s *Server) loginPage(c *fiber.Ctx) error {
	if _, err := s.svc.Session(c.UserContext(), c.Cookies(sessionCookie)); err == nil {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return s.loginWith(c, fiber.StatusOK, "")
}

func (s *Server) loginWith(c *fiber.Ctx, code int, msg string) error {
	tok := randomText()
	c.Cookie(&fiber.Cookie{Name: preCookie, Value: tok, Path: "/login", HTTPOnly: true, Secure: s.cfg.SecureCookie,
		SameSite: fiber.CookieSameSiteStrictMode, MaxAge: 3600})
	return s.render(c.Status(code), "login", nil, map[string]any{"Pre": tok, "Error": msg})
}

// loginForm signs in from the form.
func (s *Server) loginForm(c *fiber.Ctx) error {
	pre := c.Cookies(preCookie)
	if pre == "" || subtle.ConstantTimeCompare([]byte(pre), []byte(c.FormValue(csrfField))) != 1 {
		return s.loginWith(c, fiber.StatusForbidden, "The form expired: please sign in again.")
	}
	token, se, err := s.svc.Login(c.UserContext(), c.FormValue("email"), c.FormValue("password"), s.client(c))
	if err != nil {
		code := status(err)
		if code >= 500 && code != fiber.StatusServiceUnavailable {
			return err
		}
		msg, _ := s.message(c, err, code)
		return s.loginWith(c, code, msg)
	}
	s.setSessionCookie(c, token, se.Expires)
	return c.Redirect("/", fiber.StatusSeeOther)
}

// decodeJSON reads a JSON body (application/json only, which a cross-site
// form cannot send) into v.
func decodeJSON(c *fiber.Ctx, v any) error {
	ct := strings.ToLower(strings.TrimSpace(strings.Split(c.Get(fiber.HeaderContentType), ";")[0]))
	if ct != fiber.MIMEApplicationJSON {
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "send Content-Type: application/json")
	}
	if err := json.Unmarshal(c.Body(), v); err != nil {
		return domain.E("request", domain.Invalid, errors.New("malformed JSON body"))
	}
	return nil
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginResponse struct {
	CSRFToken string    `json:"csrf_token"`
	AccountID string    `json:"account_id"`
	Email     string    `json:"email"`
	Expires   time.Time `json:"expires"`
}

// apiLogin: POST /api/v1/login {"email","password"} sets the session
// cookie and returns the CSRF token.
func (s *Server) apiLogin(c *fiber.Ctx) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	token, se, err := s.svc.Login(c.UserContext(), req.Email, req.Password, s.client(c))
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token, se.Expires)
	return c.JSON(loginResponse{CSRFToken: se.CSRF, AccountID: se.AccountID, Email: se.Email, Expires: se.Expires})
}

func (s *Server) logoutForm(c *fiber.Ctx) error {
	if err := s.svc.Logout(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (s *Server) apiLogout(c *fiber.Ctx) error {
	if err := s.svc.Logout(c.UserContext(), c.Cookies(sessionCookie)); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// Devices (API.md).

const deviceKey = "vigil.device"

// deviceAuth checks "Authorization: Device <id>:<secret>".
func (s *Server) deviceAuth(c *fiber.Ctx) error {
	deny := func() error {
		return c.Status(fiber.StatusUnauthorized).JSON(errorBody{Error: "unknown, wrong or revoked device credentials", Kind: domain.Unauthorized.String()})
	}
	scheme, cred, ok := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Device") {
		return deny()
	}
	id, secret, ok := strings.Cut(strings.TrimSpace(cred), ":")
	if !ok {
		return deny()
	}
	d, err := s.svc.AuthenticateDevice(c.UserContext(), id, secret)
	if domain.KindOf(err) == domain.Unauthorized {
		return deny()
	}
	if err != nil {
		return err
	}
	c.Locals(deviceKey, d)
	return c.Next()
}

type enrollRequest struct {
	LicenseKey string `json:"license_key"`
	Name       string `json:"name"`
}

type enrollResponse struct {
	DeviceID     string `json:"device_id"`
	DeviceSecret string `json:"device_secret"`
	AccountID    string `json:"account_id"`
}

func (s *Server) deviceEnroll(c *fiber.Ctx) error {
	var req enrollRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	e, err := s.svc.Enroll(c.UserContext(), req.LicenseKey, req.Name)
	if err != nil {
		return err
	}
	s.cfg.Log.Info("device enrolled", "account", e.AccountID, "device", e.DeviceID)
	return c.Status(fiber.StatusCreated).JSON(enrollResponse{DeviceID: e.DeviceID, DeviceSecret: e.Secret, AccountID: e.AccountID})
}

type grantRequest struct {
	EventID     string `json:"event_id"`
	Name        string `json:"name"`
	Bytes       int64  `json:"bytes"`
	ContentType string `json:"content_type"`
	// The issue's /api/v1/uploads names the snapshot by its index.
	Index int `json:"index"`
}

type grantResponse struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	Key     string            `json:"key"`
	Expires time.Time         `json:"expires"`
}

func (s *Server) deviceGrant(c *fiber.Ctx) error {
	var req grantRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Name == "" && req.Index > 0 {
		if id, err := domain.ParseEventID(req.EventID); err == nil {
			req.Name = domain.SnapshotName(id, req.Index)
		}
	}
	d, _ := c.Locals(deviceKey).(domain.Device)
	g, err := s.svc.Grant(c.UserContext(), d, cloud.GrantRequest{EventID: req.EventID, Name: req.Name, Bytes: req.Bytes, ContentType: req.ContentType})
	if err != nil {
		return err
	}
	return c.JSON(grantResponse{URL: g.URL, Method: g.Method, Headers: g.Headers, Key: g.Key, Expires: g.Expires})
}

type seatStatusJSON struct {
	Status    string    `json:"status"`
	Seats     int       `json:"seats"`
	SeatsUsed int       `json:"seats_used"`
	Expires   time.Time `json:"expires"`
}

type snapshotRejectionJSON struct {
	Name   string    `json:"name"`
	Reason string    `json:"reason"`
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"`
}

type deviceStatusResponse struct {
	DeviceID string                  `json:"device_id"`
	Name     string                  `json:"name"`
	License  *seatStatusJSON         `json:"license"` // null: the account has no license
	Rejected []snapshotRejectionJSON `json:"rejected"`
}

// deviceStatus is GET /api/v1/device/status[?since=RFC3339] (API.md).
func (s *Server) deviceStatus(c *fiber.Ctx) error {
	var since time.Time
	if q := c.Query("since"); q != "" {
		t, err := time.Parse(time.RFC3339, q)
		if err != nil {
			return domain.E("device status", domain.Invalid, fmt.Errorf("since %q: want an RFC 3339 time", q))
		}
		since = t
	}
	d, _ := c.Locals(deviceKey).(domain.Device)
	st, err := s.svc.DeviceStatus(c.UserContext(), d, since)
	if err != nil {
		return err
	}
	out := deviceStatusResponse{DeviceID: st.DeviceID, Name: st.Name, Rejected: []snapshotRejectionJSON{}}
	if st.License.Status != "" {
		out.License = &seatStatusJSON{Status: st.License.Status, Seats: st.License.Seats, SeatsUsed: st.License.SeatsUsed,
			Expires: st.License.Expires.UTC()}
	}
	for _, r := range st.Rejected {
		out.Rejected = append(out.Rejected, snapshotRejectionJSON{Name: r.Name, Reason: string(r.Reason), Detail: r.Detail, At: r.At.UTC()})
	}
	return c.JSON(out)
}

// client is the address login attempts are limited per: the peer's, or
// behind a proxy (Config.ProxyHeader) the address that proxy appended.
func (s *Server) client(c *fiber.Ctx) string {
	return clientAddr(c.Get(s.cfg.ProxyHeader), s.cfg.ProxyHeader != "", c.Context().RemoteIP().String())
}

// clientAddr picks the client's address: behind a proxy, the last entry of
// the forwarding header (e.g. X-Forwarded-For "spoofed, real": a load
// balancer appends the address it saw, and every entry before it came from
// the client, who could put anything there); otherwise, or when that entry
// is not an IP address, the peer's.
func clientAddr(header string, proxied bool, peer string) string {
	if !proxied {
		return peer
	}
	last := strings.TrimSpace(header[strings.LastIndexByte(header, ',')+1:])
	if ip, err := netip.ParseAddr(last); err == nil {
		return ip.Unmap().String()
	}
	return peer
}
