package cloudweb

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"vigil/app/cloud"
	"vigil/domain"
)

type faceJSON struct {
	X     float64 `json:"x"`
	Y     float64 `json:"y"`
	W     float64 `json:"w"`
	H     float64 `json:"h"`
	Score float64 `json:"score"`
}

type imageJSON struct {
	ID       string     `json:"id"`
	Device   string     `json:"device"`
	Event    string     `json:"event"`
	TakenAt  time.Time  `json:"taken_at"`
	Width    int        `json:"width"`
	Height   int        `json:"height"`
	Bytes    int64      `json:"bytes"`
	Faces    []faceJSON `json:"faces"`
	URL      string     `json:"url"`
	ThumbURL string     `json:"thumb_url"`
}

func toImageJSON(g cloud.GalleryImage) imageJSON {
	out := imageJSON{ID: g.Key, Device: g.DeviceID, Event: g.EventID, TakenAt: g.TakenAt, Width: g.Width, Height: g.Height,
		Bytes: g.Bytes, Faces: []faceJSON{}, URL: g.URL, ThumbURL: g.ThumbURL}
	for _, f := range g.Faces {
		out.Faces = append(out.Faces, faceJSON{X: f.Box.X0, Y: f.Box.Y0, W: f.Box.X1 - f.Box.X0, H: f.Box.Y1 - f.Box.Y0, Score: f.Score})
	}
	return out
}

type imagesJSON struct {
	Images []imageJSON `json:"images"`
	Next   string      `json:"next"`
}

func (s *Server) apiImages(c *fiber.Ctx) error {
	q, err := imageQuery(c)
	if err != nil {
		return err
	}
	images, next, err := s.svc.Images(c.UserContext(), session(c), q)
	if err != nil {
		return err
	}
	out := imagesJSON{Images: []imageJSON{}, Next: next}
	for _, g := range images {
		out.Images = append(out.Images, toImageJSON(g))
	}
	return c.JSON(out)
}

func (s *Server) apiImage(c *fiber.Ctx) error {
	g, err := s.svc.Image(c.UserContext(), session(c), c.Params("key"))
	if err != nil {
		return err
	}
	return c.JSON(toImageJSON(g))
}

type deviceJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Enrolled   time.Time  `json:"enrolled"`
	Revoked    bool       `json:"revoked"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUpload *time.Time `json:"last_upload,omitempty"`
}

func toDeviceJSON(d domain.Device) deviceJSON {
	out := deviceJSON{ID: d.ID, Name: d.Name, Enrolled: d.Enrolled, Revoked: d.Revoked}
	if !d.RevokedAt.IsZero() {
		out.RevokedAt = &d.RevokedAt
	}
	if !d.LastUpload.IsZero() {
		out.LastUpload = &d.LastUpload
	}
	return out
}

type licenseJSON struct {
	Status    string    `json:"status"`
	Seats     int       `json:"seats"`
	SeatsUsed int       `json:"seats_used"`
	Issued    time.Time `json:"issued"`
	Expires   time.Time `json:"expires"`
}

type devicesJSON struct {
	License *licenseJSON `json:"license"`
	Devices []deviceJSON `json:"devices"`
}

func toLicenseJSON(l domain.License) *licenseJSON {
	if l.AccountID == "" {
		return nil
	}
	return &licenseJSON{Status: l.Status(time.Now()), Seats: l.Seats, SeatsUsed: l.SeatsUsed, Issued: l.Issued, Expires: l.Expires}
}

func (s *Server) apiDevices(c *fiber.Ctx) error {
	l, ds, err := s.svc.Devices(c.UserContext(), session(c))
	if err != nil {
		return err
	}
	out := devicesJSON{License: toLicenseJSON(l), Devices: []deviceJSON{}}
	for _, d := range ds {
		out.Devices = append(out.Devices, toDeviceJSON(d))
	}
	return c.JSON(out)
}

func (s *Server) apiDevice(c *fiber.Ctx) error {
	d, err := s.svc.Device(c.UserContext(), session(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toDeviceJSON(d))
}

func (s *Server) apiRevoke(c *fiber.Ctx) error {
	se := session(c)
	if err := s.svc.Revoke(c.UserContext(), se, c.Params("id")); err != nil {
		return err
	}
	s.cfg.Log.Info("device revoked", "account", se.AccountID, "device", c.Params("id"))
	return c.SendStatus(fiber.StatusNoContent)
}

type rejectionJSON struct {
	ID         string    `json:"id"`
	Device     string    `json:"device"`
	Key        string    `json:"key"`
	Reason     string    `json:"reason"`
	Detail     string    `json:"detail"`
	Bytes      int64     `json:"bytes"`
	RejectedAt time.Time `json:"rejected_at"`
}

type rejectedJSON struct {
	Rejected []rejectionJSON `json:"rejected"`
	Next     string          `json:"next"`
}

func (s *Server) apiRejected(c *fiber.Ctx) error {
	limit := c.QueryInt("limit", 50)
	page, err := s.svc.Rejections(c.UserContext(), session(c), limit, c.Query("cursor"))
	if err != nil {
		return err
	}
	out := rejectedJSON{Rejected: []rejectionJSON{}, Next: page.Next}
	for _, r := range page.Rejections {
		out.Rejected = append(out.Rejected, rejectionJSON{ID: r.ID, Device: r.DeviceID, Key: r.SourceKey, Reason: string(r.Reason),
			Detail: r.Detail, Bytes: r.Bytes, RejectedAt: r.RejectedAt})
	}
	return c.JSON(out)
}

func (s *Server) apiLicense(c *fiber.Ctx) error {
	l, err := s.svc.License(c.UserContext(), session(c))
	if err != nil {
		return err
	}
	return c.JSON(toLicenseJSON(l))
}
