package edgeui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/adapters/bbolt"
	"vigil/adapters/configfile"
	"vigil/adapters/disk"
	"vigil/adapters/fiber/edgeui"
	"vigil/app/edge"
	"vigil/domain"
)

const (
	testUser = "admin"
	testPass = "correct horse battery"
)

type fixture struct {
	srv      *edgeui.Server
	dir      string
	store    *bbolt.Store
	settings *edge.LiveSettings
	code     string // the first run's setup code (no admin yet)
}

// newFixture builds the UI over real stores in a temporary directory, with
// cheap password hashing; setup creates the admin account, otherwise a
// setup code is issued as the daemon does at its start.
func newFixture(t *testing.T, setup bool) *fixture { return newFixtureWith(t, setup, nil) }

// newFixtureWith is newFixture with the UI's config changed by edit.
func newFixtureWith(t *testing.T, setup bool, edit func(*edgeui.Config, *bbolt.Store)) *fixture {
	t.Helper()
	dir := t.TempDir()
	files, err := disk.Open(filepath.Join(dir, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := bbolt.Open(filepath.Join(dir, "vigil.db"), files, bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	acc, err := edge.NewAccounts(configfile.AdminFile{Path: filepath.Join(dir, "admin.json")},
		edge.AccountsConfig{Argon2: edge.Argon2Params{Memory: 256, Time: 1, Threads: 1},
			SetupCodes: configfile.SetupCodeFile{Path: filepath.Join(dir, "setup-code")},
			Limits:     domain.LoginLimits{MaxFailures: 3, Window: time.Minute, Lockout: time.Minute, MaxLockout: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	var code string
	if setup {
		if err := acc.SetPassword(context.Background(), testUser, testPass); err != nil {
			t.Fatal(err)
		}
	} else if code, err = acc.PrepareSetup(context.Background()); err != nil || code == "" {
		t.Fatalf("setup code: %q %v", code, err)
	}
	settings := edge.NewLiveSettings(edge.DefaultSettings(), nil, configfile.Saver{Path: filepath.Join(dir, "config.json")})
	cfg := edgeui.Config{Accounts: acc, Settings: settings, Live: edge.NewLive(nil), Events: store,
		Snapshots: files, Status: func(context.Context) edge.Status { return edge.Status{Version: "test"} }}
	if edit != nil {
		edit(&cfg, store)
	}
	srv, err := edgeui.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, dir: dir, store: store, settings: settings, code: code}
}

func (f *fixture) do(t *testing.T, method, path string, body io.Reader, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, path, body)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := f.srv.App().Test(req, 10_000)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// login signs in through the API and returns the session cookie and the
// CSRF token.
func (f *fixture) login(t *testing.T) (cookie, csrf string) {
	t.Helper()
	resp := f.do(t, "POST", "/api/v1/login", strings.NewReader(`{"username":"`+testUser+`","password":"`+testPass+`"}`),
		map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("login: %d %s", resp.StatusCode, b)
	}
	var ans struct{ CSRF string }
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || ans.CSRF == "" {
		t.Fatalf("login answer: %v %+v", err, ans)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "vigil_session" {
			return c.Name + "=" + c.Value, ans.CSRF
		}
	}
	t.Fatal("login set no session cookie")
	return "", ""
}

// concrete turns a route pattern into a path the route matches.
func concrete(pattern string) string {
	r := strings.NewReplacer(":id", "01M8HT4B3NP4K0B91E8TDJ41R4", ":name", "01M8HT4B3NP4K0B91E8TDJ41R4-1.jpg", ":section", "camera")
	return r.Replace(pattern)
}

// TestEveryRouteNeedsASession enumerates the router: every route that is
// not in edgeui.Public must answer 401 (API, media) or redirect to the
// login page (pages) without a session, so a new route added without the
// session check fails here.
func TestEveryRouteNeedsASession(t *testing.T) {
	f := newFixture(t, true)
	routes := f.srv.App().GetRoutes(true)
	if len(routes) < 30 {
		t.Fatalf("only %d routes enumerated", len(routes))
	}
	seen := map[string]bool{}
	for _, r := range routes {
		key := r.Method + " " + r.Path
		seen[key] = true
		if edgeui.Public[key] {
			continue
		}
		t.Run(key, func(t *testing.T) {
			resp := f.do(t, r.Method, concrete(r.Path), strings.NewReader(""), map[string]string{"Content-Type": "application/json"})
			switch resp.StatusCode {
			case http.StatusUnauthorized:
			case http.StatusSeeOther, http.StatusFound:
				if loc := resp.Header.Get("Location"); loc != "/login" && loc != "/setup" {
					t.Fatalf("redirects to %q, want /login", loc)
				}
			default:
				t.Fatalf("without a session: %d, want 401 or a redirect to /login", resp.StatusCode)
			}
		})
	}
	for _, must := range []string{"GET /live.mjpeg", "GET /snapshots/:name", "GET /api/v1/events", "GET /api/v1/status",
		"PUT /api/v1/regions", "GET /events/:id/download", "GET /settings", "GET /live.jpg"} {
		if !seen[must] {
			t.Errorf("route %s not enumerated", must)
		}
	}
	for key := range edgeui.Public {
		if !seen[key] {
			t.Errorf("Public lists %s, which is not a route", key)
		}
	}
}

// TestPublicRoutesShowNoCameraData: the few routes open without a session
// answer only the login and setup forms and static files.
func TestPublicRoutesShowNoCameraData(t *testing.T) {
	f := newFixture(t, true)
	for _, p := range []string{"/login", "/assets/style.css", "/assets/live.js"} {
		resp := f.do(t, "GET", p, nil, nil)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"/assets/..%2fserver.go", "/assets/nothing.css", "/assets/.hidden"} {
		if resp := f.do(t, "GET", p, nil, nil); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
	// With an admin, setup is closed.
	resp := f.do(t, "POST", "/api/v1/setup", strings.NewReader(`{"setup_code":"ABCDE-FGHJK","username":"x","password":"another long password"}`),
		map[string]string{"Content-Type": "application/json"})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("setup with an admin: %d, want 409", resp.StatusCode)
	}
}

func TestCSRF(t *testing.T) {
	f := newFixture(t, true)
	cookie, csrf := f.login(t)
	body := `{"regions":[{"points":[[0,0],[1,0],[1,0.3]]}]}`
	for _, tc := range []struct {
		name  string
		token string
		want  int
	}{{"missing", "", 403}, {"wrong", strings.Repeat("x", len(csrf)), 403}, {"right", csrf, 200}} {
		hdr := map[string]string{"Cookie": cookie, "Content-Type": "application/json"}
		if tc.token != "" {
			hdr["X-CSRF-Token"] = tc.token
		}
		if resp := f.do(t, "PUT", "/api/v1/regions", strings.NewReader(body), hdr); resp.StatusCode != tc.want {
			t.Errorf("PUT regions, token %s: %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}
	if got := f.settings.File().Regions; len(got) != 1 {
		t.Fatalf("regions after the accepted PUT: %v", got)
	}
	// Forms: the token in the csrf field.
	form := url.Values{"camera.source": {"synthetic"}, "camera.width": {"320"}, "camera.height": {"240"}, "camera.fps": {"10"}}
	hdr := map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
	if resp := f.do(t, "POST", "/settings/camera", strings.NewReader(form.Encode()), hdr); resp.StatusCode != 403 {
		t.Errorf("settings form without csrf: %d, want 403", resp.StatusCode)
	}
	form.Set("csrf", csrf)
	if resp := f.do(t, "POST", "/settings/camera", strings.NewReader(form.Encode()), hdr); resp.StatusCode != 303 {
		t.Errorf("settings form with csrf: %d, want 303", resp.StatusCode)
	}
	if got := f.settings.File().Camera; got.Width != 320 || got.FPS != 10 {
		t.Errorf("camera after the form: %+v", got)
	}
	// The file has it too (atomic save).
	saved, err := configfile.Load(filepath.Join(f.dir, "config.json"))
	if err != nil || saved.Camera.Width != 320 || len(saved.Regions) != 1 {
		t.Errorf("config file: %+v, %v", saved.Camera, err)
	}
	// The login form needs its own token (cookie + field).
	lf := url.Values{"username": {testUser}, "password": {testPass}}
	if resp := f.do(t, "POST", "/login", strings.NewReader(lf.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); resp.StatusCode != 403 {
		t.Errorf("login form without its token: %d, want 403", resp.StatusCode)
	}
	// Logout ends the session.
	if resp := f.do(t, "POST", "/api/v1/logout", nil, map[string]string{"Cookie": cookie, "X-CSRF-Token": csrf}); resp.StatusCode != 204 {
		t.Errorf("logout: %d", resp.StatusCode)
	}
	if resp := f.do(t, "GET", "/api/v1/status", nil, map[string]string{"Cookie": cookie}); resp.StatusCode != 401 {
		t.Errorf("status after logout: %d, want 401", resp.StatusCode)
	}
}

func TestSecurityHeadersAndCookie(t *testing.T) {
	f := newFixture(t, true)
	resp := f.do(t, "POST", "/api/v1/login", strings.NewReader(`{"username":"`+testUser+`","password":"`+testPass+`"}`),
		map[string]string{"Content-Type": "application/json"})
	sc := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"vigil_session=", "HttpOnly", "SameSite=Strict", "expires="} {
		if !strings.Contains(strings.ToLower(sc), strings.ToLower(want)) {
			t.Errorf("Set-Cookie %q lacks %s", sc, want)
		}
	}
	cookie, _ := f.login(t)
	for _, p := range []string{"/live", "/events", "/settings", "/regions", "/status", "/account", "/api/v1/status", "/login"} {
		resp := f.do(t, "GET", p, nil, map[string]string{"Cookie": cookie})
		h := resp.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Cache-Control"), "no-store") {
			t.Errorf("%s: headers %v", p, h)
		}
		if p != "/login" && resp.StatusCode != 200 {
			t.Errorf("%s signed in: %d", p, resp.StatusCode)
		}
		if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			b, _ := io.ReadAll(resp.Body)
			if bytes.Contains(b, []byte("<script>")) || bytes.Contains(b, []byte(" style=")) || bytes.Contains(b, []byte(" onclick=")) {
				t.Errorf("%s has inline script or style", p)
			}
		}
	}
}

func TestLoginLockOut(t *testing.T) {
	f := newFixture(t, true)
	hdr := map[string]string{"Content-Type": "application/json"}
	for i := 0; i < 2; i++ {
		resp := f.do(t, "POST", "/api/v1/login", strings.NewReader(`{"username":"admin","password":"wrong password 1"}`), hdr)
		if resp.StatusCode != 401 {
			t.Fatalf("wrong password %d: %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := f.do(t, "POST", "/api/v1/login", strings.NewReader(`{"username":"admin","password":"wrong password 1"}`), hdr)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third wrong password: %d (Retry-After %q), want 429", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	resp = f.do(t, "POST", "/api/v1/login", strings.NewReader(`{"username":"`+testUser+`","password":"`+testPass+`"}`), hdr)
	if resp.StatusCode != 429 {
		t.Fatalf("right password while locked out: %d, want 429", resp.StatusCode)
	}
}

func TestFirstRunSetupAndValidation(t *testing.T) {
	f := newFixture(t, false)
	resp := f.do(t, "GET", "/live", nil, nil)
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/setup" {
		t.Fatalf("first run /live: %d → %q, want /setup", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := f.do(t, "POST", "/api/v1/login", strings.NewReader(`{"username":"admin","password":"anything at all"}`),
		map[string]string{"Content-Type": "application/json"}); resp.StatusCode != 401 {
		t.Fatalf("login before setup: %d, want 401", resp.StatusCode)
	}
	hdr := map[string]string{"Content-Type": "application/json"}
	codePath := filepath.Join(f.dir, "setup-code")
	if fi, err := os.Stat(codePath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("setup code file: %v %v, want mode 0600", fi, err)
	}
	// The first person on the LAN cannot claim the camera: no code, a
	// wrong one, are 403 with a message saying where the code is.
	for _, body := range []string{`{"username":"admin","password":"` + testPass + `"}`,
		`{"setup_code":"ABCDE-FGHJK","username":"admin","password":"` + testPass + `"}`} {
		resp := f.do(t, "POST", "/api/v1/setup", strings.NewReader(body), hdr)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 403 || !bytes.Contains(b, []byte("setup code")) || !bytes.Contains(b, []byte("admin setup-code")) {
			t.Fatalf("setup with %s: %d %s, want 403 naming the setup code", body, resp.StatusCode, b)
		}
	}
	if _, err := os.Stat(filepath.Join(f.dir, "admin.json")); !os.IsNotExist(err) {
		t.Fatalf("a refused setup wrote the admin file (%v)", err)
	}
	if resp := f.do(t, "POST", "/api/v1/setup", strings.NewReader(`{"setup_code":"`+f.code+`","username":"admin","password":"short"}`), hdr); resp.StatusCode != 400 {
		t.Fatalf("setup with a short password: %d, want 400", resp.StatusCode)
	}
	if resp := f.do(t, "POST", "/api/v1/setup", strings.NewReader(`{"setup_code":"`+f.code+`","username":"admin","password":"`+testPass+`"}`), hdr); resp.StatusCode != 201 {
		t.Fatalf("setup: %d, want 201", resp.StatusCode)
	}
	if _, err := os.Stat(codePath); !os.IsNotExist(err) {
		t.Fatalf("the setup code file outlived the setup (%v)", err)
	}
	b, err := os.ReadFile(filepath.Join(f.dir, "admin.json"))
	if err != nil || !bytes.Contains(b, []byte("$argon2id$")) || bytes.Contains(b, []byte(testPass)) {
		t.Fatalf("admin file: %s, %v", b, err)
	}
	cookie, csrf := f.login(t)
	// A bad settings document: every field named at once, nothing saved.
	resp = f.do(t, "PUT", "/api/v1/settings", strings.NewReader(`{"camera":{"source":"synthetic","width":-5,"height":480,"fps":500},"motion":{"sensitivity":11}}`),
		map[string]string{"Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"})
	var ans struct {
		Error  string
		Fields map[string][]string
	}
	json.NewDecoder(resp.Body).Decode(&ans)
	if resp.StatusCode != 400 || len(ans.Fields["camera.fps"]) == 0 || len(ans.Fields["camera.width"]) == 0 || len(ans.Fields["motion"]) == 0 {
		t.Fatalf("bad settings: %d %+v", resp.StatusCode, ans)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "config.json")); !os.IsNotExist(err) {
		t.Fatalf("a refused change wrote the config file (%v)", err)
	}
	// Events API: empty list, bad limit.
	resp = f.do(t, "GET", "/api/v1/events?limit=5", nil, map[string]string{"Cookie": cookie})
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || !bytes.Contains(b, []byte(`"events":[]`)) {
		t.Fatalf("events: %d %s", resp.StatusCode, b)
	}
	if resp := f.do(t, "GET", "/api/v1/events?limit=0", nil, map[string]string{"Cookie": cookie}); resp.StatusCode != 400 {
		t.Fatalf("limit=0: %d, want 400", resp.StatusCode)
	}
}

// TestEventsPagesAndDelete lists, shows and deletes events of the real
// store; a running event cannot be deleted.
func TestEventsPagesAndDelete(t *testing.T) {
	f := newFixture(t, true)
	ctx := context.Background()
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.Local)
	var ids []domain.EventID
	for i := 0; i < 30; i++ {
		at := t0.Add(time.Duration(i) * time.Hour)
		ev := &domain.Event{ID: domain.NewEventID(at, [10]byte{byte(i)}), Start: at, PeakScore: 5, Frames: 3}
		if i < 29 {
			ev.End = at.Add(5 * time.Second)
		}
		if err := f.store.SaveEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		snap := domain.Snapshot{Kind: domain.FirstSnapshot, Frame: 1, Time: at, Name: domain.SnapshotName(ev.ID, 1)}
		if err := f.store.AddSnapshot(ctx, ev, snap, []byte("\xff\xd8 not really a jpeg \xff\xd9")); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	cookie, csrf := f.login(t)
	hdr := map[string]string{"Cookie": cookie}
	page := func(q string) string {
		resp := f.do(t, "GET", "/events"+q, nil, hdr)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET /events%s: %d", q, resp.StatusCode)
		}
		return string(b)
	}
	first := page("")
	if !strings.Contains(first, string(ids[29])) || strings.Contains(first, string(ids[0])) || !strings.Contains(first, `id="older"`) {
		t.Fatal("the first page is not the newest events with a link to older ones")
	}
	older := page("?before=" + string(ids[6]))
	if !strings.Contains(older, string(ids[5])) || strings.Contains(older, string(ids[6])) {
		t.Fatal("the older page does not start before the given event")
	}
	day := page("?day=" + t0.AddDate(0, 0, 1).Format("2006-01-02"))
	if !strings.Contains(day, string(ids[14])) || !strings.Contains(day, string(ids[29])) || strings.Contains(day, string(ids[13])) {
		t.Fatal("the day filter shows events of other days")
	}
	if resp := f.do(t, "GET", "/events?day=yesterday", nil, hdr); resp.StatusCode != 400 {
		t.Fatalf("bad day: %d", resp.StatusCode)
	}
	if resp := f.do(t, "GET", "/events/"+string(ids[3]), nil, hdr); resp.StatusCode != 200 {
		t.Fatalf("event page: %d", resp.StatusCode)
	}
	if resp := f.do(t, "GET", "/events/nope", nil, hdr); resp.StatusCode != 404 {
		t.Fatalf("unknown event page: %d", resp.StatusCode)
	}
	snap := "/snapshots/" + domain.SnapshotName(ids[3], 1)
	if resp := f.do(t, "GET", snap, nil, hdr); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("snapshot: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	del := map[string]string{"Cookie": cookie, "X-CSRF-Token": csrf}
	if resp := f.do(t, "DELETE", "/api/v1/events/"+string(ids[29]), nil, del); resp.StatusCode != 409 {
		t.Fatalf("delete of the running event: %d, want 409", resp.StatusCode)
	}
	form := url.Values{"csrf": {csrf}}
	resp := f.do(t, "POST", "/events/"+string(ids[3])+"/delete", strings.NewReader(form.Encode()),
		map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
	if resp.StatusCode != 303 {
		t.Fatalf("delete form: %d", resp.StatusCode)
	}
	if resp := f.do(t, "GET", snap, nil, hdr); resp.StatusCode != 404 {
		t.Fatalf("snapshot after delete: %d", resp.StatusCode)
	}
	if _, err := f.store.Event(ctx, ids[3]); domain.KindOf(err) != domain.NotFound {
		t.Fatalf("event after delete: %v", err)
	}
}

func TestChangePasswordForm(t *testing.T) {
	f := newFixture(t, true)
	cookie, csrf := f.login(t)
	other, _ := f.login(t)
	post := func(form url.Values) *http.Response {
		form.Set("csrf", csrf)
		return f.do(t, "POST", "/account/password", strings.NewReader(form.Encode()),
			map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
	}
	resp := post(url.Values{"current": {"not it at all"}, "new": {"brand new password"}, "new2": {"brand new password"}})
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 400 || !bytes.Contains(b, []byte("wrong password")) {
		t.Fatalf("wrong current password: %d", resp.StatusCode)
	}
	resp = post(url.Values{"current": {testPass}, "new": {"brand new password"}, "new2": {"brand new passwort"}})
	if resp.StatusCode != 400 {
		t.Fatalf("new passwords differ: %d", resp.StatusCode)
	}
	resp = post(url.Values{"current": {testPass}, "new": {"brand new password"}, "new2": {"brand new password"}})
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || !bytes.Contains(b, []byte("Password changed")) {
		t.Fatalf("change: %d", resp.StatusCode)
	}
	var fresh string
	for _, c := range resp.Cookies() {
		if c.Name == "vigil_session" {
			fresh = c.Name + "=" + c.Value
		}
	}
	for name, c := range map[string]string{"old": cookie, "other": other} {
		if resp := f.do(t, "GET", "/api/v1/status", nil, map[string]string{"Cookie": c}); resp.StatusCode != 401 {
			t.Errorf("%s session after the change: %d, want 401", name, resp.StatusCode)
		}
	}
	if resp := f.do(t, "GET", "/api/v1/status", nil, map[string]string{"Cookie": fresh}); fresh == "" || resp.StatusCode != 200 {
		t.Errorf("the new session: %d", resp.StatusCode)
	}
}

// While every password-hash slot is taken, a login is answered 503 with a
// Retry-After.
func TestLoginBusy(t *testing.T) {
	f := newFixtureWith(t, true, func(cfg *edgeui.Config, store *bbolt.Store) {
		// One slot and a slow hash (some hundred ms): a login while another is
		// being checked finds no slot within its 1 ms.
		acc, err := edge.NewAccounts(configfile.AdminFile{Path: filepath.Join(filepath.Dir(store.Files().Root()), "admin.json")},
			edge.AccountsConfig{Argon2: edge.Argon2Params{Memory: 32 * 1024, Time: 8, Threads: 1}, HashSlots: 1, HashWait: time.Millisecond,
				Limits: domain.LoginLimits{MaxFailures: 5, Window: time.Minute, Lockout: time.Minute, MaxLockout: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		if err := acc.SetPassword(context.Background(), testUser, testPass); err != nil {
			t.Fatal(err)
		}
		cfg.Accounts = acc
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go f.srv.App().Listener(ln)
	t.Cleanup(func() { f.srv.App().Shutdown() })
	login := func() *http.Response {
		resp, err := http.Post("http://"+ln.Addr().String()+"/api/v1/login", "application/json",
			strings.NewReader(`{"username":"`+testUser+`","password":"`+testPass+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	first := make(chan int, 1)
	go func() { first <- login().StatusCode }()
	busy := false
	for deadline := time.Now().Add(20 * time.Second); !busy && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		switch resp := login(); resp.StatusCode {
		case 503:
			busy = true
			if resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		case 200:
		default:
			t.Fatalf("login: %d", resp.StatusCode)
		}
	}
	if code := <-first; code != 200 && code != 503 {
		t.Fatalf("first login: %d", code)
	}
	if !busy {
		t.Fatal("no login was busy while another was being checked")
	}
}

// Settings the command line gives (-source, -size, -fps, -format,
// -sensitivity) are shown with the value in force and disabled in the
// form; a form post leaves them as the file has them, even when it sends
// them anyway.
func TestFlagSettingsAreNotEditable(t *testing.T) {
	override := func(s edge.Settings) edge.Settings {
		s.Camera.Source, s.Camera.Width, s.Camera.Height, s.Camera.FPS, s.Camera.Format = "file:/clip.mjpeg", 1280, 720, 3, "yuyv"
		s.Motion.Sensitivity = 9
		return s
	}
	var live *edge.LiveSettings
	f := newFixtureWith(t, true, func(cfg *edgeui.Config, store *bbolt.Store) {
		live = edge.NewLiveSettings(edge.DefaultSettings(), override,
			configfile.Saver{Path: filepath.Join(filepath.Dir(store.Files().Root()), "config.json")})
		cfg.Settings = live
		cfg.Overridden = []string{"camera.source", "camera.width", "camera.fps", "camera.format", "motion.sensitivity"}
	})
	cookie, csrf := f.login(t)
	resp := f.do(t, "GET", "/settings", nil, map[string]string{"Cookie": cookie, "Accept": "text/html"})
	page, _ := io.ReadAll(resp.Body)
	for field, want := range map[string]string{"camera.source": "file:/clip.mjpeg", "camera.width": "1280", "camera.height": "720",
		"camera.fps": "3", "motion.sensitivity": "9"} {
		tag := regexp.MustCompile(`<input[^>]*name="` + regexp.QuoteMeta(field) + `"[^>]*>`).Find(page)
		if !bytes.Contains(tag, []byte(" disabled")) || !bytes.Contains(tag, []byte(`value="`+want+`"`)) {
			t.Errorf("%s: %s; want disabled, value %q", field, tag, want)
		}
	}
	if tag := regexp.MustCompile(`<select[^>]*name="camera.format"[^>]*>`).Find(page); !bytes.Contains(tag, []byte(" disabled")) {
		t.Errorf("camera.format: %s; want disabled", tag)
	}
	if tag := regexp.MustCompile(`<input[^>]*name="events.quiet_gap"[^>]*>`).Find(page); bytes.Contains(tag, []byte("disabled")) {
		t.Errorf("events.quiet_gap is disabled: %s", tag)
	}

	hdr := map[string]string{"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
	before := live.File()
	// What a browser sends (nothing of the disabled fields), then a forged post.
	for _, form := range []url.Values{{"csrf": {csrf}}, {"csrf": {csrf}, "camera.source": {"synthetic"}, "camera.width": {"320"},
		"camera.height": {"240"}, "camera.fps": {"30"}, "camera.format": {"mjpeg"}}} {
		if resp := f.do(t, "POST", "/settings/camera", strings.NewReader(form.Encode()), hdr); resp.StatusCode != 303 {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("camera form: %d %s", resp.StatusCode, b)
		}
		if got := live.File().Camera; got != before.Camera {
			t.Fatalf("camera form changed flag-given settings: %+v, was %+v", got, before.Camera)
		}
	}
	motion := url.Values{"csrf": {csrf}, "motion.sensitivity": {"2"}, "events.start_frames": {"4"}, "events.quiet_gap": {"7s"},
		"events.cooldown": {"5s"}, "events.max_length": {"2m0s"}}
	if resp := f.do(t, "POST", "/settings/motion", strings.NewReader(motion.Encode()), hdr); resp.StatusCode != 303 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("motion form: %d %s", resp.StatusCode, b)
	}
	if got := live.File(); got.Motion.Sensitivity != before.Motion.Sensitivity || got.Events.QuietGap != 7*time.Second {
		t.Fatalf("motion form: sensitivity %d (was %d), quiet gap %v", got.Motion.Sensitivity, before.Motion.Sensitivity, got.Events.QuietGap)
	}
}

// The setup form needs the setup code too: without it, or with a wrong
// one, it is answered 403 with the form again and no account; with the
// right one (as typed: lower case) it creates the account and the code
// file is gone.
func TestSetupFormNeedsTheCode(t *testing.T) {
	f := newFixture(t, false)
	resp := f.do(t, "GET", "/setup", nil, nil)
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte(`name="code"`)) {
		t.Fatalf("GET /setup: %d, no setup code field:\n%s", resp.StatusCode, page)
	}
	var pre string
	for _, c := range resp.Cookies() {
		if c.Name == "vigil_pre" {
			pre = c.Value
		}
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if pre == "" || m == nil {
		t.Fatal("the setup page sets no CSRF token")
	}
	post := func(code string) (*http.Response, string) {
		form := url.Values{"csrf": {string(m[1])}, "code": {code}, "username": {testUser}, "password": {testPass}, "password2": {testPass}}
		resp := f.do(t, "POST", "/setup", strings.NewReader(form.Encode()),
			map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": "vigil_pre=" + pre})
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, code := range []string{"", "WRONG-CODE2"} {
		resp, body := post(code)
		if resp.StatusCode != 403 || !strings.Contains(body, "wrong setup code") || !strings.Contains(body, `id="setup-form"`) {
			t.Fatalf("setup form with code %q: %d\n%s", code, resp.StatusCode, body)
		}
		if code != "" && strings.Contains(body, code) {
			t.Fatal("the page shows the wrong code again")
		}
	}
	if _, err := os.Stat(filepath.Join(f.dir, "admin.json")); !os.IsNotExist(err) {
		t.Fatalf("a refused setup wrote the admin file (%v)", err)
	}
	if resp, body := post(strings.ToLower(f.code)); resp.StatusCode != 303 || resp.Header.Get("Location") != "/live" {
		t.Fatalf("setup form with the right code: %d → %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "setup-code")); !os.IsNotExist(err) {
		t.Fatalf("the setup code file outlived the setup (%v)", err)
	}
}

// Guessing the setup code is locked out like guessing a password: the
// third wrong code is 429 with a Retry-After, and then the right one too.
func TestSetupCodeLockout(t *testing.T) {
	f := newFixture(t, false)
	hdr := map[string]string{"Content-Type": "application/json"}
	for i := 1; i <= 3; i++ {
		resp := f.do(t, "POST", "/api/v1/setup", strings.NewReader(`{"setup_code":"WRONG-CODE`+string(rune('0'+i))+`","username":"admin","password":"`+testPass+`"}`), hdr)
		b, _ := io.ReadAll(resp.Body)
		if want := map[bool]int{true: 429, false: 403}[i == 3]; resp.StatusCode != want {
			t.Fatalf("wrong code %d: %d %s, want %d", i, resp.StatusCode, b, want)
		}
		if i == 3 && (resp.Header.Get("Retry-After") == "" || !bytes.Contains(b, []byte("setup codes"))) {
			t.Fatalf("lock-out: Retry-After %q, %s", resp.Header.Get("Retry-After"), b)
		}
	}
	resp := f.do(t, "POST", "/api/v1/setup", strings.NewReader(`{"setup_code":"`+f.code+`","username":"admin","password":"`+testPass+`"}`), hdr)
	if resp.StatusCode != 429 {
		t.Fatalf("the right code while locked out: %d, want 429", resp.StatusCode)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "admin.json")); !os.IsNotExist(err) {
		t.Fatalf("a locked-out setup wrote the admin file (%v)", err)
	}
}
