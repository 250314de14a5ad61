// Package edgeui is vigil-edge's web UI and JSON API on Fiber: first-run
// setup, login with lock-out, the live view (MJPEG stream, motion overlay,
// score chart), events, settings with the region editor, and status.
//
// Every route needs a session except the few in Public (login, first-run
// setup, static assets); state changes need the session's CSRF token.
// Pages are html/template with small vanilla JS and CSS embedded in the
// binary; the Content-Security-Policy allows no inline script or style.
package edgeui

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vigil/adapters/fiber/httperr"
	"vigil/app/edge"
	"vigil/domain"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// EventStore is what the UI needs of the event index (adapters/bbolt).
type EventStore interface {
	Events(ctx context.Context, before domain.EventID, limit int, day time.Time) ([]domain.Event, error)
	Event(ctx context.Context, id domain.EventID) (domain.Event, error)
	DeleteEvent(ctx context.Context, id domain.EventID) error
	// Trace is the event's score trace; ok is false when it has none.
	Trace(ctx context.Context, id domain.EventID) (tr domain.ScoreTrace, ok bool, err error)
	DeleteTrace(ctx context.Context, id domain.EventID) error
}

// SnapshotReader reads a stored snapshot file (adapters/disk).
type SnapshotReader interface {
	Read(name string) ([]byte, error)
}

// Cloud enrolls the device at vigil-cloud and unlinks it (the daemon's
// wiring; it updates the settings itself).
type Cloud interface {
	Enroll(ctx context.Context, url, license, name string) (deviceID string, err error)
	Unlink(ctx context.Context) error
}

// Config is what the UI serves.
type Config struct {
	Accounts  *edge.Accounts
	Settings  *edge.LiveSettings
	Live      *edge.Live
	Events    EventStore
	Snapshots SnapshotReader
	Status    func(ctx context.Context) edge.Status
	Cloud     Cloud // nil: no enrollment from the UI
	// Overridden names the settings the command line overrides (shown with
	// the value in force, and not editable, in the UI): "camera.source",
	// "camera.width" (or "camera.height": -size sets both), "camera.fps",
	// "camera.format", "motion.sensitivity", "listen".
	Overridden []string
	Log        *slog.Logger
}

// Server is the UI's Fiber app.
type Server struct {
	cfg   Config
	app   *fiber.App
	pages map[string]*template.Template
	// done ends the live streams when the server shuts down.
	done   context.Context
	cancel context.CancelFunc
}

// Public lists the routes ("METHOD path") that answer without a session.
// None of them returns data of the camera.
var Public = map[string]bool{
	"GET /login": true, "HEAD /login": true, "POST /login": true,
	"GET /setup": true, "HEAD /setup": true, "POST /setup": true,
	"GET /assets/:name": true, "HEAD /assets/:name": true,
	"POST /api/v1/login": true, "POST /api/v1/setup": true,
}

const (
	sessionCookie = "vigil_session"
	preCookie     = "vigil_pre" // the login and setup forms' CSRF token (double submit)
	csrfHeader    = "X-CSRF-Token"
	csrfField     = "csrf"
)

// New builds the UI; it listens on nothing until Listen.
func New(cfg Config) (*Server, error) {
	if cfg.Accounts == nil || cfg.Settings == nil || cfg.Live == nil || cfg.Events == nil || cfg.Snapshots == nil || cfg.Status == nil {
		return nil, errors.New("edgeui: Accounts, Settings, Live, Events, Snapshots and Status are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cfg.Overridden = slices.Clone(cfg.Overridden)
	if slices.Contains(cfg.Overridden, "camera.width") != slices.Contains(cfg.Overridden, "camera.height") {
		cfg.Overridden = append(cfg.Overridden, "camera.width", "camera.height") // one flag, -size, sets both
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, pages: pages}
	s.done, s.cancel = context.WithCancel(context.Background())
	s.app = fiber.New(fiber.Config{
		AppName:               "vigil-edge",
		DisableStartupMessage: true,
		Immutable:             true, // values outlive handlers (settings, logs)
		BodyLimit:             256 << 10,
		ReadTimeout:           30 * time.Second,
		IdleTimeout:           2 * time.Minute,
		ErrorHandler:          s.errorHandler,
	})
	s.routes()
	return s, nil
}

// App returns the Fiber app (tests enumerate its routes).
func (s *Server) App() *fiber.App { return s.app }

// Serve answers on ln until ctx ends, then shuts down (streams included).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listener(ln) }()
	select {
	case err := <-errc:
		s.cancel()
		return err
	case <-ctx.Done():
	}
	s.cancel()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.app.ShutdownWithContext(sctx); err != nil {
		return fmt.Errorf("edgeui: shutdown: %w", err)
	}
	return <-errc
}

func (s *Server) routes() {
	a := s.app
	a.Use(securityHeaders)

	// Public.
	a.Get("/login", s.loginPage)
	a.Post("/login", s.loginForm)
	a.Get("/setup", s.setupPage)
	a.Post("/setup", s.setupForm)
	a.Get("/assets/:name", s.asset)
	a.Post("/api/v1/login", s.apiLogin)
	a.Post("/api/v1/setup", s.apiSetup)

	// Pages: without a session they redirect to the login page.
	page := func(method, path string, h fiber.Handler) { a.Add(method, path, s.needSession(false), s.checkCSRF, h) }
	page(fiber.MethodGet, "/", func(c *fiber.Ctx) error { return c.Redirect("/live", fiber.StatusSeeOther) })
	page(fiber.MethodGet, "/live", s.livePage)
	page(fiber.MethodGet, "/events", s.eventsPage)
	page(fiber.MethodGet, "/events/:id", s.eventPage)
	page(fiber.MethodPost, "/events/:id/delete", s.eventDeleteForm)
	page(fiber.MethodGet, "/settings", s.settingsPage)
	page(fiber.MethodPost, "/settings/:section", s.settingsForm)
	page(fiber.MethodGet, "/regions", s.regionsPage)
	page(fiber.MethodGet, "/status", s.statusPage)
	page(fiber.MethodGet, "/account", s.accountPage)
	page(fiber.MethodPost, "/account/password", s.passwordForm)
	page(fiber.MethodPost, "/logout", s.logoutForm)

	// Media and API: without a session they answer 401.
	api := func(method, path string, h fiber.Handler) { a.Add(method, path, s.needSession(true), s.checkCSRF, h) }
	api(fiber.MethodGet, "/live.mjpeg", s.liveStream)
	api(fiber.MethodGet, "/live.jpg", s.liveStill)
	api(fiber.MethodGet, "/snapshots/:name", s.snapshotFile)
	api(fiber.MethodGet, "/events/:id/download", s.eventDownload)
	api(fiber.MethodPost, "/api/v1/logout", s.apiLogout)
	api(fiber.MethodPost, "/api/v1/password", s.apiPassword)
	api(fiber.MethodGet, "/api/v1/status", s.apiStatus)
	api(fiber.MethodGet, "/api/v1/live", s.apiLive)
	api(fiber.MethodGet, "/api/v1/events", s.apiEvents)
	api(fiber.MethodGet, "/api/v1/events/:id", s.apiEvent)
	api(fiber.MethodDelete, "/api/v1/events/:id", s.apiEventDelete)
	api(fiber.MethodGet, "/api/v1/settings", s.apiSettings)
	api(fiber.MethodPut, "/api/v1/settings", s.apiSettingsPut)
	api(fiber.MethodGet, "/api/v1/regions", s.apiRegions)
	api(fiber.MethodPut, "/api/v1/regions", s.apiRegionsPut)
	api(fiber.MethodPost, "/api/v1/cloud/enroll", s.apiEnroll)
	api(fiber.MethodPost, "/api/v1/cloud/unlink", s.apiUnlink)

	a.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// securityHeaders go on every answer: no framing, no inline script or
// style, no sniffing, no referrer, and nothing cached but the assets.
func securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "+
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	h.Set("Cache-Control", "no-store")
	return c.Next()
}

// session is what needSession leaves in the request's locals.
type session struct {
	token string
	domain.EdgeSession
}

func current(c *fiber.Ctx) *session {
	s, _ := c.Locals("session").(*session)
	return s
}

// needSession admits requests with a live session. Without one, a page
// redirects to the login page (or to the first-run setup) and the API and
// media answer 401.
func (s *Server) needSession(api bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		tok := c.Cookies(sessionCookie)
		if sess, ok := s.cfg.Accounts.Session(tok); ok {
			c.Locals("session", &session{token: tok, EdgeSession: sess})
			return c.Next()
		}
		if api {
			return jsonError(c, fiber.StatusUnauthorized, "sign in first (POST /api/v1/login)")
		}
		if setup, err := s.cfg.Accounts.NeedsSetup(c.UserContext()); err == nil && setup {
			return c.Redirect("/setup", fiber.StatusSeeOther)
		}
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
}

// checkCSRF refuses a state-changing request without the session's token
// (in the X-CSRF-Token header or the csrf form field).
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	sess := current(c)
	got := c.Get(csrfHeader)
	if got == "" && isForm(c) {
		got = c.FormValue(csrfField)
	}
	if sess == nil || !tokensEqual(got, sess.CSRF) {
		return jsonError(c, fiber.StatusForbidden, "missing or wrong CSRF token")
	}
	return c.Next()
}

func isForm(c *fiber.Ctx) bool {
	ct := string(c.Request().Header.ContentType())
	return strings.HasPrefix(ct, fiber.MIMEApplicationForm) || strings.HasPrefix(ct, fiber.MIMEMultipartForm)
}

// status is the HTTP status for err: a lock-out, a wrong setup code
// (403: no credentials could make it work but the code), then
// httperr.Status.
func status(err error) int {
	var le *edge.LockedOutError
	if errors.As(err, &le) {
		return fiber.StatusTooManyRequests
	}
	if errors.Is(err, edge.ErrBadSetupCode) {
		return fiber.StatusForbidden
	}
	return httperr.Status(err)
}

// message is what a client may see of err: internal errors are logged and
// answered vaguely.
func (s *Server) message(c *fiber.Ctx, err error) string {
	if status(err) == fiber.StatusInternalServerError {
		s.cfg.Log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		return "internal error (see the daemon's log)"
	}
	return err.Error()
}

func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	code := fiber.StatusInternalServerError
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code = fe.Code
	} else {
		code = status(err)
	}
	msg := s.message(c, err)
	if fe != nil {
		msg = fe.Message
	}
	if strings.HasPrefix(c.Path(), "/api/") || !strings.Contains(c.Get(fiber.HeaderAccept), "text/html") {
		return jsonError(c, code, msg)
	}
	return s.render(c.Status(code), "error", pageData{Title: "Error", Message: fmt.Sprintf("%d: %s", code, msg)})
}

func jsonError(c *fiber.Ctx, code int, msg string) error {
	return c.Status(code).JSON(fiber.Map{"error": msg})
}

// asset serves an embedded file of assets/.
func (s *Server) asset(c *fiber.Ctx) error {
	name := c.Params("name")
	if strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") {
		return fiber.ErrNotFound
	}
	b, err := fs.ReadFile(assetFS, "assets/"+name)
	if err != nil {
		return fiber.ErrNotFound
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		c.Type("css", "utf-8")
	case strings.HasSuffix(name, ".js"):
		c.Type("js", "utf-8")
	case strings.HasSuffix(name, ".svg"):
		c.Type("svg")
	default:
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "private, max-age=300")
	return c.Send(b)
}
