package cloudweb_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"vigil/app/cloud"
	"vigil/domain"
)

// TestJSONAPI: login sets an HttpOnly SameSite cookie and returns the CSRF
// token; images page with a cursor, newest first, with faces as x/y/w/h;
// devices and rejections; logout ends the session.
func TestJSONAPI(t *testing.T) {
	e := newEnv(t, cloud.Config{LoginsPerWindow: 5})
	a := e.newTenant(2)
	_, dev := e.enroll(a.licenseKey, "cam")
	base := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	var want []string
	for i := range 5 {
		r := e.seedImage(a.acct.ID, dev.DeviceID, base.Add(time.Duration(i)*time.Minute), i%2)
		want = append([]string{domain.ImageKey(dev.DeviceID, r.ID)}, want...)
	}

	// The cookie's attributes.
	resp := e.do(nil, "POST", "/api/v1/login", map[string]string{"email": strings.ToUpper(a.email), "password": a.password}, nil)
	var login struct {
		CSRF      string `json:"csrf_token"`
		AccountID string `json:"account_id"`
	}
	setCookie := resp.Header.Get("Set-Cookie")
	mustJSON(t, resp, 200, &login)
	if login.CSRF == "" || login.AccountID != a.acct.ID {
		t.Fatalf("login answer %+v", login)
	}
	for _, attr := range []string{"vigil_session=", "httponly", "samesite=strict", "path=/"} {
		if !strings.Contains(strings.ToLower(setCookie), strings.ToLower(attr)) {
			t.Errorf("Set-Cookie %q lacks %s", setCookie, attr)
		}
	}

	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		var page struct {
			Images []struct {
				ID       string    `json:"id"`
				Device   string    `json:"device"`
				TakenAt  time.Time `json:"taken_at"`
				Faces    []struct{ X, Y, W, H, Score float64 }
				URL      string `json:"url"`
				ThumbURL string `json:"thumb_url"`
			} `json:"images"`
			Next string `json:"next"`
		}
		mustJSON(t, e.do(a.client, "GET", "/api/v1/images?limit=2&cursor="+cursor, nil, nil), 200, &page)
		if len(page.Images) > 2 || pages > 3 {
			t.Fatalf("page %d: %d images", pages, len(page.Images))
		}
		for _, im := range page.Images {
			got = append(got, im.ID)
			if im.Device != dev.DeviceID || im.URL == "" || im.ThumbURL == "" || im.TakenAt.IsZero() || im.Faces == nil {
				t.Fatalf("image %+v", im)
			}
			for _, f := range im.Faces {
				if f.W <= 0 || f.H <= 0 || f.Score <= 0 {
					t.Fatalf("face %+v", f)
				}
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("images\n got %v\nwant %v", got, want)
	}
	for _, q := range []string{"limit=-1", "limit=101", "limit=x", "cursor=%21%21", "day=yesterday", "device=dev_bad"} {
		resp := e.do(a.client, "GET", "/api/v1/images?"+q, nil, nil)
		var eb struct{ Error, Kind string }
		mustJSON(t, resp, 400, &eb)
		if eb.Kind != "invalid" || eb.Error == "" {
			t.Fatalf("%s: %+v", q, eb)
		}
	}
	var one struct {
		ID    string `json:"id"`
		Faces []any  `json:"faces"`
	}
	mustJSON(t, e.do(a.client, "GET", "/api/v1/images/"+want[1], nil, nil), 200, &one)
	if one.ID != want[1] || len(one.Faces) != 1 {
		t.Fatalf("one image %+v", one)
	}
	mustJSON(t, e.do(a.client, "GET", "/api/v1/images/not-a-key", nil, nil), 404, nil)

	if err := e.tab.PutRejection(testContext(t), domain.Rejection{AccountID: a.acct.ID, DeviceID: dev.DeviceID, ID: "01JDZ2F7QH4M8RS0XK3V9TB6WX-1",
		Reason: "too-large", Detail: "6 MiB", RejectedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var rej struct {
		Rejected []struct{ ID, Reason, Detail string } `json:"rejected"`
	}
	mustJSON(t, e.do(a.client, "GET", "/api/v1/rejected", nil, nil), 200, &rej)
	if len(rej.Rejected) != 1 || rej.Rejected[0].Reason != "too-large" {
		t.Fatalf("rejected %+v", rej)
	}
	var lic struct {
		Status    string `json:"status"`
		Seats     int    `json:"seats"`
		SeatsUsed int    `json:"seats_used"`
	}
	mustJSON(t, e.do(a.client, "GET", "/api/v1/license", nil, nil), 200, &lic)
	if lic.Status != "active" || lic.Seats != 2 || lic.SeatsUsed != 1 {
		t.Fatalf("license %+v", lic)
	}

	// Wrong passwords: one message for unknown users and wrong passwords,
	// then the rate limit (5 attempts per address per window, the two
	// sign-ins above included).
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	var first string
	for i := range 3 {
		var eb struct{ Error string }
		email := a.email
		if i == 0 {
			email = "nobody-" + rnd() + "@example.org"
		}
		mustJSON(t, e.do(c, "POST", "/api/v1/login", map[string]string{"email": email, "password": "wrong password"}, nil), 401, &eb)
		if i == 0 {
			first = eb.Error
		} else if eb.Error != first {
			t.Fatalf("login errors differ: %q vs %q", eb.Error, first)
		}
	}
	mustJSON(t, e.do(c, "POST", "/api/v1/login", map[string]string{"email": a.email, "password": "wrong password"}, nil), 401, nil)
	resp = e.do(c, "POST", "/api/v1/login", map[string]string{"email": a.email, "password": a.password}, nil)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("sixth attempt: %d, want 429", resp.StatusCode)
	}
	resp.Body.Close()
	// Not JSON: refused (a cross-site form cannot log anyone in).
	req, _ := http.NewRequest("POST", e.base+"/api/v1/login", strings.NewReader("email=x&password=y"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 415 {
		t.Fatalf("form-encoded API login: %v %v", resp.StatusCode, err)
	}

	// The gallery page pages too, keeping its filters.
	resp = e.do(a.client, "GET", "/?limit=2&faces=1", nil, nil)
	html := readAll(resp)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" || strings.Count(html, `<img src=`) != 2 ||
		!strings.Contains(html, `id="next" href="/?limit=2&amp;faces=1&amp;cursor=`) {
		t.Fatalf("gallery page %d %q: %s", resp.StatusCode, resp.Header.Get("Cache-Control"), html)
	}

	// Logout needs the CSRF token and ends the session everywhere.
	mustJSON(t, e.do(a.client, "POST", "/api/v1/logout", nil, nil), 403, nil)
	mustJSON(t, e.do(a.client, "POST", "/api/v1/logout", nil, map[string]string{"X-CSRF-Token": a.csrf}), 204, nil)
	mustJSON(t, e.do(a.client, "GET", "/api/v1/devices", nil, nil), 401, nil)
}

// TestLoginBusy: more sign-ins at once than password check slots answer a
// quick 503 with a short Retry-After and a fixed message, not all hashing
// at once.
func TestLoginBusy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw and dynalite")
	}
	e := newEnv(t, cloud.Config{PasswordChecks: 1, PasswordWait: time.Millisecond})
	a := e.newTenant(1)
	const n = 8
	codes := make(chan [2]string, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
			body, _ := json.Marshal(map[string]string{"email": a.email, "password": a.password})
			resp, err := c.Post(e.base+"/api/v1/login", "application/json", bytes.NewReader(body))
			if err != nil {
				codes <- [2]string{"error", err.Error()}
				return
			}
			codes <- [2]string{resp.Status, resp.Header.Get("Retry-After") + " " + readAll(resp)}
		}()
	}
	close(start)
	var ok, busy int
	for range n {
		r := <-codes
		switch {
		case strings.HasPrefix(r[0], "200"):
			ok++
		case strings.HasPrefix(r[0], "503") && strings.HasPrefix(r[1], "2 ") && strings.Contains(r[1], "too many sign-ins at once"):
			busy++
		default:
			t.Errorf("login: %s %s", r[0], r[1])
		}
	}
	if ok < 1 || busy < 1 {
		t.Fatalf("%d signed in, %d answered busy: want some of each", ok, busy)
	}
}
