package cloudweb_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"vigil/adapters/fiber/cloudweb"
	"vigil/app/cloud"
	"vigil/domain"
)

// routes lists the app's routes ("METHOD path") that need a session.
func routes(t *testing.T, e *env) []fiber.Route {
	var out []fiber.Route
	for _, r := range e.web.App().GetRoutes(true) {
		if r.Method == fiber.MethodHead || r.Method == "USE" || r.Path == "/" && r.Method == "USE" {
			continue
		}
		if cloudweb.Public[r.Method+" "+r.Path] || cloudweb.DeviceRoutes[r.Method+" "+r.Path] {
			continue
		}
		out = append(out, r)
	}
	if len(out) < 10 {
		t.Fatalf("only %d routes found: %v", len(out), out)
	}
	return out
}

// fill puts IDs into a route's parameters.
func fill(path, imageKey, deviceID string) string {
	path = strings.ReplaceAll(path, ":key", imageKey)
	return strings.ReplaceAll(path, ":id", deviceID)
}

// TestEveryRouteNeedsASession: without a session (or with a forged or
// ended one) pages redirect to /login and APIs answer 401.
func TestEveryRouteNeedsASession(t *testing.T) {
	e := newEnv(t, cloud.Config{})
	tn := e.newTenant(1)
	_, dev := e.enroll(tn.licenseKey, "cam")
	img := e.seedImage(tn.acct.ID, dev.DeviceID, time.Now(), 0)
	ended := e.newTenant(1)
	mustJSON(t, e.do(ended.client, "POST", "/api/v1/logout", nil, map[string]string{"X-CSRF-Token": ended.csrf}), 204, nil)
	u, _ := http.NewRequest("GET", e.base, nil)
	for _, who := range []struct {
		name   string
		cookie string
	}{{"no cookie", ""}, {"forged cookie", "vigil_session=forged" + rnd()}, {"ended session", cookieOf(ended, u)}} {
		for _, r := range routes(t, e) {
			path := fill(r.Path, domain.ImageKey(dev.DeviceID, img.ID), dev.DeviceID)
			hdr := map[string]string{}
			if who.cookie != "" {
				hdr["Cookie"] = who.cookie
			}
			resp := e.do(nil, r.Method, path, nil, hdr)
			resp.Body.Close()
			if strings.HasPrefix(r.Path, "/api/") {
				if resp.StatusCode != 401 {
					t.Errorf("%s: %s %s: %d, want 401", who.name, r.Method, path, resp.StatusCode)
				}
			} else if resp.StatusCode != 303 || resp.Header.Get("Location") != "/login" {
				t.Errorf("%s: %s %s: %d to %q, want 303 to /login", who.name, r.Method, path, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	}
	// The revoke routes did nothing.
	d, err := e.tab.Device(testContext(t), tn.acct.ID, dev.DeviceID)
	if err != nil || d.Revoked {
		t.Fatalf("device after unauthenticated revokes: %+v %v", d, err)
	}
	deviceRoutesNeedTheDevice(t, e, tn, dev)
}

// deviceRoutesNeedTheDevice: every route that authenticates a device
// answers 401 without device credentials (a session does not stand in for
// them), with wrong ones and with a revoked device's, and admits the
// device itself.
func deviceRoutesNeedTheDevice(t *testing.T, e *env, tn *tenant, dev enrolled) {
	old := e.newTenant(1)
	_, gone := e.enroll(old.licenseKey, "gone")
	if err := e.svc.Revoke(testContext(t), domain.Session{AccountID: old.acct.ID}, gone.DeviceID); err != nil {
		t.Fatal(err)
	}
	u, _ := http.NewRequest("GET", e.base, nil)
	found := map[string]bool{}
	for _, r := range e.web.App().GetRoutes(true) {
		key := r.Method + " " + r.Path
		if !cloudweb.DeviceRoutes[key] {
			continue
		}
		found[key] = true
		if r.Method == fiber.MethodHead {
			continue
		}
		for _, who := range []struct{ name, header, value string }{
			{"nothing", "", ""},
			{"a session", "Cookie", cookieOf(tn, u)},
			{"a wrong secret", "Authorization", "Device " + dev.DeviceID + ":" + dev.DeviceSecret + "x"},
			{"an unknown device", "Authorization", "Device dev_01JDZ2F7QH4M8RS0XK3V9TB6WX:" + dev.DeviceSecret},
			{"a revoked device", "Authorization", "Device " + gone.DeviceID + ":" + gone.DeviceSecret},
		} {
			hdr := map[string]string{}
			if who.header != "" {
				hdr[who.header] = who.value
			}
			resp := e.do(nil, r.Method, r.Path, nil, hdr)
			body := readAll(resp)
			if resp.StatusCode != 401 || !strings.Contains(body, `"kind":"unauthorized"`) {
				t.Errorf("%s with %s: %d %.200s, want 401", key, who.name, resp.StatusCode, body)
			}
		}
		resp := e.do(nil, r.Method, r.Path, map[string]any{}, map[string]string{"Authorization": "Device " + dev.DeviceID + ":" + dev.DeviceSecret})
		resp.Body.Close()
		if resp.StatusCode == 401 {
			t.Errorf("%s with the device's own credentials: 401", key)
		}
	}
	for key := range cloudweb.DeviceRoutes {
		if !found[key] {
			t.Errorf("DeviceRoutes lists %s, which the app does not serve", key)
		}
	}
	if !found["GET /api/v1/device/status"] {
		t.Fatal("no device status route")
	}
}

func cookieOf(tn *tenant, u *http.Request) string {
	for _, c := range tn.client.Jar.Cookies(u.URL) {
		if c.Name == "vigil_session" {
			return c.Name + "=" + c.Value
		}
	}
	return ""
}

// TestAnotherAccountsIDsAreNotFound: signed in as one account, every route
// with an ID parameter answers 404 (or 403) for the other account's image
// and device, and changes nothing; listings show only one's own.
func TestAnotherAccountsIDsAreNotFound(t *testing.T) {
	e := newEnv(t, cloud.Config{})
	a, b := e.newTenant(2), e.newTenant(2)
	_, devA := e.enroll(a.licenseKey, "a")
	_, devB := e.enroll(b.licenseKey, "b")
	imgA := e.seedImage(a.acct.ID, devA.DeviceID, time.Now(), 1)
	imgB := e.seedImage(b.acct.ID, devB.DeviceID, time.Now(), 1)
	keyB := domain.ImageKey(devB.DeviceID, imgB.ID)
	if err := e.tab.PutRejection(testContext(t), domain.Rejection{AccountID: b.acct.ID, DeviceID: devB.DeviceID, ID: imgB.EventID + "-9",
		Reason: "bad-signature", Detail: "secret of B", RejectedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	withParams := 0
	for _, r := range routes(t, e) {
		if !strings.Contains(r.Path, ":") {
			// Listings: nothing of B's.
			if r.Method != "GET" {
				continue
			}
			resp := e.do(a.client, "GET", r.Path, nil, nil)
			body := readAll(resp)
			if resp.StatusCode != 200 {
				t.Errorf("GET %s: %d", r.Path, resp.StatusCode)
			}
			for _, secret := range []string{devB.DeviceID, imgB.ID, b.acct.ID, "secret of B"} {
				if strings.Contains(body, secret) {
					t.Errorf("GET %s shows %s of the other account", r.Path, secret)
				}
			}
			continue
		}
		withParams++
		path := fill(r.Path, keyB, devB.DeviceID)
		resp := e.do(a.client, r.Method, path, nil, map[string]string{"X-CSRF-Token": a.csrf})
		body := readAll(resp)
		if resp.StatusCode != 404 && resp.StatusCode != 403 {
			t.Errorf("%s %s as the other account: %d, want 404/403: %.200s", r.Method, path, resp.StatusCode, body)
		}
		if strings.Contains(body, imgB.Key) || strings.Contains(body, "X-Amz-Signature") {
			t.Errorf("%s %s leaks the other account's image", r.Method, path)
		}
		// The same route with one's own IDs works (so the 404 above is scoping).
		own := fill(r.Path, domain.ImageKey(devA.DeviceID, imgA.ID), devA.DeviceID)
		if !strings.Contains(own, "revoke") {
			resp := e.do(a.client, r.Method, own, nil, map[string]string{"X-CSRF-Token": a.csrf})
			if resp.StatusCode != 200 {
				t.Errorf("%s %s with own IDs: %d", r.Method, own, resp.StatusCode)
			}
			resp.Body.Close()
		}
	}
	t.Logf("%d routes with IDs checked", withParams)
	if withParams < 4 {
		t.Fatalf("only %d routes with IDs", withParams)
	}
	d, err := e.tab.Device(testContext(t), b.acct.ID, devB.DeviceID)
	if err != nil || d.Revoked {
		t.Fatalf("B's device after A's revokes: %+v %v", d, err)
	}
	// CSRF: A's own revoke without the token is refused.
	resp := e.do(a.client, "POST", "/api/v1/devices/"+devA.DeviceID+"/revoke", nil, nil)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("revoke without CSRF: %d", resp.StatusCode)
	}
	resp = e.do(a.client, "POST", "/devices/"+devA.DeviceID+"/revoke", nil, map[string]string{"X-CSRF-Token": b.csrf})
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("revoke with another session's CSRF token: %d", resp.StatusCode)
	}
	if d, _ := e.tab.Device(testContext(t), a.acct.ID, devA.DeviceID); d.Revoked {
		t.Fatal("revoked without a CSRF token")
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String()
		}
	}
}
