package edgeui

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"vigil/domain"
)

// pageSize is how many events a page of the list shows.
const pageSize = 24

func (s *Server) livePage(c *fiber.Ctx) error {
	d := s.data(c, "Live", "live")
	return s.render(c, "live", d)
}

// eventsQuery reads ?before=ID&day=YYYY-MM-DD&limit=N.
func eventsQuery(c *fiber.Ctx, defLimit int) (before domain.EventID, day time.Time, limit int, err error) {
	if b := c.Query("before"); b != "" {
		id, err := domain.ParseEventID(b)
		if err != nil {
			return "", day, 0, domain.E("before", domain.Invalid, err)
		}
		before = id
	}
	if d := c.Query("day"); d != "" {
		if day, err = time.ParseInLocation("2006-01-02", d, time.Local); err != nil {
			return "", day, 0, domain.E("day", domain.Invalid, fmt.Errorf("%q: want YYYY-MM-DD", d))
		}
	}
	limit = defLimit
	if l := c.Query("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > 500 {
			return "", day, 0, domain.E("limit", domain.Invalid, fmt.Errorf("%q: want 1..500", l))
		}
	}
	return before, day, limit, nil
}

type eventsView struct {
	Events []domain.Event
	Day    string
	Older  string // the next page's query, "" on the last
	Newest bool
}

func (s *Server) eventsPage(c *fiber.Ctx) error {
	before, day, limit, err := eventsQuery(c, pageSize)
	if err != nil {
		return err
	}
	evs, err := s.cfg.Events.Events(c.UserContext(), before, limit+1, day)
	if err != nil {
		return err
	}
	v := eventsView{Newest: before == ""}
	if !day.IsZero() {
		v.Day = day.Format("2006-01-02")
	}
	if len(evs) > limit {
		evs = evs[:limit]
		v.Older = "before=" + string(evs[len(evs)-1].ID)
		if v.Day != "" {
			v.Older += "&day=" + v.Day
		}
	}
	v.Events = evs
	d := s.data(c, "Events", "events")
	d.Data = v
	return s.render(c, "events", d)
}

func (s *Server) event(c *fiber.Ctx) (domain.Event, error) {
	id, err := domain.ParseEventID(c.Params("id"))
	if err != nil {
		return domain.Event{}, domain.E("event", domain.NotFound, err)
	}
	return s.cfg.Events.Event(c.UserContext(), id)
}

type eventView struct {
	Event domain.Event
	JSON  eventJSONT // for the page's script: bbox and faces
}

func (s *Server) eventPage(c *fiber.Ctx) error {
	ev, err := s.event(c)
	if err != nil {
		return err
	}
	j, err := s.eventWithTrace(c, ev)
	if err != nil {
		return err
	}
	d := s.data(c, "Event "+string(ev.ID), "events")
	d.Data = eventView{Event: ev, JSON: j}
	return s.render(c, "event", d)
}

func (s *Server) eventDeleteForm(c *fiber.Ctx) error {
	ev, err := s.event(c)
	if err != nil {
		return err
	}
	if err := s.deleteEvent(c, ev); err != nil {
		return err
	}
	s.cfg.Log.Info("event deleted", "event", ev.ID, "user", current(c).User)
	return c.Redirect("/events", fiber.StatusSeeOther)
}

// eventDownload sends the event's snapshots and its record as a zip.
func (s *Server) eventDownload(c *fiber.Ctx) error {
	ev, err := s.event(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	meta, _ := json.MarshalIndent(eventJSON(ev), "", "  ")
	w, err := zw.Create(string(ev.ID) + "/event.json")
	if err != nil {
		return err
	}
	w.Write(meta)
	for _, sn := range ev.Snapshots {
		b, err := s.cfg.Snapshots.Read(sn.Name)
		if domain.KindOf(err) == domain.NotFound {
			continue // retention removed it meanwhile
		}
		if err != nil {
			return err
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: string(ev.ID) + "/" + sn.Name, Method: zip.Store, Modified: sn.Time})
		if err != nil {
			return err
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/zip")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+string(ev.ID)+`.zip"`)
	return c.Send(buf.Bytes())
}

// snapshotFile serves one stored snapshot (names are checked strictly).
func (s *Server) snapshotFile(c *fiber.Ctx) error {
	name := c.Params("name")
	if _, _, err := domain.ParseSnapshotName(name); err != nil {
		return fiber.ErrNotFound
	}
	b, err := s.cfg.Snapshots.Read(name)
	if err != nil {
		return err
	}
	if c.Query("thumb") == "1" {
		if b, err = thumbnail(b); err != nil {
			return domain.E("snapshot "+name, domain.Invalid, err)
		}
	}
	c.Set(fiber.HeaderContentType, "image/jpeg")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	if c.Query("download") == "1" {
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	}
	return c.Send(b)
}

// liveStill sends the camera's latest frame.
func (s *Server) liveStill(c *fiber.Ctx) error {
	b, _, ok, err := s.cfg.Live.JPEG()
	if err != nil {
		return err
	}
	if !ok {
		return domain.E("live", domain.Unavailable, errors.New("no frame from the camera yet"))
	}
	c.Set(fiber.HeaderContentType, "image/jpeg")
	return c.Send(b)
}

const mjpegBoundary = "vigilframe"

// liveStream sends the camera as multipart/x-mixed-replace JPEG frames
// until the client goes or the server stops.
func (s *Server) liveStream(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "multipart/x-mixed-replace; boundary="+mjpegBoundary)
	c.Set(fiber.HeaderCacheControl, "no-store")
	live, done := s.cfg.Live, s.done
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		var seq uint64
		for {
			// Without a new frame within 3 s the last one goes again: it
			// keeps the connection alive and tells a gone client apart.
			ctx, cancel := context.WithTimeout(done, 3*time.Second)
			live.Wait(ctx, seq)
			cancel()
			if done.Err() != nil {
				return
			}
			b, got, ok, err := live.JPEG()
			if err != nil {
				return
			}
			if !ok {
				continue
			}
			seq = got
			fmt.Fprintf(w, "--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", mjpegBoundary, len(b))
			w.Write(b)
			w.WriteString("\r\n")
			if err := w.Flush(); err != nil {
				return // the client went away
			}
		}
	})
	return nil
}

func (s *Server) statusPage(c *fiber.Ctx) error {
	d := s.data(c, "Status", "status")
	d.Data = statusView{s.cfg.Status(c.UserContext())}
	return s.render(c, "status", d)
}

func (s *Server) regionsPage(c *fiber.Ctx) error {
	d := s.data(c, "Regions", "regions")
	d.Data = regionsJSON(s.cfg.Settings.File().Regions)
	return s.render(c, "regions", d)
}
