package edgeui

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"vigil/adapters/configfile"
	"vigil/app/edge"
	"vigil/domain"
	"vigil/vision"
)

// The API's JSON shapes (documented in the README's "Web UI and API").

type boxJSON [4]float64 // x0, y0, x1, y1, normalised

type faceJSON struct {
	Box   boxJSON `json:"box"`
	Score float64 `json:"score"`
}

type snapshotJSON struct {
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	Frame      int64      `json:"frame"`
	Time       time.Time  `json:"time"`
	Bytes      int        `json:"bytes"`
	Upload     string     `json:"upload"` // queued, uploaded, rejected
	UploadedAt *time.Time `json:"uploaded_at,omitempty"`
	// RejectedAt and RejectReason: the cloud quarantined it (upload is
	// "rejected").
	RejectedAt   *time.Time `json:"rejected_at,omitempty"`
	RejectReason string     `json:"reject_reason,omitempty"`
	URL          string     `json:"url"`
}

type eventJSONT struct {
	ID           string         `json:"id"`
	Start        time.Time      `json:"start"`
	End          *time.Time     `json:"end"` // null while running
	PeakScore    float64        `json:"peak_score"`
	PeakAt       time.Time      `json:"peak_at"`
	BBox         boxJSON        `json:"bbox"`
	ChangedCells int            `json:"changed_cells"`
	Frames       int            `json:"frames"`
	Faces        []faceJSON     `json:"faces"`
	Snapshots    []snapshotJSON `json:"snapshots"`
	Trace        *traceJSON     `json:"trace,omitempty"` // event pages and GET /events/{id} only
}

// traceJSON is an event's score over time: one point (the highest score)
// per step frames, pre_roll points of them before the event started.
type traceJSON struct {
	Scores    []float32 `json:"scores"`
	Step      int       `json:"step"`
	PreRoll   int       `json:"pre_roll"`
	Threshold float32   `json:"threshold"`
}

func box(b domain.Box) boxJSON { return boxJSON{b.X0, b.Y0, b.X1, b.Y1} }

func eventJSON(ev domain.Event) eventJSONT {
	j := eventJSONT{ID: string(ev.ID), Start: ev.Start, PeakScore: ev.PeakScore, PeakAt: ev.PeakAt, BBox: box(ev.BBox),
		ChangedCells: ev.ChangedCells, Frames: ev.Frames, Faces: []faceJSON{}, Snapshots: []snapshotJSON{}}
	if !ev.End.IsZero() {
		end := ev.End
		j.End = &end
	}
	for _, f := range ev.Faces {
		j.Faces = append(j.Faces, faceJSON{box(f.Box), f.Score})
	}
	for _, sn := range ev.Snapshots {
		sj := snapshotJSON{Name: sn.Name, Kind: string(sn.Kind), Frame: sn.Frame, Time: sn.Time, Bytes: sn.Bytes,
			Upload: sn.UploadState(), URL: "/snapshots/" + sn.Name}
		if !sn.Uploaded.IsZero() {
			at := sn.Uploaded
			sj.UploadedAt = &at
		}
		if !sn.Rejected.IsZero() {
			at := sn.Rejected
			sj.RejectedAt, sj.RejectReason = &at, sn.RejectReason
		}
		j.Snapshots = append(j.Snapshots, sj)
	}
	return j
}

func (s *Server) apiEvents(c *fiber.Ctx) error {
	before, day, limit, err := eventsQuery(c, 50)
	if err != nil {
		return jsonError(c, status(err), err.Error())
	}
	evs, err := s.cfg.Events.Events(c.UserContext(), before, limit, day)
	if err != nil {
		return jsonError(c, status(err), s.message(c, err))
	}
	out := struct {
		Events []eventJSONT `json:"events"`
		Next   string       `json:"next,omitempty"` // pass as ?before= for the next page
	}{Events: []eventJSONT{}}
	for _, ev := range evs {
		out.Events = append(out.Events, eventJSON(ev))
	}
	if len(evs) == limit {
		out.Next = string(evs[len(evs)-1].ID)
	}
	return c.JSON(out)
}

func (s *Server) apiEvent(c *fiber.Ctx) error {
	ev, err := s.event(c)
	if err != nil {
		return jsonError(c, status(err), s.message(c, err))
	}
	j, err := s.eventWithTrace(c, ev)
	if err != nil {
		return jsonError(c, status(err), s.message(c, err))
	}
	return c.JSON(j)
}

// eventWithTrace is the event's JSON with its score trace, when stored.
func (s *Server) eventWithTrace(c *fiber.Ctx, ev domain.Event) (eventJSONT, error) {
	j := eventJSON(ev)
	tr, ok, err := s.cfg.Events.Trace(c.UserContext(), ev.ID)
	if err != nil {
		return j, err
	}
	if ok {
		j.Trace = &traceJSON{Scores: tr.Scores, Step: tr.Step, PreRoll: tr.PreRoll, Threshold: tr.Threshold}
	}
	return j, nil
}

// deleteEvent removes an ended event and its trace (a running one is a
// Conflict: the camera is still adding to it).
func (s *Server) deleteEvent(c *fiber.Ctx, ev domain.Event) error {
	if ev.Running() {
		return domain.E("delete event", domain.Conflict, errors.New("the event is still running: delete it when it has ended"))
	}
	id := ev.ID
	if err := s.cfg.Events.DeleteEvent(c.UserContext(), id); err != nil {
		return err
	}
	return s.cfg.Events.DeleteTrace(c.UserContext(), id)
}

func (s *Server) apiEventDelete(c *fiber.Ctx) error {
	ev, err := s.event(c)
	if err == nil {
		err = s.deleteEvent(c, ev)
	}
	if err != nil {
		return jsonError(c, status(err), s.message(c, err))
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type statusJSON struct {
	Version        string    `json:"version"`
	Started        time.Time `json:"started"`
	UptimeSeconds  float64   `json:"uptime_seconds"`
	Source         string    `json:"source"`
	Camera         string    `json:"camera"`   // "" while frames flow, else why not
	Problems       []string  `json:"problems"` // parts of the pipeline that do not work
	FPS            float64   `json:"fps"`
	AnalysisMicros float64   `json:"analysis_us_per_frame"`
	Kernel         string    `json:"kernel"`
	AnalysisSize   string    `json:"analysis_size"`
	Dropped        int       `json:"dropped_frames"`
	InEvent        bool      `json:"in_event"`
	DiskUsed       int64     `json:"disk_used_bytes"`
	Quota          int64     `json:"quota_bytes"`
	DiskFree       int64     `json:"disk_free_bytes"`
	MinFree        int64     `json:"min_free_bytes"`
	Outbox         int       `json:"outbox_length"`
	Uploads        bool      `json:"uploads"`
	Uploaded       int       `json:"uploaded"`
	LastUploadErr  string    `json:"last_upload_error"`
	// Cloud is null while the device is not enrolled.
	Cloud *cloudStatusJSON `json:"cloud"`
}

// cloudStatusJSON is what the cloud last said of the device.
type cloudStatusJSON struct {
	Checked     *time.Time   `json:"checked"`  // null before the first answer
	License     *licenseJSON `json:"license"`  // null before the first answer, or without a license
	Rejected    int          `json:"rejected"` // rejections in the last answer
	LastError   string       `json:"last_error"`
	LastErrorAt *time.Time   `json:"last_error_at,omitempty"`
}

type licenseJSON struct {
	Status    string    `json:"status"` // active, expired, suspended
	Seats     int       `json:"seats"`
	SeatsUsed int       `json:"seats_used"`
	Expires   time.Time `json:"expires"`
}

func cloudJSON(c *edge.CloudStatus) *cloudStatusJSON {
	if c == nil {
		return nil
	}
	out := &cloudStatusJSON{Rejected: len(c.Device.Rejected), LastError: c.LastError}
	if !c.Checked.IsZero() {
		at := c.Checked
		out.Checked = &at
	}
	if !c.LastErrorAt.IsZero() {
		at := c.LastErrorAt
		out.LastErrorAt = &at
	}
	if l := c.Device.License; l.Status != "" {
		out.License = &licenseJSON{Status: l.Status, Seats: l.Seats, SeatsUsed: l.SeatsUsed, Expires: l.Expires}
	}
	return out
}

func (s *Server) apiStatus(c *fiber.Ctx) error {
	st := s.cfg.Status(c.UserContext())
	return c.JSON(statusJSON{Version: st.Version, Started: st.Started, UptimeSeconds: st.Uptime.Seconds(), Source: st.Source,
		Camera: st.Camera, Problems: append([]string{}, st.Problems...),
		FPS: st.FPS, AnalysisMicros: st.AnalysisMicros, Kernel: st.Kernel, AnalysisSize: st.Analysis, Dropped: st.Dropped,
		InEvent: st.InEvent, DiskUsed: st.DiskUsed, Quota: st.QuotaBytes, DiskFree: st.DiskFree, MinFree: st.MinFreeBytes,
		Outbox: st.OutboxLen, Uploads: st.Uploads, Uploaded: st.Uploaded, LastUploadErr: st.LastUploadErr, Cloud: cloudJSON(st.Cloud)})
}

type pointJSON struct {
	Frame     int64   `json:"frame"`
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
	Verdict   string  `json:"verdict"`
}

type overlayJSON struct {
	Frame int64     `json:"frame"`
	BBox  boxJSON   `json:"bbox"`
	Cols  int       `json:"cols"`
	Rows  int       `json:"rows"`
	Cells []float64 `json:"cells"` // changed share per cell, row-major; -1 outside every region
}

func (s *Server) apiLive(c *fiber.Ctx) error {
	pts, o := s.cfg.Live.Scores()
	_, seq, _, _ := s.cfg.Live.JPEG()
	out := struct {
		Seq     uint64       `json:"seq"`
		Points  []pointJSON  `json:"points"`
		Overlay overlayJSON  `json:"overlay"`
		Regions []regionJSON `json:"regions"`
	}{Seq: seq, Points: []pointJSON{}, Regions: regionsJSON(s.cfg.Settings.Effective().Regions),
		Overlay: overlayJSON{Frame: o.Frame, BBox: box(o.BBox), Cols: o.Cols, Rows: o.Rows, Cells: o.Cells}}
	if out.Overlay.Cells == nil {
		out.Overlay.Cells = []float64{}
	}
	for _, p := range pts {
		out.Points = append(out.Points, pointJSON{p.Frame, p.Score, p.Threshold, p.Verdict.String()})
	}
	return c.JSON(out)
}

// apiSettings answers the settings file's JSON (the device secret is not
// in it; the webhook secret is blanked).
func (s *Server) apiSettings(c *fiber.Ctx) error {
	st := s.cfg.Settings.File()
	if st.Webhook != nil && st.Webhook.Secret != "" {
		st.Webhook.Secret = secretMask
	}
	b, err := configfile.Marshal(st)
	if err != nil {
		return jsonError(c, fiber.StatusInternalServerError, s.message(c, err))
	}
	c.Type("json", "utf-8")
	return c.Send(b)
}

// secretMask stands for a secret that is kept when sent back unchanged.
const secretMask = "********"

// apiSettingsPut replaces the settings with the body (the config file's
// format; keys left out keep their defaults). Errors name every bad field.
func (s *Server) apiSettingsPut(c *fiber.Ctx) error {
	if err := readJSONType(c); err != nil {
		return jsonError(c, status(err), err.Error())
	}
	next, err := configfile.Parse(c.Body())
	if err == nil {
		err = s.cfg.Settings.Update(c.UserContext(), func(st *edge.Settings) error {
			if next.Webhook != nil && next.Webhook.Secret == secretMask && st.Webhook != nil {
				next.Webhook.Secret = st.Webhook.Secret
			}
			next.Cloud = st.Cloud // enrollment changes the cloud settings, not this
			*st = next
			return nil
		})
	}
	if err != nil {
		return settingsError(c, s, err)
	}
	s.cfg.Log.Info("settings changed", "user", current(c).User, "via", "api")
	return s.apiSettings(c)
}

func settingsError(c *fiber.Ctx, s *Server, err error) error {
	if domain.KindOf(err) != domain.Invalid {
		return jsonError(c, status(err), s.message(c, err))
	}
	return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": err.Error(), "fields": fieldErrors(err)})
}

func readJSONType(c *fiber.Ctx) error {
	if !isJSON(c) {
		return domain.E("request", domain.Invalid, errors.New("want Content-Type: application/json"))
	}
	return nil
}

func isJSON(c *fiber.Ctx) bool {
	ct := string(c.Request().Header.ContentType())
	return len(ct) >= len(fiber.MIMEApplicationJSON) && ct[:len(fiber.MIMEApplicationJSON)] == fiber.MIMEApplicationJSON
}

type regionJSON struct {
	Points  [][2]float64 `json:"points"`
	Exclude bool         `json:"exclude"`
}

func regionsJSON(rs []vision.Region) []regionJSON {
	out := []regionJSON{}
	for _, r := range rs {
		rj := regionJSON{Exclude: r.Exclude, Points: [][2]float64{}}
		for _, p := range r.Points {
			rj.Points = append(rj.Points, [2]float64{p.X, p.Y})
		}
		out = append(out, rj)
	}
	return out
}

func (s *Server) apiRegions(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"regions": regionsJSON(s.cfg.Settings.File().Regions)})
}

// apiRegionsPut replaces the regions: {"regions":[{"points":[[x,y],…],"exclude":false},…]}.
func (s *Server) apiRegionsPut(c *fiber.Ctx) error {
	var in struct {
		Regions []regionJSON `json:"regions"`
	}
	if err := readJSON(c, &in); err != nil {
		return jsonError(c, status(err), err.Error())
	}
	if len(in.Regions) > 32 {
		return jsonError(c, fiber.StatusBadRequest, "regions: at most 32")
	}
	var rs []vision.Region
	for _, r := range in.Regions {
		vr := vision.Region{Exclude: r.Exclude}
		for _, p := range r.Points {
			vr.Points = append(vr.Points, vision.Point{X: p[0], Y: p[1]})
		}
		rs = append(rs, vr)
	}
	err := s.cfg.Settings.Update(c.UserContext(), func(st *edge.Settings) error {
		st.Regions = rs
		return nil
	})
	if err != nil {
		return settingsError(c, s, err)
	}
	s.cfg.Log.Info("regions changed", "user", current(c).User, "regions", len(rs))
	return s.apiRegions(c)
}

func (s *Server) apiEnroll(c *fiber.Ctx) error {
	var in struct {
		URL     string `json:"url"`
		License string `json:"license"`
		Name    string `json:"name"`
	}
	if err := readJSON(c, &in); err != nil {
		return jsonError(c, status(err), err.Error())
	}
	id, err := s.enroll(c, in.URL, in.License, in.Name)
	if err != nil {
		return settingsError(c, s, err)
	}
	return c.JSON(fiber.Map{"device_id": id, "cloud": in.URL})
}

func (s *Server) apiUnlink(c *fiber.Ctx) error {
	if err := s.unlink(c); err != nil {
		return jsonError(c, status(err), s.message(c, err))
	}
	return c.SendStatus(fiber.StatusNoContent)
}
