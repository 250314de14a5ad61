package cloudweb

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vigil/domain"
)

// pageNames are the templates besides layout.html; each defines "title"
// and "content".
var pageNames = []string{"login", "gallery", "image", "devices", "rejected", "license", "error"}

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"day": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	// pct turns a normalised coordinate into an SVG percentage.
	"pct":      func(v float64) string { return fmt.Sprintf("%.3f%%", 100*v) },
	"sub":      func(a, b float64) float64 { return a - b },
	"score":    func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"imageKey": domain.ImageKey,
}

func parsePages() (map[string]*template.Template, error) {
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("cloudweb: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// render writes page name with data; se (when signed in) fills the
// navigation and the forms' CSRF token.
func (s *Server) render(c *fiber.Ctx, name string, se *domain.Session, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	data["Session"] = se
	if se != nil {
		data["CSRF"] = se.CSRF
	}
	data["Path"] = c.Path()
	var buf bytes.Buffer
	if err := s.pages[name].Execute(&buf, data); err != nil {
		return fmt.Errorf("cloudweb: render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}

// asset serves an embedded file of assets/ (cacheable: no account data).
func (s *Server) asset(c *fiber.Ctx) error {
	name := c.Params("name")
	if strings.ContainsAny(name, "/\\") || strings.HasPrefix(name, ".") {
		return fiber.ErrNotFound
	}
	b, err := fs.ReadFile(assetFS, "assets/"+name)
	if err != nil {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, mime.TypeByExtension(path.Ext(name)))
	c.Set("Cache-Control", "public, max-age=3600")
	return c.Send(b)
}
