package cloudweb

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"vigil/domain"
)

// imageQuery reads the gallery's filters: device, day (YYYY-MM-DD),
// faces=1, limit, cursor.
func imageQuery(c *fiber.Ctx) (domain.ImageQuery, error) {
	q := domain.ImageQuery{DeviceID: c.Query("device"), Cursor: c.Query("cursor"), WithFaces: c.Query("faces") == "1" || c.Query("faces") == "true"}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return q, domain.E("limit", domain.Invalid, err)
		}
		q.Limit = n
	}
	if v := c.Query("day"); v != "" {
		d, err := time.Parse("2006-01-02", v)
		if err != nil {
			return q, domain.E("day", domain.Invalid, err)
		}
		q.Day = d
	}
	return q, q.Validate()
}

func (s *Server) galleryPage(c *fiber.Ctx) error {
	se := session(c)
	q, err := imageQuery(c)
	if err != nil {
		return err
	}
	images, next, err := s.svc.Images(c.UserContext(), se, q)
	if err != nil {
		return err
	}
	_, devices, err := s.svc.Devices(c.UserContext(), se)
	if err != nil {
		return err
	}
	nextURL := ""
	if next != "" {
		v := c.Request().URI().QueryArgs()
		args := fiber.AcquireArgs()
		defer fiber.ReleaseArgs(args)
		v.CopyTo(args)
		args.Set("cursor", next)
		nextURL = "/?" + string(args.QueryString())
	}
	day := ""
	if !q.Day.IsZero() {
		day = q.Day.Format("2006-01-02")
	}
	return s.render(c, "gallery", &se, map[string]any{"Images": images, "Next": nextURL, "Devices": devices,
		"Query": q, "DayText": day, "First": q.Cursor == ""})
}

func (s *Server) imagePage(c *fiber.Ctx) error {
	se := session(c)
	img, err := s.svc.Image(c.UserContext(), se, c.Params("key"))
	if err != nil {
		return err
	}
	return s.render(c, "image", &se, map[string]any{"Image": img})
}

func (s *Server) devicesPage(c *fiber.Ctx) error {
	se := session(c)
	l, devices, err := s.svc.Devices(c.UserContext(), se)
	if err != nil {
		return err
	}
	return s.render(c, "devices", &se, map[string]any{"License": l, "Devices": devices, "Active": l.Active(time.Now()) && l.Seats > 0})
}

func (s *Server) revokeForm(c *fiber.Ctx) error {
	se := session(c)
	if err := s.svc.Revoke(c.UserContext(), se, c.Params("id")); err != nil {
		return err
	}
	s.cfg.Log.Info("device revoked", "account", se.AccountID, "device", c.Params("id"))
	return c.Redirect("/devices", fiber.StatusSeeOther)
}

func (s *Server) rejectedPage(c *fiber.Ctx) error {
	se := session(c)
	page, err := s.svc.Rejections(c.UserContext(), se, 50, c.Query("cursor"))
	if err != nil {
		return err
	}
	next := ""
	if page.Next != "" {
		next = "/rejected?cursor=" + page.Next
	}
	return s.render(c, "rejected", &se, map[string]any{"Rejections": page.Rejections, "Next": next})
}

func (s *Server) licensePage(c *fiber.Ctx) error {
	se := session(c)
	l, err := s.svc.License(c.UserContext(), se)
	if err != nil && domain.KindOf(err) != domain.NotFound {
		return err
	}
	return s.render(c, "license", &se, map[string]any{"License": l, "Has": err == nil, "Status": l.Status(time.Now()),
		"Free": l.SeatsFree()})
}
