// Package cloudweb is vigil-cloud's web app and APIs on Fiber: sign-in,
// the gallery of verified images (URLs presigned per request), one image
// with its faces drawn, devices and seats with revoke, rejected uploads,
// the license; the JSON API that mirrors the pages; and the device API of
// adapters/cloudapi/API.md (enrollment, upload grants, device status).
//
// Every page and API route needs a session except those in Public; the
// routes in DeviceRoutes authenticate the device instead. Pages without a session redirect
// to /login, APIs answer 401. State changes need the session's CSRF token
// (form field csrf or header X-CSRF-Token). Sessions live in the table, so
// any number of instances can serve behind a load balancer. Nothing signed
// in is cached (Cache-Control: no-store); the Content-Security-Policy
// allows no inline script or style.
package cloudweb

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vigil/adapters/fiber/httperr"
	"vigil/app/cloud"
	"vigil/domain"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Config is what the app serves.
type Config struct {
	Service *cloud.Service
	// SecureCookie marks the session cookie Secure (serve over HTTPS, or
	// behind a proxy that terminates it). Off only for plain-HTTP tests.
	SecureCookie bool
	// ImageOrigins are the origins presigned image URLs point at (the S3
	// endpoint), allowed by the Content-Security-Policy's img-src.
	ImageOrigins []string
	// ProxyHeader, when set, is the header (e.g. X-Forwarded-For) a trusted
	// proxy appends the client's address to; its last entry is the address
	// login attempts are limited per (the earlier ones are the client's
	// word). Set it only when every request comes through that proxy.
	ProxyHeader string
	// RequestTimeout bounds one request's work: its context (the one the
	// service's store calls run under) ends then, and a call that has not
	// answered gives up with 503 (default DefaultRequestTimeout).
	RequestTimeout time.Duration
	Log            *slog.Logger
}

// DefaultRequestTimeout is Config.RequestTimeout's default.
const DefaultRequestTimeout = 15 * time.Second

// Server is the app.
type Server struct {
	cfg   Config
	svc   *cloud.Service
	app   *fiber.App
	pages map[string]*template.Template
	csp   string
}

// Public lists the routes ("METHOD path") that answer without a session
// or device credentials. None returns an account's data (enrollment is
// authenticated by the license key in its body).
var Public = map[string]bool{
	"GET /login": true, "HEAD /login": true, "POST /login": true,
	"GET /healthz": true, "HEAD /healthz": true,
	"GET /assets/:name": true, "HEAD /assets/:name": true,
	"POST /api/v1/login":         true,
	"POST /api/v1/device/enroll": true, "POST /api/v1/enroll": true,
}

// DeviceRoutes lists the routes ("METHOD path") that authenticate a device
// ("Authorization: Device <id>:<secret>", API.md) instead of a session; a
// session does not admit them.
var DeviceRoutes = map[string]bool{
	"POST /api/v1/device/grants": true, "POST /api/v1/uploads": true,
	"GET /api/v1/device/status": true, "HEAD /api/v1/device/status": true,
}

const (
	sessionCookie = "vigil_session"
	preCookie     = "vigil_pre" // the login form's CSRF token (double submit)
	csrfHeader    = "X-CSRF-Token"
	csrfField     = "csrf"
)

// New builds the app; it listens on nothing until Serve.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil {
		return nil, errors.New("cloudweb: a Service is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.RequestTimeout < 0 {
		return nil, fmt.Errorf("cloudweb: request timeout %s: negative", cfg.RequestTimeout)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	img := "'self'"
	for _, o := range cfg.ImageOrigins {
		if strings.ContainsAny(o, " ;'\"") {
			return nil, fmt.Errorf("cloudweb: image origin %q", o)
		}
		img += " " + o
	}
	s := &Server{cfg: cfg, svc: cfg.Service, pages: pages,
		csp: "default-src 'none'; img-src " + img + "; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"}
	s.app = fiber.New(fiber.Config{
		AppName:               "vigil-cloud",
		DisableStartupMessage: true,
		Immutable:             true,
		BodyLimit:             64 << 10,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           2 * time.Minute,
		ErrorHandler:          s.errorHandler,
	})
	s.routes()
	return s, nil
}

// App returns the Fiber app (tests enumerate its routes).
func (s *Server) App() *fiber.App { return s.app }

// Serve answers on ln until ctx ends, then shuts down.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.app.ShutdownWithContext(sctx); err != nil {
		return fmt.Errorf("cloudweb: shutdown: %w", err)
	}
	return <-errc
}

func (s *Server) routes() {
	a := s.app
	a.Use(s.deadline, s.securityHeaders)

	// Public.
	a.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	a.Get("/login", s.loginPage)
	a.Post("/login", s.loginForm)
	a.Get("/assets/:name", s.asset)
	a.Post("/api/v1/login", s.apiLogin)

	// Devices (adapters/cloudapi/API.md); the paths are aliases.
	a.Post("/api/v1/device/enroll", s.deviceEnroll)
	a.Post("/api/v1/enroll", s.deviceEnroll)
	a.Post("/api/v1/device/grants", s.deviceAuth, s.deviceGrant)
	a.Post("/api/v1/uploads", s.deviceAuth, s.deviceGrant)
	a.Get("/api/v1/device/status", s.deviceAuth, s.deviceStatus)

	// Pages: without a session they redirect to the login page.
	page := func(method, path string, h fiber.Handler) { a.Add(method, path, s.needSession(false), s.checkCSRF, h) }
	page(fiber.MethodGet, "/", s.galleryPage)
	page(fiber.MethodGet, "/images/:key", s.imagePage)
	page(fiber.MethodGet, "/devices", s.devicesPage)
	page(fiber.MethodPost, "/devices/:id/revoke", s.revokeForm)
	page(fiber.MethodGet, "/rejected", s.rejectedPage)
	page(fiber.MethodGet, "/license", s.licensePage)
	page(fiber.MethodPost, "/logout", s.logoutForm)

	// API: without a session it answers 401.
	api := func(method, path string, h fiber.Handler) { a.Add(method, path, s.needSession(true), s.checkCSRF, h) }
	api(fiber.MethodGet, "/api/v1/images", s.apiImages)
	api(fiber.MethodGet, "/api/v1/images/:key", s.apiImage)
	api(fiber.MethodGet, "/api/v1/devices", s.apiDevices)
	api(fiber.MethodGet, "/api/v1/devices/:id", s.apiDevice)
	api(fiber.MethodPost, "/api/v1/devices/:id/revoke", s.apiRevoke)
	api(fiber.MethodGet, "/api/v1/rejected", s.apiRejected)
	api(fiber.MethodGet, "/api/v1/license", s.apiLicense)
	api(fiber.MethodPost, "/api/v1/logout", s.apiLogout)

	a.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
}

// deadline gives the request's context RequestTimeout: without one, a
// store call that hangs would hold the request (and its connection) for
// ever.
func (s *Server) deadline(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), s.cfg.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// securityHeaders go on every answer: no framing, no inline script or
// style, no sniffing, no referrer (presigned URLs must not leak), and
// nothing cached but the assets.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", s.csp)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Cache-Control", "no-store")
	return c.Next()
}

// status is the HTTP status for err: the rate limit, then httperr.Status.
func status(err error) int {
	if errors.Is(err, cloud.ErrRateLimited) {
		return fiber.StatusTooManyRequests
	}
	return httperr.Status(err)
}

// errorBody is every error's JSON (API.md "Error bodies").
type errorBody struct {
	Error string `json:"error"`
	Kind  string `json:"kind"`
}

// message is what a client may see of err: internal errors and
// unavailable dependencies are logged once here and answered with a
// generic text.
func (s *Server) message(c *fiber.Ctx, err error, code int) (string, string) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return fe.Message, kindForStatus(code)
	}
	if code >= 500 && code != fiber.StatusServiceUnavailable {
		s.cfg.Log.Error("request failed", "method", c.Method(), "path", c.Route().Path, "err", err)
		return "internal error", domain.Internal.String()
	}
	if code == fiber.StatusServiceUnavailable {
		if errors.Is(err, cloud.ErrBusy) {
			return cloud.ErrBusy.Error(), domain.Unavailable.String()
		}
		// The detail (SDK errors, endpoints) is for the log alone.
		s.cfg.Log.Warn("dependency unavailable", "path", c.Route().Path, "err", err)
		return "temporarily unavailable: try again later", domain.Unavailable.String()
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg, domain.KindOf(err).String()
}

func kindForStatus(code int) string {
	switch code {
	case fiber.StatusNotFound:
		return domain.NotFound.String()
	case fiber.StatusUnauthorized, fiber.StatusForbidden:
		return domain.Unauthorized.String()
	case fiber.StatusRequestEntityTooLarge, fiber.StatusBadRequest, fiber.StatusMethodNotAllowed:
		return domain.Invalid.String()
	}
	return domain.Internal.String()
}

func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	code := status(err)
	msg, kind := s.message(c, err, code)
	switch {
	case code == fiber.StatusTooManyRequests:
		c.Set("Retry-After", "60")
	case errors.Is(err, cloud.ErrBusy):
		c.Set("Retry-After", "2")
	}
	if wantsJSON(c) {
		return c.Status(code).JSON(errorBody{Error: msg, Kind: kind})
	}
	return s.render(c.Status(code), "error", nil, map[string]any{"Code": code, "Message": msg})
}

// wantsJSON: the APIs answer JSON, pages HTML.
func wantsJSON(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/api/") }
