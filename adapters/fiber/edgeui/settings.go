package edgeui

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vigil/app/edge"
	"vigil/domain"
)

// fieldErrors splits a settings validation error into messages per field,
// keyed as the config file names the field ("camera.fps", "motion", …).
func fieldErrors(err error) map[string][]string {
	out := map[string][]string{}
	var de *domain.Error
	inner := err
	if errors.As(err, &de) {
		inner = de.Err
	}
	var list []error
	if j, ok := inner.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{inner}
	}
	for _, e := range list {
		msg := e.Error()
		field, rest, ok := strings.Cut(msg, ": ")
		if !ok || strings.ContainsAny(field, " ") {
			field, rest = "", msg
		}
		if field == "camera.width/height" {
			field = "camera.width"
		}
		for _, line := range strings.Split(rest, "\n") {
			out[field] = append(out[field], line)
		}
	}
	return out
}

var weekdays = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// settingsView is the settings page's data.
type settingsView struct {
	Overridden []string
	Days       [7]string
	Device     string
	CloudURL   string
	Enroll     bool // enrollment is available
	Status     edge.Status
}

// formValues gives the settings as the form fields show them.
func formValues(s edge.Settings) map[string]string {
	itoa := strconv.Itoa
	b := func(v bool) string {
		if v {
			return "on"
		}
		return ""
	}
	f := map[string]string{
		"camera.source": s.Camera.Source, "camera.width": itoa(s.Camera.Width), "camera.height": itoa(s.Camera.Height),
		"camera.fps": itoa(s.Camera.FPS), "camera.format": s.Camera.Format,
		"motion.sensitivity": itoa(s.Motion.Sensitivity), "motion.pixel_threshold": itoa(s.Motion.PixelThreshold),
		"motion.cell_percent": itoa(s.Motion.CellPercent), "motion.min_cells": itoa(s.Motion.MinCells),
		"motion.light_percent": itoa(s.Motion.LightPercent),
		"events.start_frames":  itoa(s.Events.StartFrames), "events.quiet_gap": s.Events.QuietGap.String(),
		"events.cooldown": s.Events.Cooldown.String(), "events.max_length": s.Events.MaxLength.String(),
		"faces.enabled":         b(s.Faces.Enabled),
		"retention.quota_mb":    strconv.FormatInt(s.Retention.QuotaBytes/1e6, 10),
		"retention.min_free_mb": strconv.FormatInt(s.Retention.MinFreeBytes/1e6, 10),
		"schedule.always":       b(s.Schedule == nil),
		"cloud.url":             s.Cloud.URL,
		"gpio.chip":             "gpiochip0", "gpio.line": "17", "gpio.pulse": "500ms", "gpio.min_gap": "10s",
		"webhook.min_gap": "10s",
	}
	for d := range 7 {
		var ws []string
		if s.Schedule != nil {
			for _, w := range s.Schedule.Days[d] {
				ws = append(ws, fmt.Sprintf("%02d:%02d-%02d:%02d", w.From/60, w.From%60, w.To/60, w.To%60))
			}
		} else {
			ws = []string{"00:00-24:00"}
		}
		f["schedule."+strconv.Itoa(d)] = strings.Join(ws, ", ")
	}
	if g := s.GPIO; g != nil {
		f["gpio.enabled"], f["gpio.chip"], f["gpio.line"] = "on", g.Chip, itoa(g.Line)
		f["gpio.active_low"], f["gpio.pulse"], f["gpio.min_gap"], f["gpio.on_face"] = b(g.ActiveLow), g.Pulse.String(), g.MinGap.String(), b(g.OnFace)
	}
	if w := s.Webhook; w != nil {
		f["webhook.enabled"], f["webhook.url"], f["webhook.min_gap"], f["webhook.on_face"] = "on", w.URL, w.MinGap.String(), b(w.OnFace)
		if w.Secret != "" {
			f["webhook.secret"] = secretMask
		}
	}
	return f
}

func (s *Server) settingsData(c *fiber.Ctx) pageData {
	st := s.cfg.Settings.File()
	d := s.data(c, "Settings", "settings")
	d.Form = formValues(st)
	if len(s.cfg.Overridden) > 0 { // a flag's field shows the value in force
		eff := formValues(s.cfg.Settings.Effective())
		for _, k := range s.cfg.Overridden {
			if v, ok := eff[k]; ok {
				d.Form[k] = v
			}
		}
	}
	d.Errors = map[string][]string{}
	d.Data = settingsView{Overridden: s.cfg.Overridden, Days: weekdays, Device: st.Cloud.DeviceID, CloudURL: st.Cloud.URL,
		Enroll: s.cfg.Cloud != nil, Status: s.cfg.Status(c.UserContext())}
	return d
}

func (s *Server) settingsPage(c *fiber.Ctx) error {
	d := s.settingsData(c)
	if c.Query("saved") != "" {
		d.Notice = "Saved: " + c.Query("saved") + ". The camera uses the new settings now."
	}
	return s.render(c, "settings", d)
}

// form reads typed values from a submitted form and collects what does not
// parse, keyed by field.
type form struct {
	c    *fiber.Ctx
	errs map[string][]string
}

func (f *form) str(key string) string { return strings.TrimSpace(f.c.FormValue(key)) }
func (f *form) on(key string) bool    { return f.c.FormValue(key) != "" }

func (f *form) int(key string) int {
	v := f.str(key)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		f.errs[key] = append(f.errs[key], fmt.Sprintf("%q is not a whole number", v))
	}
	return n
}

func (f *form) dur(key string) time.Duration {
	v := f.str(key)
	d, err := time.ParseDuration(v)
	if err != nil {
		f.errs[key] = append(f.errs[key], fmt.Sprintf("%q is not a duration such as 3s or 500ms", v))
	}
	return d
}

// windows parses "08:00-12:00, 13:30-18:00" (empty: disarmed all day).
func (f *form) windows(key string) []domain.Window {
	var out []domain.Window
	for _, part := range strings.Split(f.str(key), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		a, b, ok := strings.Cut(part, "-")
		from, err1 := hhmm(strings.TrimSpace(a))
		to, err2 := hhmm(strings.TrimSpace(b))
		if !ok || err1 != nil || err2 != nil {
			f.errs[key] = append(f.errs[key], fmt.Sprintf("%q: want HH:MM-HH:MM", part))
			continue
		}
		out = append(out, domain.Window{From: from, To: to})
	}
	return out
}

func hhmm(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if s == "24:00" {
		return 24 * 60, nil
	}
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// settingsForm saves one section of the settings page.
func (s *Server) settingsForm(c *fiber.Ctx) error {
	section := c.Params("section")
	if section == "cloud" {
		return s.cloudForm(c)
	}
	f := &form{c: c, errs: map[string][]string{}}
	var edit func(st *edge.Settings)
	over := func(field string) bool {
		for _, o := range s.cfg.Overridden {
			if o == field {
				return true
			}
		}
		return false
	}
	switch section {
	// A field the command line sets is disabled in the form (so not sent)
	// and keeps the file's value.
	case "camera":
		var src, format string
		var w, h, fps int
		if !over("camera.source") {
			src = f.str("camera.source")
		}
		if !over("camera.width") {
			w, h = f.int("camera.width"), f.int("camera.height")
		}
		if !over("camera.fps") {
			fps = f.int("camera.fps")
		}
		if !over("camera.format") {
			format = f.str("camera.format")
		}
		edit = func(st *edge.Settings) {
			if !over("camera.source") {
				st.Camera.Source = src
			}
			if !over("camera.width") {
				st.Camera.Width, st.Camera.Height = w, h
			}
			if !over("camera.fps") {
				st.Camera.FPS = fps
			}
			if !over("camera.format") {
				st.Camera.Format = format
			}
		}
	case "motion":
		m := domain.MotionSettings{PixelThreshold: f.int("motion.pixel_threshold"),
			CellPercent: f.int("motion.cell_percent"), MinCells: f.int("motion.min_cells"), LightPercent: f.int("motion.light_percent")}
		if !over("motion.sensitivity") {
			m.Sensitivity = f.int("motion.sensitivity")
		}
		ev := domain.EventRules{StartFrames: f.int("events.start_frames"), QuietGap: f.dur("events.quiet_gap"),
			Cooldown: f.dur("events.cooldown"), MaxLength: f.dur("events.max_length")}
		faces := f.on("faces.enabled")
		edit = func(st *edge.Settings) {
			if over("motion.sensitivity") {
				m.Sensitivity = st.Motion.Sensitivity
			}
			st.Motion, st.Events, st.Faces.Enabled = m, ev, faces
		}
	case "schedule":
		var sc *domain.Schedule
		if !f.on("schedule.always") {
			sc = &domain.Schedule{}
			for d := range 7 {
				sc.Days[d] = f.windows("schedule." + strconv.Itoa(d))
			}
		}
		edit = func(st *edge.Settings) { st.Schedule = sc }
	case "outputs":
		var g *edge.GPIOSettings
		if f.on("gpio.enabled") {
			g = &edge.GPIOSettings{Chip: f.str("gpio.chip"), Line: f.int("gpio.line"), ActiveLow: f.on("gpio.active_low"),
				Pulse: f.dur("gpio.pulse"), MinGap: f.dur("gpio.min_gap"), OnFace: f.on("gpio.on_face")}
		}
		var w *edge.WebhookSettings
		if f.on("webhook.enabled") {
			w = &edge.WebhookSettings{URL: f.str("webhook.url"), Secret: f.c.FormValue("webhook.secret"),
				MinGap: f.dur("webhook.min_gap"), OnFace: f.on("webhook.on_face")}
		}
		edit = func(st *edge.Settings) {
			if w != nil && w.Secret == secretMask && st.Webhook != nil {
				w.Secret = st.Webhook.Secret
			}
			st.GPIO, st.Webhook = g, w
		}
	case "retention":
		q, mf := int64(f.int("retention.quota_mb")), int64(f.int("retention.min_free_mb"))
		edit = func(st *edge.Settings) { st.Retention.QuotaBytes, st.Retention.MinFreeBytes = q*1e6, mf*1e6 }
	default:
		return fiber.ErrNotFound
	}
	var err error
	if len(f.errs) > 0 {
		err = domain.E("settings", domain.Invalid, errors.New("form"))
	} else {
		err = s.cfg.Settings.Update(c.UserContext(), func(st *edge.Settings) error { edit(st); return nil })
	}
	if err != nil {
		if domain.KindOf(err) != domain.Invalid {
			return err
		}
		d := s.settingsData(c)
		if len(f.errs) > 0 {
			d.Errors = f.errs
		} else {
			d.Errors = fieldErrors(err)
		}
		for k := range d.Form { // show what was sent (a flag's value is not sent: its field is disabled)
			if over(k) {
				continue
			}
			if strings.HasPrefix(k, section+".") || section == "motion" && (strings.HasPrefix(k, "events.") || strings.HasPrefix(k, "faces.")) ||
				section == "outputs" && (strings.HasPrefix(k, "gpio.") || strings.HasPrefix(k, "webhook.")) {
				d.Form[k] = c.FormValue(k)
			}
		}
		d.Message = "Not saved: " + describeErrors(d.Errors)
		return s.render(c.Status(fiber.StatusBadRequest), "settings", d)
	}
	s.cfg.Log.Info("settings changed", "section", section, "user", current(c).User)
	return c.Redirect("/settings?saved="+section+"#"+section, fiber.StatusSeeOther)
}

func describeErrors(errs map[string][]string) string {
	var keys []string
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, m := range errs[k] {
			if k == "" {
				parts = append(parts, m)
			} else {
				parts = append(parts, k+": "+m)
			}
		}
	}
	return strings.Join(parts, "; ")
}

func (s *Server) cloudForm(c *fiber.Ctx) error {
	var err error
	switch c.FormValue("action") {
	case "enroll":
		_, err = s.enroll(c, strings.TrimSpace(c.FormValue("cloud.url")), strings.TrimSpace(c.FormValue("cloud.license")),
			strings.TrimSpace(c.FormValue("cloud.name")))
	case "unlink":
		err = s.unlink(c)
	default:
		return domain.E("cloud", domain.Invalid, errors.New("unknown action"))
	}
	if err != nil {
		d := s.settingsData(c)
		d.Errors = fieldErrors(err)
		if domain.KindOf(err) != domain.Invalid {
			d.Errors = map[string][]string{"cloud.url": {s.message(c, err)}}
		}
		d.Form["cloud.url"] = c.FormValue("cloud.url")
		d.Form["cloud.name"] = c.FormValue("cloud.name")
		d.Message = "Cloud: " + describeErrors(d.Errors)
		return s.render(c.Status(status(err)), "settings", d)
	}
	return c.Redirect("/settings?saved=cloud#cloud", fiber.StatusSeeOther)
}

func (s *Server) enroll(c *fiber.Ctx, url, license, name string) (string, error) {
	if s.cfg.Cloud == nil {
		return "", domain.E("cloud", domain.Unavailable, errors.New("enrollment is not available in this build"))
	}
	var errs []error
	if license == "" {
		errs = append(errs, errors.New("cloud.license: enter the license key"))
	}
	if url == "" {
		errs = append(errs, errors.New("cloud.url: enter vigil-cloud's URL"))
	}
	if name == "" || len(name) > 64 {
		errs = append(errs, errors.New("cloud.name: enter a name of 1..64 characters"))
	}
	if len(errs) > 0 {
		return "", domain.E("cloud", domain.Invalid, errors.Join(errs...))
	}
	id, err := s.cfg.Cloud.Enroll(c.UserContext(), url, license, name)
	if err != nil {
		return "", err
	}
	s.cfg.Log.Info("enrolled", "cloud", url, "device", id, "user", current(c).User)
	return id, nil
}

func (s *Server) unlink(c *fiber.Ctx) error {
	if s.cfg.Cloud == nil {
		return domain.E("cloud", domain.Unavailable, errors.New("enrollment is not available in this build"))
	}
	if err := s.cfg.Cloud.Unlink(c.UserContext()); err != nil {
		return err
	}
	s.cfg.Log.Info("unlinked from the cloud", "user", current(c).User)
	return nil
}
