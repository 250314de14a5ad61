package cloudweb_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"vigil/adapters/dynamodb"
	"vigil/adapters/dynamodb/dynamotest"
	"vigil/adapters/fiber/cloudweb"
	"vigil/adapters/s3"
	"vigil/adapters/s3/s3test"
	"vigil/app/cloud"
	"vigil/domain"
	"vigil/ports"
)

// env is a running vigil-cloud over real versitygw and dynalite.
type env struct {
	t            *testing.T
	s3           *s3test.Server
	tab          *dynamodb.Table
	upload, prod string
	svc          *cloud.Service
	web          *cloudweb.Server
	base         string
	now          func() time.Time
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// newEnv starts the stores and the app; cfg's zero fields take defaults.
func newEnv(t *testing.T, cfg cloud.Config) *env {
	t.Helper()
	e := &env{t: t, s3: s3test.Start(t), tab: dynamotest.Start(t).Table(t)}
	e.upload, e.prod = e.s3.Bucket(t), e.s3.Bucket(t)
	return e.serve(cfg)
}

// serve starts another app instance over the same stores (instances
// share nothing else).
func (e *env) serve(cfg cloud.Config) *env {
	e.t.Helper()
	return e.serveWith(cfg, nil)
}

// serveWith is serve with the presigner wrapped by wrap (nil: as it is).
func (e *env) serveWith(cfg cloud.Config, wrap func(ports.Presigner) ports.Presigner) *env {
	t := e.t
	t.Helper()
	var p ports.Presigner = s3.NewPresigner(e.s3.Client(), e.upload, e.prod)
	if wrap != nil {
		p = wrap(p)
	}
	st := cloud.Stores{Accounts: e.tab, Licenses: e.tab, Seats: e.tab, Devices: e.tab, Gallery: e.tab, Sessions: e.tab,
		Limiter: e.tab, Presigner: p}
	svc, err := cloud.New(st, cfg, e.now)
	if err != nil {
		t.Fatal(err)
	}
	web, err := cloudweb.New(cloudweb.Config{Service: svc, ImageOrigins: []string{e.s3.Endpoint},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	n := *e
	n.svc, n.web, n.base = svc, web, serveWeb(t, web)
	return &n
}

// serveWeb serves web on a free local port until the test ends and returns
// its base URL.
func serveWeb(t *testing.T, web *cloudweb.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- web.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// tenant is one account with a license, signed in through the API.
type tenant struct {
	acct       domain.Account
	email      string
	password   string
	licenseKey string
	client     *http.Client // carries the session cookie
	csrf       string
}

func (e *env) newTenant(seats int) *tenant {
	t := e.t
	t.Helper()
	ctx := testContext(t)
	tn := &tenant{email: "owner-" + rnd() + "@example.org", password: "correct horse " + rnd()}
	var err error
	if tn.acct, err = e.svc.CreateAccount(ctx, tn.email, tn.password); err != nil {
		t.Fatal(err)
	}
	if tn.licenseKey, _, err = e.svc.IssueLicense(ctx, tn.acct.ID, seats, time.Now().AddDate(1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	tn.client = &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp := e.do(tn.client, "POST", "/api/v1/login", map[string]string{"email": tn.email, "password": tn.password}, nil)
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	mustJSON(t, resp, 200, &out)
	tn.csrf = out.CSRF
	return tn
}

func rnd() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	const hex = "0123456789abcdef"
	var s strings.Builder
	for _, c := range b {
		s.WriteByte(hex[c>>4])
		s.WriteByte(hex[c&15])
	}
	return s.String()
}

// do sends a request (JSON body when body is not nil) with headers.
func (e *env) do(c *http.Client, method, path string, body any, hdr map[string]string) *http.Response {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.base+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// mustJSON checks the status and decodes the body into v (when not nil).
func mustJSON(t *testing.T, resp *http.Response, status int, v any) {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %.500s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v: %s", resp.Request.URL.Path, err, b)
		}
	}
}

type enrolled struct {
	DeviceID     string `json:"device_id"`
	DeviceSecret string `json:"device_secret"`
	AccountID    string `json:"account_id"`
}

// enroll enrolls a device with key and returns the answer's status and body.
func (e *env) enroll(key, name string) (int, enrolled) {
	resp := e.do(nil, "POST", "/api/v1/device/enroll", map[string]string{"license_key": key, "name": name}, nil)
	defer resp.Body.Close()
	var out enrolled
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// testJPEG is a real JPEG of w×h with a gradient.
func testJPEG(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 128, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// seedImage stores a verified image of dev (object and thumbnail in the
// production bucket, the item through the adapter) taken at at.
func (e *env) seedImage(acct, dev string, at time.Time, faces int) domain.ImageRecord {
	t := e.t
	t.Helper()
	ctx := testContext(t)
	var ent [10]byte
	_, _ = rand.Read(ent[:])
	ev := domain.NewEventID(at, ent)
	id := string(ev) + "-1"
	body, thumb := testJPEG(t, 160, 120), testJPEG(t, 80, 60)
	r := domain.ImageRecord{AccountID: acct, DeviceID: dev, ID: id, EventID: string(ev), TakenAt: at.UTC().Truncate(time.Millisecond),
		VerifiedAt: at.UTC().Truncate(time.Millisecond), Key: "images/" + acct + "/" + dev + "/" + id + ".jpg",
		ThumbKey: "thumbs/" + acct + "/" + dev + "/" + id + ".jpg", Bytes: int64(len(body)), Width: 160, Height: 120}
	for i := range faces {
		r.Faces = append(r.Faces, domain.Face{Box: domain.Box{X0: .1 + .3*float64(i), Y0: .2, X1: .3 + .3*float64(i), Y1: .5}, Score: 7})
	}
	for k, b := range map[string][]byte{r.Key: body, r.ThumbKey: thumb} {
		if _, err := e.s3.Client().PutObject(ctx, &awss3.PutObjectInput{Bucket: aws.String(e.prod), Key: aws.String(k),
			Body: bytes.NewReader(b), ContentType: aws.String("image/jpeg")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.tab.PutImage(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}
