package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/adapters/configfile"
	"vigil/adapters/fiber/browsertest"
)

// edgeBinary builds this command into a temporary directory of t: the UI
// tests drive the real binary. (Go's build cache makes the second build of
// a run a link only.)
func edgeBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vigil-edge")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// edgeDaemon is a running `vigil-edge run` on a free loopback port.
type edgeDaemon struct {
	t    *testing.T
	bin  string
	data string
	addr string
	cmd  *exec.Cmd
	log  *lockedBuffer // its standard output and error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startDaemon(t *testing.T, data string) *edgeDaemon {
	t.Helper()
	d := &edgeDaemon{t: t, bin: edgeBinary(t), data: data, addr: freeAddr(t)}
	d.start()
	t.Cleanup(d.stop)
	return d
}

func (d *edgeDaemon) url(path string) string { return "http://" + d.addr + path }

func (d *edgeDaemon) start() {
	d.t.Helper()
	d.log = &lockedBuffer{}
	d.cmd = exec.Command(d.bin, "run", "-data", d.data, "-listen", d.addr, "-source", "synthetic")
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: time.Second}
	for {
		resp, err := client.Get(d.url("/login"))
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("vigil-edge did not answer on %s: %v\n%s", d.addr, err, d.log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// setupCodeLine is the daemon's first-run line on standard output.
var setupCodeLine = regexp.MustCompile(`open http://\S+ and enter setup code ([A-Z0-9]{5}-[A-Z0-9]{5})`)

// setupCode reads the first run's setup code off the daemon's output, as
// its owner would (it is printed before the UI answers).
func (d *edgeDaemon) setupCode() string {
	d.t.Helper()
	m := setupCodeLine.FindStringSubmatch(d.log.String())
	if m == nil {
		d.t.Fatalf("the daemon printed no setup code:\n%s", d.log)
	}
	return m[1]
}

// stop ends the daemon with SIGTERM (SIGKILL after 10 s).
func (d *edgeDaemon) stop() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		<-done
	}
	d.cmd = nil
}

func (d *edgeDaemon) restart() {
	d.t.Helper()
	d.stop()
	d.start()
}

// ui drives one browser tab against a daemon.
type ui struct {
	t   *testing.T
	ctx context.Context
	d   *edgeDaemon
}

func (u *ui) do(actions ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	if err := chromedp.Do(u.ctx, actions...); err != nil {
		u.t.Fatalf("browser: %v\ndaemon log:\n%s", err, u.d.log)
	}
}

func evalJS[T any](u *ui, js string) T {
	u.t.Helper()
	v, err := chromedp.Run(u.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		u.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// load runs trigger (a click, a submit, a navigation) and waits until a
// new document is loaded at path. It does not wait for the load event,
// which a page with a live MJPEG image never fires.
func (u *ui) load(path string, trigger chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	u.do(chromedp.Evaluate[chromedp.Void](`window.__vigilOld = true`), trigger)
	u.waitFor(`!window.__vigilOld && document.readyState !== "loading"`, 20*time.Second, "the page "+path)
	if got := evalJS[string](u, `location.pathname`); got != path {
		msg := evalJS[string](u, `(document.getElementById("message")||{}).textContent||""`)
		u.t.Fatalf("at %s, want %s (page message %q)", got, path, msg)
	}
}

// waitFor polls the JavaScript condition until it holds, across the
// navigations that destroy the page's context meanwhile.
func (u *ui) waitFor(cond string, timeout time.Duration, what string) {
	u.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(u.ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	u.t.Fatalf("waiting for %s (%s): %v\ndaemon log:\n%s", what, cond, last, u.d.log)
}

func (u *ui) open(path string) {
	u.t.Helper()
	u.load(path, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.href = %q`, u.d.url(path))))
}

func (u *ui) text(sel string) string {
	u.t.Helper()
	s, err := chromedp.Run(u.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		u.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (u *ui) login(user, password string) {
	u.t.Helper()
	u.do(chromedp.SetValue(chromedp.ID("username"), user), chromedp.SetValue(chromedp.ID("password"), password))
}

const uiPassword = "a long and private passphrase"

// TestWebUI drives the real binary with headless Chromium: first-run
// setup, the live stream, an event, a settings error shown in the form,
// the region editor (a polygon that survives a restart and stops motion
// outside it from firing), logout, and the lock-out after wrong passwords.
func TestWebUI(t *testing.T) {
	ctx := browsertest.New(t)
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	data := t.TempDir()
	d := startDaemon(t, data)
	u := &ui{t: t, ctx: ctx, d: d}

	// First run: any page leads to the setup form; no default password.
	u.do(chromedp.Navigate(d.url("/events")))
	if got := evalJS[string](u, `location.pathname`); got != "/setup" {
		t.Fatalf("first visit landed on %s, want /setup", got)
	}
	// Without the setup code printed on the daemon's console, no account.
	code := d.setupCode()
	u.do(chromedp.SetValue(chromedp.ID("code"), "ABCDE-FGHJK"), chromedp.SetValue(chromedp.ID("username"), "admin"),
		chromedp.SetValue(chromedp.ID("password"), uiPassword), chromedp.SetValue(chromedp.ID("password2"), uiPassword))
	u.load("/setup", chromedp.Click(chromedp.ID("create")))
	if msg := u.text("#message"); !strings.Contains(msg, "wrong setup code") {
		t.Fatalf("wrong setup code: message %q", msg)
	}
	u.do(chromedp.SetValue(chromedp.ID("code"), code), chromedp.SetValue(chromedp.ID("username"), "admin"),
		chromedp.SetValue(chromedp.ID("password"), "too short"), chromedp.SetValue(chromedp.ID("password2"), "too short"))
	u.load("/setup", chromedp.Click(chromedp.ID("create")))
	if msg := u.text("#message"); !strings.Contains(msg, "at least 12") {
		t.Fatalf("short password: message %q", msg)
	}
	if got := evalJS[string](u, `document.getElementById("code").value`); got != code {
		t.Fatalf("the form lost the right setup code after a short password: %q", got)
	}
	u.do(chromedp.SetValue(chromedp.ID("password"), uiPassword), chromedp.SetValue(chromedp.ID("password2"), uiPassword))
	u.load("/live", chromedp.Click(chromedp.ID("create")))
	if _, err := os.Stat(filepath.Join(data, setupCodeFile)); !os.IsNotExist(err) {
		t.Fatalf("the setup code outlived the setup (%v)", err)
	}

	// Live: the stream shows frames, and they change.
	u.waitFor(`document.getElementById("stream").naturalWidth > 0`, 15*time.Second, "a frame in the live stream")
	const frameSum = `(() => { const i = document.getElementById("stream"); const c = document.createElement("canvas");
		c.width = i.naturalWidth; c.height = i.naturalHeight; const g = c.getContext("2d"); g.drawImage(i, 0, 0);
		const p = g.getImageData(0, 0, c.width, c.height).data; let s = 0; for (let k = 0; k < p.length; k += 4) s = (s * 31 + p[k]) % 1000000007; return s; })()`
	first := evalJS[int64](u, frameSum)
	changed := false
	for i := 0; i < 20 && !changed; i++ {
		time.Sleep(250 * time.Millisecond)
		changed = evalJS[int64](u, frameSum) != first
	}
	if !changed {
		t.Fatal("the live stream shows the same picture for 5 s")
	}
	u.waitFor(`document.getElementById("score").textContent.includes("%")`, 10*time.Second, "a score on the chart")

	// Events: the synthetic figure walks through within seconds.
	var firstEvent string
	for i := 0; i < 30 && firstEvent == ""; i++ {
		u.open("/events")
		firstEvent = evalJS[string](u, `(document.querySelector(".event a")||{}).pathname||""`)
		if firstEvent == "" {
			time.Sleep(time.Second)
		}
	}
	if firstEvent == "" {
		t.Fatalf("no event listed after 30 s\n%s", d.log)
	}
	u.open(firstEvent)
	if n := evalJS[int](u, `document.querySelectorAll(".snapshot img").length`); n < 1 {
		t.Fatalf("event page shows %d snapshots", n)
	}
	if s := u.text(".snapshot .upload"); s != "queued" {
		t.Fatalf("upload state %q, want queued (no cloud)", s)
	}

	// Settings: a bad value is refused and the form says why.
	u.open("/settings")
	u.do(chromedp.SetValue(chromedp.ID("camera-fps"), "500"))
	u.load("/settings/camera", chromedp.Click(chromedp.ID("save-camera")))
	if e := u.text("#camera .error"); !strings.Contains(e, "500 is outside 1..120") {
		t.Fatalf("camera form error %q", e)
	}
	if v := evalJS[string](u, `document.getElementById("camera-fps").value`); v != "500" {
		t.Fatalf("the form lost the submitted value: %q", v)
	}
	u.do(chromedp.SetValue(chromedp.ID("camera-fps"), "fast"))
	u.load("/settings/camera", chromedp.Click(chromedp.ID("save-camera")))
	if e := u.text("#camera .error"); !strings.Contains(e, "not a whole number") {
		t.Fatalf("camera form error %q", e)
	}

	// Region editor: an include polygon over the top 30 % of the frame,
	// where the synthetic figure never walks.
	u.open("/regions")
	u.waitFor(`document.getElementById("still").naturalWidth > 0 && document.getElementById("editor").width > 10`, 10*time.Second, "the editor's picture")
	u.do(chromedp.Click(chromedp.ID("add-include")))
	type rect struct{ X, Y, W, H float64 }
	r := evalJS[rect](u, `(() => { const b = document.getElementById("editor").getBoundingClientRect(); return {X: b.left, Y: b.top, W: b.width, H: b.height}; })()`)
	for _, p := range [][2]float64{{0.02, 0.02}, {0.98, 0.02}, {0.98, 0.28}, {0.02, 0.28}} {
		u.do(chromedp.MouseClickXY(r.X+p[0]*r.W, r.Y+p[1]*r.H))
	}
	u.do(chromedp.Click(chromedp.ID("save")))
	u.waitFor(`document.getElementById("save-status").textContent.startsWith("Saved")`, 10*time.Second, "the regions saved")
	saved, err := configfile.Load(filepath.Join(data, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(saved.Regions) != 1 || len(saved.Regions[0].Points) != 4 || saved.Regions[0].Exclude || saved.Regions[0].Points[2].Y > 0.3 {
		t.Fatalf("config file regions: %+v", saved.Regions)
	}

	// Logout, then wrong passwords lock the client out, even for the right one.
	u.load("/login", chromedp.Click(chromedp.ID("logout")))
	for i := 1; i <= 5; i++ {
		u.login("admin", fmt.Sprintf("wrong password %d", i))
		u.load("/login", chromedp.Click(chromedp.ID("login")))
		msg := u.text("#message")
		if i < 5 && !strings.Contains(msg, "wrong user name or password") {
			t.Fatalf("attempt %d: message %q", i, msg)
		}
		if i == 5 && !strings.Contains(msg, "too many failed logins") {
			t.Fatalf("attempt %d: message %q, want a lock-out", i, msg)
		}
	}
	u.login("admin", uiPassword)
	u.load("/login", chromedp.Click(chromedp.ID("login")))
	if msg := u.text("#message"); !strings.Contains(msg, "too many failed logins") {
		t.Fatalf("right password while locked out: message %q", msg)
	}

	// Restart: the region is still there and motion outside it no longer
	// fires (the figure walks through every 10 s).
	d.restart()
	restarted := time.Now()
	u.open("/login")
	u.login("admin", uiPassword)
	u.load("/live", chromedp.Click(chromedp.ID("login")))
	u.open("/regions")
	if n := evalJS[int](u, `JSON.parse(document.getElementById("editor").dataset.regions || "[]").length`); n != 1 {
		t.Fatalf("after restart the editor shows %d regions, want 1", n)
	}
	if li := u.text("#region-list li"); li != "Include · 4 points" {
		t.Fatalf("region list %q", li)
	}
	time.Sleep(13 * time.Second) // more than one walk of the figure
	type apiEvent struct {
		ID    string    `json:"id"`
		Start time.Time `json:"start"`
	}
	body := evalJS[string](u, `(() => { const x = new XMLHttpRequest(); x.open("GET", "/api/v1/events?limit=5", false); x.send(); return x.responseText; })()`)
	var list struct{ Events []apiEvent }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("events API: %v: %s", err, body)
	}
	for _, ev := range list.Events {
		if ev.Start.After(restarted) {
			t.Fatalf("event %s at %v after the include region was saved: motion outside it fired", ev.ID, ev.Start)
		}
	}
	// The first event's score trace: why it fired.
	body = evalJS[string](u, `(() => { const x = new XMLHttpRequest(); x.open("GET", "/api/v1`+firstEvent+`", false); x.send(); return x.responseText; })()`)
	var withTrace struct {
		Trace *struct {
			Scores    []float64 `json:"scores"`
			Threshold float64   `json:"threshold"`
			PreRoll   int       `json:"pre_roll"`
		} `json:"trace"`
	}
	if err := json.Unmarshal([]byte(body), &withTrace); err != nil || withTrace.Trace == nil {
		t.Fatalf("first event has no score trace: %v: %s", err, body)
	}
	above := 0
	for _, v := range withTrace.Trace.Scores {
		if v > withTrace.Trace.Threshold {
			above++
		}
	}
	if tr := withTrace.Trace; tr.PreRoll < 1 || len(tr.Scores) < tr.PreRoll+3 || above < 3 || tr.Threshold <= 0 {
		t.Fatalf("first event's trace: pre-roll %d, %d points, %d above the threshold %v", tr.PreRoll, len(tr.Scores), above, tr.Threshold)
	}
	status := evalJS[string](u, `(() => { const x = new XMLHttpRequest(); x.open("GET", "/api/v1/status", false); x.send(); return x.responseText; })()`)
	var st struct {
		FPS float64 `json:"fps"`
	}
	if err := json.Unmarshal([]byte(status), &st); err != nil || st.FPS < 5 {
		t.Fatalf("status after the restart: %s (%v): the camera must still run", status, err)
	}
}
