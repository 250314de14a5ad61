package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"time"

	"vigil/app/edge"
	"vigil/domain"
	"vigil/ports"
	"vigil/vision"
)

// frameClock runs a source on simulated time: frame n is at n/fps seconds,
// so the event rules (quiet gap, cooldown) mean the same as live, however
// fast the clip is processed. It also stops after max frames (0: never).
type frameClock struct {
	ports.FrameSource
	fps    int
	n, max int
	start  time.Time
	now    time.Time
}

func (c *frameClock) Next(ctx context.Context) (vision.Frame, error) {
	if c.max > 0 && c.n >= c.max {
		return vision.Frame{}, io.EOF
	}
	f, err := c.FrameSource.Next(ctx)
	if err == nil {
		c.n++
		c.now = c.start.Add(time.Duration(c.n) * time.Second / time.Duration(c.fps))
	}
	return f, err
}

type eventJSON struct {
	ID         string `json:"id"`
	FirstFrame int64  `json:"first_frame"`
	LastFrame  int64  `json:"last_frame"`
}

type summaryJSON struct {
	Frames          int64       `json:"frames"`
	Events          []eventJSON `json:"events"`
	FramesPerSecond float64     `json:"frames_per_second"`
	AllocsPerFrame  float64     `json:"allocs_per_frame"`
	Kernel          string      `json:"kernel"`
}

// analyze processes a clip as fast as possible and prints one JSON object
// per frame and a summary: what a user tunes sensitivity with.
//
// With -config the file's motion settings, event rules and regions apply
// (flags on top, as for run); the schedule does not: a clip is judged
// whatever the hour.
func analyze(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	cfg.realtime = false
	motion := domain.MotionSettings{Sensitivity: cfg.sensitivity}
	var rules domain.EventRules
	var regions []vision.Region
	if cfg.configPath != "" {
		s, err := settings(cfg)
		if err != nil {
			return err
		}
		motion, rules, regions = s.Motion, s.Events, s.Regions
		if !cfg.set["source"] {
			cfg.source = s.Camera.Source
		}
	}
	src, closeSrc, err := openSource(cfg)
	if err != nil {
		return err
	}
	defer closeSrc()
	if cfg.fps <= 0 {
		return domain.E("-fps", domain.Invalid, fmt.Errorf("%d frames per second", cfg.fps))
	}
	clock := &frameClock{FrameSource: src, fps: cfg.fps, max: cfg.frames, start: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}
	clock.now = clock.start
	w := bufio.NewWriterSize(stdout, 64<<10)
	enc := json.NewEncoder(w)
	var sum summaryJSON
	var line []byte
	mon, err := edge.NewMonitor(clock, edge.MonitorConfig{
		Motion:  motion,
		Events:  rules,
		Regions: regions,
		Now:     func() time.Time { return clock.now },
		OnFrame: func(r edge.FrameReport) {
			if r.Event != "" {
				if n := len(sum.Events); n == 0 || sum.Events[n-1].ID != string(r.Event) {
					sum.Events = append(sum.Events, eventJSON{ID: string(r.Event), FirstFrame: r.Frame})
				}
				sum.Events[len(sum.Events)-1].LastFrame = r.Frame
			}
			// By hand, so that the per-frame lines allocate nothing and
			// allocs_per_frame measures the pipeline.
			line = appendFrameJSON(line[:0], r)
			w.Write(line) // a write error sticks in w; Flush reports it
		},
	}, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	start := time.Now()
	if err := mon.Run(ctx); err != nil {
		return err
	}
	elapsed := time.Since(start)
	runtime.ReadMemStats(&ms)
	sum.Frames = int64(clock.n)
	if sum.Events == nil {
		sum.Events = []eventJSON{}
	}
	if clock.n > 0 {
		sum.FramesPerSecond = float64(clock.n) / elapsed.Seconds()
		sum.AllocsPerFrame = float64(ms.Mallocs-mallocs) / float64(clock.n)
	}
	sum.Kernel = vision.Active().Name()
	if err := enc.Encode(sum); err != nil {
		return err
	}
	return w.Flush()
}

// appendFrameJSON appends r as one line of JSON: frame, motion, light (only
// when true), score, changed_cells and event (its ID or null).
func appendFrameJSON(b []byte, r edge.FrameReport) []byte {
	b = append(b, `{"frame":`...)
	b = strconv.AppendInt(b, r.Frame, 10)
	b = append(b, `,"motion":`...)
	b = strconv.AppendBool(b, r.Verdict == domain.Motion)
	if r.Verdict == domain.LightChange {
		b = append(b, `,"light":true`...)
	}
	b = append(b, `,"score":`...)
	b = strconv.AppendFloat(b, r.Score, 'g', -1, 64)
	b = append(b, `,"changed_cells":`...)
	b = strconv.AppendInt(b, int64(r.ChangedCells), 10)
	b = append(b, `,"event":`...)
	if r.Event == "" {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendQuote(b, string(r.Event)) // an event ID is plain ASCII
	}
	return append(b, "}\n"...)
}
