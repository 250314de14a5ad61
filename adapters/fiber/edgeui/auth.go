package edgeui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vigil/app/edge"
	"vigil/domain"
)

func tokensEqual(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// setSession hands the browser its session cookie: HttpOnly, SameSite
// Strict, Secure when the request came over TLS, expiring with the session.
func (s *Server) setSession(c *fiber.Ctx, token string, sess domain.EdgeSession) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: token, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Secure: c.Protocol() == "https", Expires: sess.Created.Add(s.cfg.Accounts.SessionRules().Absolute)})
}

func (s *Server) clearSession(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode,
		Expires: time.Unix(0, 0), MaxAge: -1})
}

// preToken returns the login/setup forms' CSRF token, setting its cookie
// when the browser has none.
func preToken(c *fiber.Ctx) string {
	if t := c.Cookies(preCookie); len(t) >= 32 && len(t) <= 64 {
		return t
	}
	t := randomToken()
	c.Cookie(&fiber.Cookie{Name: preCookie, Value: t, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode})
	return t
}

func checkPre(c *fiber.Ctx) bool { return tokensEqual(c.FormValue(csrfField), c.Cookies(preCookie)) }

func (s *Server) loginPage(c *fiber.Ctx) error {
	if setup, err := s.cfg.Accounts.NeedsSetup(c.UserContext()); err != nil {
		return err
	} else if setup {
		return c.Redirect("/setup", fiber.StatusSeeOther)
	}
	if _, ok := s.cfg.Accounts.Session(c.Cookies(sessionCookie)); ok {
		return c.Redirect("/live", fiber.StatusSeeOther)
	}
	return s.render(c, "login", pageData{Title: "Sign in", CSRF: preToken(c)})
}

func (s *Server) loginForm(c *fiber.Ctx) error {
	if !checkPre(c) {
		return jsonError(c, fiber.StatusForbidden, "missing or wrong CSRF token: reload the page")
	}
	user := strings.TrimSpace(c.FormValue("username"))
	tok, sess, err := s.cfg.Accounts.Login(c.UserContext(), c.IP(), user, c.FormValue("password"))
	if err != nil {
		code := status(err)
		if setRetryAfter(c, err) && code == fiber.StatusTooManyRequests {
			s.cfg.Log.Warn("login locked out", "client", c.IP())
		}
		return s.render(c.Status(code), "login", pageData{Title: "Sign in", CSRF: preToken(c), Message: s.message(c, err),
			Form: map[string]string{"username": user}})
	}
	s.cfg.Log.Info("signed in", "user", sess.User, "client", c.IP())
	s.setSession(c, tok, sess)
	return c.Redirect("/live", fiber.StatusSeeOther)
}

func (s *Server) setupPage(c *fiber.Ctx) error {
	if setup, err := s.cfg.Accounts.NeedsSetup(c.UserContext()); err != nil {
		return err
	} else if !setup {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	return s.render(c, "setup", pageData{Title: "Create the admin account", CSRF: preToken(c),
		Form: map[string]string{"username": "admin"}})
}

func (s *Server) setupForm(c *fiber.Ctx) error {
	if !checkPre(c) {
		return jsonError(c, fiber.StatusForbidden, "missing or wrong CSRF token: reload the page")
	}
	user := strings.TrimSpace(c.FormValue("username"))
	pw := c.FormValue("password")
	code := strings.TrimSpace(c.FormValue("code"))
	if pw != c.FormValue("password2") {
		return s.render(c.Status(fiber.StatusBadRequest), "setup", pageData{Title: "Create the admin account", CSRF: preToken(c),
			Message: "the two passwords differ", Form: map[string]string{"username": user, "code": code}})
	}
	tok, sess, err := s.cfg.Accounts.Setup(c.UserContext(), c.IP(), edge.SetupRequest{Code: code, User: user, Password: pw})
	if domain.KindOf(err) == domain.Conflict {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	if err != nil {
		if setRetryAfter(c, err) && status(err) == fiber.StatusTooManyRequests {
			s.cfg.Log.Warn("setup locked out: too many wrong setup codes", "client", c.IP())
		}
		form := map[string]string{"username": user, "code": code}
		if code := status(err); code == fiber.StatusForbidden || code == fiber.StatusTooManyRequests {
			delete(form, "code") // a wrong code is not shown again
		}
		return s.render(c.Status(status(err)), "setup", pageData{Title: "Create the admin account", CSRF: preToken(c),
			Message: s.message(c, err), Form: form})
	}
	s.cfg.Log.Info("admin account created", "user", sess.User, "client", c.IP())
	s.setSession(c, tok, sess)
	return c.Redirect("/live", fiber.StatusSeeOther)
}

func (s *Server) logoutForm(c *fiber.Ctx) error {
	s.cfg.Accounts.Logout(current(c).token)
	s.clearSession(c)
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (s *Server) accountPage(c *fiber.Ctx) error {
	return s.render(c, "account", s.data(c, "Account", "account"))
}

func (s *Server) passwordForm(c *fiber.Ctx) error {
	sess := current(c)
	d := s.data(c, "Account", "account")
	if c.FormValue("new") != c.FormValue("new2") {
		d.Message = "the two new passwords differ"
		return s.render(c.Status(fiber.StatusBadRequest), "account", d)
	}
	tok, ns, err := s.cfg.Accounts.ChangePassword(c.UserContext(), sess.EdgeSession, c.FormValue("current"), c.FormValue("new"))
	if err != nil {
		d.Message = s.message(c, err)
		return s.render(c.Status(status(err)), "account", d)
	}
	s.setSession(c, tok, ns)
	c.Locals("session", &session{token: tok, EdgeSession: ns})
	d = s.data(c, "Account", "account")
	d.Notice = "Password changed. Every other session has ended."
	return s.render(c, "account", d)
}

// credentials is the body of POST /api/v1/login.
type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// setupBody is the body of POST /api/v1/setup: the credentials of the
// first admin and the one-time setup code the daemon printed.
type setupBody struct {
	SetupCode string `json:"setup_code"`
	Username  string `json:"username"`
	Password  string `json:"password"`
}

// readJSON decodes a JSON request body strictly into v. A JSON content type
// is required: a cross-site form cannot send one without a CORS preflight.
func readJSON(c *fiber.Ctx, v any) error {
	if !strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEApplicationJSON) {
		return domain.E("request", domain.Invalid, errors.New("want Content-Type: application/json"))
	}
	dec := json.NewDecoder(strings.NewReader(string(c.Body())))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return domain.E("request", domain.Invalid, fmt.Errorf("body: %w", err))
	}
	return nil
}

type loginAnswer struct {
	User    string    `json:"user"`
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"expires"`
}

func (s *Server) apiLogin(c *fiber.Ctx) error {
	var in credentials
	if err := readJSON(c, &in); err != nil {
		return jsonError(c, status(err), err.Error())
	}
	tok, sess, err := s.cfg.Accounts.Login(c.UserContext(), c.IP(), in.Username, in.Password)
	if err != nil {
		setRetryAfter(c, err)
		return jsonError(c, status(err), s.message(c, err))
	}
	s.setSession(c, tok, sess)
	return c.JSON(loginAnswer{User: sess.User, CSRF: sess.CSRF, Expires: s.cfg.Accounts.SessionRules().Expires(sess)})
}

func (s *Server) apiSetup(c *fiber.Ctx) error {
	var in setupBody
	if err := readJSON(c, &in); err != nil {
		return jsonError(c, status(err), err.Error())
	}
	tok, sess, err := s.cfg.Accounts.Setup(c.UserContext(), c.IP(), edge.SetupRequest{Code: in.SetupCode, User: in.Username, Password: in.Password})
	if err != nil {
		if setRetryAfter(c, err) && status(err) == fiber.StatusTooManyRequests {
			s.cfg.Log.Warn("setup locked out: too many wrong setup codes", "client", c.IP())
		}
		return jsonError(c, status(err), s.message(c, err))
	}
	s.setSession(c, tok, sess)
	return c.Status(fiber.StatusCreated).JSON(loginAnswer{User: sess.User, CSRF: sess.CSRF, Expires: s.cfg.Accounts.SessionRules().Expires(sess)})
}

func (s *Server) apiLogout(c *fiber.Ctx) error {
	s.cfg.Accounts.Logout(current(c).token)
	s.clearSession(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiPassword(c *fiber.Ctx) error {
	var in struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if err := readJSON(c, &in); err != nil {
		return jsonError(c, status(err), err.Error())
	}
	tok, ns, err := s.cfg.Accounts.ChangePassword(c.UserContext(), current(c).EdgeSession, in.Current, in.New)
	if err != nil {
		return jsonError(c, status(err), s.message(c, err))
	}
	s.setSession(c, tok, ns)
	return c.JSON(loginAnswer{User: ns.User, CSRF: ns.CSRF, Expires: s.cfg.Accounts.SessionRules().Expires(ns)})
}

// setRetryAfter sets the Retry-After header of a refused login: the rest
// of a lock-out (429), or a moment when every password-hash slot is busy
// (503). It reports whether it set one.
func setRetryAfter(c *fiber.Ctx, err error) bool {
	var le *edge.LockedOutError
	switch {
	case errors.As(err, &le):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(le.RetryAfter.Seconds()+0.999)))
	case errors.Is(err, edge.ErrBusy):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(edge.BusyRetryAfter.Seconds())))
	default:
		return false
	}
	return true
}
