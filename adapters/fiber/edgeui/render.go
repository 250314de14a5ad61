package edgeui

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vigil/domain"

	"vigil/app/edge"
)

// pageData is what every page template gets.
type pageData struct {
	Title   string
	Nav     string // the menu entry to highlight
	User    string
	CSRF    string
	Message string // an error for the whole page
	Notice  string // a success note
	// Form holds submitted values to show again; Errors the messages per
	// field (as the config file names it, e.g. "camera.fps").
	Form   map[string]string
	Errors map[string][]string
	Data   any
}

// data starts the page data of a signed-in page.
func (s *Server) data(c *fiber.Ctx, title, nav string) pageData {
	d := pageData{Title: title, Nav: nav}
	if sess := current(c); sess != nil {
		d.User, d.CSRF = sess.User, sess.CSRF
	}
	return d
}

var funcs = template.FuncMap{
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
	"clock": func(t time.Time) string { return t.Local().Format("15:04:05") },
	"dur": func(d time.Duration) string {
		if d >= time.Minute {
			return d.Round(time.Second).String()
		}
		return d.Round(100 * time.Millisecond).String()
	},
	"mb":  func(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) },
	"pct": func(f float64) string { return fmt.Sprintf("%.1f %%", f) },
	"f1":  func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"uploaded": func(t time.Time) string {
		if t.IsZero() {
			return "queued"
		}
		return "uploaded"
	},
	// upload is a snapshot's state for people: queued, uploaded, or
	// rejected by the cloud with its reason.
	"upload": func(sn domain.Snapshot) string {
		if sn.UploadState() == "rejected" {
			return "rejected by cloud: " + sn.RejectReason
		}
		return sn.UploadState()
	},
	"errs": func(d pageData, field string) []string { return d.Errors[field] },
	"val":  func(d pageData, field string) string { return d.Form[field] },
	"overridden": func(list []string, field string) bool {
		for _, f := range list {
			if f == field {
				return true
			}
		}
		return false
	},
}

// parsePages parses every page with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("edgeui: template %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

func (s *Server) render(c *fiber.Ctx, name string, d pageData) error {
	t, ok := s.pages[name]
	if !ok {
		return fmt.Errorf("edgeui: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return fmt.Errorf("edgeui: page %s: %w", name, err)
	}
	c.Type("html", "utf-8")
	return c.Send(buf.Bytes())
}

// statusView is the status page's data.
type statusView struct {
	edge.Status
}
