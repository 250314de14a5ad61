// Package configfile reads and writes the edge's settings as a JSON file.
// Unknown keys are errors (a typo must not be silently ignored), durations
// are written as Go durations ("3s", "500ms"), and a save is atomic: a
// temporary file, fsync, rename.
package configfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"vigil/app/edge"
	"vigil/domain"
	"vigil/vision"
)

// The file's shape: the adapter's own types, so that no tag reaches the
// domain or the app.
type file struct {
	Camera    camera       `json:"camera"`
	Motion    motion       `json:"motion"`
	Events    events       `json:"events"`
	Regions   []region     `json:"regions"`
	Schedule  *[7][]window `json:"schedule,omitempty"` // Sunday first; absent: always armed
	Faces     faces        `json:"faces"`
	GPIO      *gpio        `json:"gpio,omitempty"`
	Webhook   *webhook     `json:"webhook,omitempty"`
	Retention retention    `json:"retention"`
	Cloud     cloud        `json:"cloud"`
	Listen    string       `json:"listen"`
}

type camera struct {
	Source string `json:"source"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	FPS    int    `json:"fps"`
	Format string `json:"format,omitempty"`
}

type motion struct {
	Sensitivity    int `json:"sensitivity"`
	PixelThreshold int `json:"pixel_threshold,omitempty"`
	CellPercent    int `json:"cell_percent,omitempty"`
	MinCells       int `json:"min_cells,omitempty"`
	LightPercent   int `json:"light_percent,omitempty"`
}

type events struct {
	StartFrames int      `json:"start_frames"`
	QuietGap    duration `json:"quiet_gap"`
	Cooldown    duration `json:"cooldown"`
	MaxLength   duration `json:"max_length"`
}

type point [2]float64

type region struct {
	Points  []point `json:"points"`
	Exclude bool    `json:"exclude,omitempty"`
}

type window struct {
	From string `json:"from"` // "HH:MM"
	To   string `json:"to"`   // "HH:MM", "24:00" for midnight
}

type faces struct {
	Enabled  bool    `json:"enabled"`
	MinSize  int     `json:"min_size,omitempty"`
	MinScore float64 `json:"min_score,omitempty"`
}

type gpio struct {
	Chip      string   `json:"chip"`
	Line      int      `json:"line"`
	ActiveLow bool     `json:"active_low,omitempty"`
	Pulse     duration `json:"pulse"`
	MinGap    duration `json:"min_gap"`
	OnFace    bool     `json:"on_face,omitempty"`
}

type webhook struct {
	URL    string   `json:"url"`
	Secret string   `json:"secret,omitempty"`
	MinGap duration `json:"min_gap"`
	OnFace bool     `json:"on_face,omitempty"`
}

type retention struct {
	QuotaBytes   int64 `json:"quota_bytes"`
	MinFreeBytes int64 `json:"min_free_bytes"`
}

type cloud struct {
	URL      string `json:"url,omitempty"`
	DeviceID string `json:"device_id,omitempty"`
}

// duration is a time.Duration written as "1m30s".
type duration time.Duration

func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration such as \"3s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration such as \"3s\", got %q", s)
	}
	*d = duration(v)
	return nil
}

// Load reads path over the defaults (keys absent from the file keep their
// default) and validates the result. A missing file gives the defaults.
func Load(path string) (edge.Settings, error) {
	s := edge.DefaultSettings()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("config: %w", err)
	}
	s, err = Parse(b)
	if err != nil {
		return s, fmt.Errorf("config %s: %w", path, err)
	}
	return s, nil
}

// Parse decodes a config file's bytes over the defaults and validates.
func Parse(b []byte) (edge.Settings, error) {
	f := toFile(edge.DefaultSettings())
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return edge.Settings{}, domain.E("config", domain.Invalid, describe(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return edge.Settings{}, domain.E("config", domain.Invalid, errors.New("trailing data after the JSON object"))
	}
	s, err := fromFile(f)
	if err != nil {
		return s, domain.E("config", domain.Invalid, err)
	}
	if err := s.Validate(); err != nil {
		return s, err
	}
	return s, nil
}

// describe makes encoding/json's errors name the key.
func describe(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("%s: want %v, got %s", te.Field, te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("not valid JSON at byte %d: %v", se.Offset, err)
	}
	return err // "json: unknown field "x"" names it already
}

// Save writes s to path atomically with mode 0600 (the webhook secret is in it).
func Save(path string, s edge.Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	b, err := Marshal(s)
	if err != nil {
		return err
	}
	if err := WriteAtomic(path, b); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// WriteAtomic writes b to path with mode 0600 so that a crash leaves either
// the old file or the new one, complete: a temporary file in the same
// directory, fsync, rename, fsync of the directory. The settings, the admin
// account and the device secret are written with it.
func WriteAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func toFile(s edge.Settings) file {
	f := file{
		Camera:    camera{s.Camera.Source, s.Camera.Width, s.Camera.Height, s.Camera.FPS, s.Camera.Format},
		Motion:    motion{s.Motion.Sensitivity, s.Motion.PixelThreshold, s.Motion.CellPercent, s.Motion.MinCells, s.Motion.LightPercent},
		Events:    events{s.Events.StartFrames, duration(s.Events.QuietGap), duration(s.Events.Cooldown), duration(s.Events.MaxLength)},
		Faces:     faces{s.Faces.Enabled, s.Faces.MinSize, s.Faces.MinScore},
		Retention: retention{s.Retention.QuotaBytes, s.Retention.MinFreeBytes},
		Cloud:     cloud{s.Cloud.URL, s.Cloud.DeviceID},
		Listen:    s.Listen,
		Regions:   []region{},
	}
	for _, r := range s.Regions {
		fr := region{Exclude: r.Exclude}
		for _, p := range r.Points {
			fr.Points = append(fr.Points, point{p.X, p.Y})
		}
		f.Regions = append(f.Regions, fr)
	}
	if s.Schedule != nil {
		var days [7][]window
		for d, ws := range s.Schedule.Days {
			days[d] = []window{}
			for _, w := range ws {
				days[d] = append(days[d], window{hhmm(w.From), hhmm(w.To)})
			}
		}
		f.Schedule = &days
	}
	if g := s.GPIO; g != nil {
		f.GPIO = &gpio{g.Chip, g.Line, g.ActiveLow, duration(g.Pulse), duration(g.MinGap), g.OnFace}
	}
	if w := s.Webhook; w != nil {
		f.Webhook = &webhook{w.URL, w.Secret, duration(w.MinGap), w.OnFace}
	}
	return f
}

func fromFile(f file) (edge.Settings, error) {
	s := edge.Settings{
		Camera: edge.CameraSettings{Source: f.Camera.Source, Width: f.Camera.Width, Height: f.Camera.Height, FPS: f.Camera.FPS, Format: f.Camera.Format},
		Motion: domain.MotionSettings{Sensitivity: f.Motion.Sensitivity, PixelThreshold: f.Motion.PixelThreshold,
			CellPercent: f.Motion.CellPercent, MinCells: f.Motion.MinCells, LightPercent: f.Motion.LightPercent},
		Events: domain.EventRules{StartFrames: f.Events.StartFrames, QuietGap: time.Duration(f.Events.QuietGap),
			Cooldown: time.Duration(f.Events.Cooldown), MaxLength: time.Duration(f.Events.MaxLength)},
		Faces:     edge.FaceSettings{Enabled: f.Faces.Enabled, MinSize: f.Faces.MinSize, MinScore: f.Faces.MinScore},
		Retention: edge.RetentionSettings{QuotaBytes: f.Retention.QuotaBytes, MinFreeBytes: f.Retention.MinFreeBytes},
		Cloud:     edge.CloudSettings{URL: f.Cloud.URL, DeviceID: f.Cloud.DeviceID},
		Listen:    f.Listen,
	}
	for _, r := range f.Regions {
		vr := vision.Region{Exclude: r.Exclude}
		for _, p := range r.Points {
			vr.Points = append(vr.Points, vision.Point{X: p[0], Y: p[1]})
		}
		s.Regions = append(s.Regions, vr)
	}
	if f.Schedule != nil {
		s.Schedule = &domain.Schedule{}
		for d, ws := range f.Schedule {
			for i, w := range ws {
				from, err1 := minutes(w.From)
				to, err2 := minutes(w.To)
				if err := errors.Join(err1, err2); err != nil {
					return s, fmt.Errorf("schedule[%d][%d]: %w", d, i, err)
				}
				s.Schedule.Days[d] = append(s.Schedule.Days[d], domain.Window{From: from, To: to})
			}
		}
	}
	if g := f.GPIO; g != nil {
		s.GPIO = &edge.GPIOSettings{Chip: g.Chip, Line: g.Line, ActiveLow: g.ActiveLow, Pulse: time.Duration(g.Pulse), MinGap: time.Duration(g.MinGap), OnFace: g.OnFace}
	}
	if w := f.Webhook; w != nil {
		s.Webhook = &edge.WebhookSettings{URL: w.URL, Secret: w.Secret, MinGap: time.Duration(w.MinGap), OnFace: w.OnFace}
	}
	return s, nil
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func minutes(s string) (int, error) {
	var h, m int
	if n, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || n != 2 || len(s) != 5 || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time HH:MM", s)
	}
	return h*60 + m, nil
}

// Marshal encodes s in the file's format (what Save writes), for the web
// UI's JSON API.
func Marshal(s edge.Settings) ([]byte, error) {
	b, err := json.MarshalIndent(toFile(s), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return append(b, '\n'), nil
}

// Saver saves settings to its file (edge.SettingsSaver).
type Saver struct{ Path string }

var _ edge.SettingsSaver = Saver{}

// Save writes s to the file atomically.
func (s Saver) Save(st edge.Settings) error { return Save(s.Path, st) }
