package configfile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"vigil/app/edge"
	"vigil/domain"
	"vigil/vision"
)

func TestRoundTripAndPermissions(t *testing.T) {
	s := edge.DefaultSettings()
	s.Camera.Source = "file:/srv/clip.mjpeg"
	s.Regions = []vision.Region{{Points: []vision.Point{{X: 0.1, Y: 0.1}, {X: 0.9, Y: 0.1}, {X: 0.5, Y: 0.9}}},
		{Points: []vision.Point{{X: 0.4, Y: 0.4}, {X: 0.6, Y: 0.4}, {X: 0.5, Y: 0.6}}, Exclude: true}}
	s.Schedule = &domain.Schedule{}
	s.Schedule.Days[time.Saturday] = []domain.Window{{From: 22 * 60, To: 24 * 60}}
	s.GPIO = &edge.GPIOSettings{Chip: "gpiochip0", Line: 17, Pulse: 500 * time.Millisecond, MinGap: 10 * time.Second, OnFace: true}
	s.Webhook = &edge.WebhookSettings{URL: "https://example.org/hook", Secret: "s", MinGap: time.Minute}
	path := filepath.Join(t.TempDir(), "vigil.json")
	if err := Save(path, s); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, s)
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{`"quiet_gap": "3s"`, `"from": "22:00"`, `"to": "24:00"`, `"sensitivity": 6`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("file lacks %s:\n%s", want, b)
		}
	}
}

func TestMissingFileAndPartialFile(t *testing.T) {
	s, err := Load(filepath.Join(t.TempDir(), "none.json"))
	if err != nil || !reflect.DeepEqual(s, edge.DefaultSettings()) {
		t.Fatalf("missing file: %v", err)
	}
	s, err = Parse([]byte(`{"motion": {"sensitivity": 9}, "camera": {"source": "v4l2:/dev/video0", "width": 1280, "height": 720, "fps": 10}}`))
	if err != nil || s.Motion.Sensitivity != 9 || s.Camera.Width != 1280 || s.Events != domain.DefaultEventRules() {
		t.Fatalf("partial file: %+v %v", s, err)
	}
}

func TestHostileFilesNameTheField(t *testing.T) {
	cases := map[string]string{
		`{"camera": {"widht": 640}}`:                           `unknown field "widht"`,
		`{"camera": {"width": "wide"}}`:                        "camera.width",
		`{"camera": {"width": -640}}`:                          "camera.width/height",
		`{"regions": [{"points": [[0.5, 0.5]]}]}`:              "regions[0]",
		`{"events": {"quiet_gap": "soon"}}`:                    "duration",
		`{"schedule": [[{"from": "25:00", "to": "26:00"}]]}`:   "schedule[0][0]",
		`{"gpio": {"chip": "gpiochip0", "line": -3}}`:          "gpio.line",
		`{"webhook": {"url": "javascript:alert(1)"}}`:          "webhook.url",
		`{"listen": ":8080"} {"more": 1}`:                      "trailing data",
		`{"motion": {"sensitivity": 0}, "camera": {"fps": 0}}`: "camera.fps",
		`not json`: "not valid JSON",
	}
	for in, want := range cases {
		_, err := Parse([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) || domain.KindOf(err) != domain.Invalid {
			t.Errorf("Parse(%s): %v, want an invalid error naming %q", in, err, want)
		}
	}
	// Every problem at once.
	_, err := Parse([]byte(`{"motion": {"sensitivity": 0}, "camera": {"fps": 0}}`))
	if !strings.Contains(err.Error(), "motion") || !strings.Contains(err.Error(), "camera.fps") {
		t.Errorf("want both problems: %v", err)
	}
}

// WriteAtomic replaces a file whole, mode 0600 whatever the old file's
// mode, and leaves no temporary file behind; a missing directory is an
// error naming the path.
func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "device.secret")
	if err := os.WriteFile(path, []byte("old contents, longer than the new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteAtomic(path, []byte("new\n")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("after WriteAtomic: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "new\n" {
		t.Fatalf("contents %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("directory holds %d entries, want only the file", len(ents))
	}
	missing := filepath.Join(dir, "nope", "x")
	if err := WriteAtomic(missing, []byte("x")); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("missing directory: %v", err)
	}
}
