//go:build e2e

package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"vigil/domain"
	"vigil/scripts/devstack/stack"
)

// binDir holds the three commands, built once by TestMain.
var binDir string

// root is the module's root.
var root string

func TestMain(m *testing.M) {
	_, file, _, _ := runtime.Caller(0)
	root = filepath.Join(filepath.Dir(file), "..", "..", "..")
	dir, err := os.MkdirTemp("", "vigil-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	err = stack.Build(ctx, root, binDir)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testLog is a slog handler writing to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// start runs a stack for t in a temporary directory, closed at cleanup;
// when t failed, the tails of the logs are shown.
func start(t *testing.T, cfg stack.Config) *stack.Stack {
	t.Helper()
	cfg.Dir = filepath.Join(t.TempDir(), "stack")
	cfg.Bin, cfg.Root = binDir, root
	cfg.Log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := stack.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("stopping the stack: %v", err)
		}
		if t.Failed() {
			logs, _ := filepath.Glob(filepath.Join(cfg.Dir, "logs", "*.log"))
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
				t.Logf("--- %s (last lines)\n%s", filepath.Base(l), strings.Join(lines[max(0, len(lines)-25):], "\n"))
			}
		}
	})
	b, err := os.ReadFile(filepath.Join(cfg.Dir, "stack.json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(cfg.Dir, "stack.json")); fi.Mode().Perm() != 0o600 {
		t.Errorf("stack.json has mode %v, want 0600", fi.Mode().Perm())
	}
	var in stack.Info
	if err := json.Unmarshal(b, &in); err != nil || in != s.Info() {
		t.Fatalf("stack.json %s does not describe the stack (%v)", b, err)
	}
	return s
}

// waitFor polls cond every interval until it holds or timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// apiClient is a signed-in client of a JSON API (the cloud's or the edge's).
type apiClient struct {
	base string
	http *http.Client
	csrf string
}

// login signs in at base with body; the answer's CSRF token is kept.
func login(t *testing.T, base string, body map[string]string) *apiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &apiClient{base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	var out struct {
		CSRF      string `json:"csrf"`
		CSRFToken string `json:"csrf_token"`
	}
	if err := c.do(http.MethodPost, "/api/v1/login", body, &out); err != nil {
		t.Fatalf("login at %s: %v", base, err)
	}
	c.csrf = out.CSRF + out.CSRFToken
	return c
}

func (c *apiClient) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// galleryImage is one image of the cloud's JSON API.
type galleryImage struct {
	ID     string `json:"id"`
	Device string `json:"device"`
	Faces  []struct {
		Score float64 `json:"score"`
	} `json:"faces"`
	URL string `json:"url"`
}

// images pages through the account's gallery (query: extra filters).
func (c *apiClient) images(query string) ([]galleryImage, error) {
	var all []galleryImage
	cursor := ""
	for {
		var page struct {
			Images []galleryImage `json:"images"`
			Next   string         `json:"next"`
		}
		path := "/api/v1/images?limit=100" + query
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		if err := c.do(http.MethodGet, path, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Images...)
		if page.Next == "" {
			return all, nil
		}
		cursor = page.Next
	}
}

// objects lists a bucket's keys under prefix.
func objects(ctx context.Context, s *stack.Stack, bucket, prefix string) (map[string]int64, error) {
	out := map[string]int64{}
	pages := awss3.NewListObjectsV2Paginator(s.S3Client(), &awss3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			out[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
		}
	}
	return out, nil
}

// rejections lists every REJECT item of an account.
func rejections(ctx context.Context, s *stack.Stack, acct string) ([]domain.Rejection, error) {
	var all []domain.Rejection
	cursor := ""
	for {
		page, err := s.Table().Rejections(ctx, acct, domain.MaxPageSize, cursor)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Rejections...)
		if page.Next == "" {
			return all, nil
		}
		cursor = page.Next
	}
}

// imageRecords lists every image item of an account.
func imageRecords(ctx context.Context, s *stack.Stack, acct string) ([]domain.ImageRecord, error) {
	var all []domain.ImageRecord
	cursor := ""
	for {
		page, err := s.Table().Images(ctx, acct, domain.ImageQuery{Limit: domain.MaxPageSize, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		all = append(all, page.Images...)
		if page.Next == "" {
			return all, nil
		}
		cursor = page.Next
	}
}

// clipFrames returns up to n JPEG frames of an MJPEG file (concatenated
// JPEGs), every step-th one.
func clipFrames(t *testing.T, path string, n, step int) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for i := 0; len(frames) < n; i++ {
		start := bytes.Index(data, []byte{0xFF, 0xD8, 0xFF})
		if start < 0 {
			break
		}
		end := bytes.Index(data[start:], []byte{0xFF, 0xD9})
		if end < 0 {
			break
		}
		if i%step == 0 {
			frames = append(frames, data[start:start+end+2])
		}
		data = data[start+end+2:]
	}
	if len(frames) < n {
		t.Fatalf("%s: %d frames, want %d", path, len(frames), n)
	}
	return frames
}

// scaled decodes a JPEG and re-encodes it at w×h (area average).
func scaled(t *testing.T, jpg []byte, w, h int) []byte {
	t.Helper()
	src, err := jpeg.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	dst := resize(src, w, h)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// resize scales src to w×h by averaging the source pixels under each
// destination pixel (test images only: slow and simple).
func resize(src image.Image, w, h int) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		y0, y1 := b.Min.Y+y*b.Dy()/h, b.Min.Y+max((y+1)*b.Dy()/h, y*b.Dy()/h+1)
		for x := range w {
			x0, x1 := b.Min.X+x*b.Dx()/w, b.Min.X+max((x+1)*b.Dx()/w, x*b.Dx()/w+1)
			var r, g, bl, n uint32
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					cr, cg, cb, _ := src.At(sx, sy).RGBA()
					r, g, bl, n = r+cr>>8, g+cg>>8, bl+cb>>8, n+1
				}
			}
			dst.SetRGBA(x, y, color.RGBA{uint8(r / n), uint8(g / n), uint8(bl / n), 255})
		}
	}
	return dst
}

// faceClip writes an MJPEG clip of a face photo (scaled to half a 640×480
// frame) gliding across a still, textured background and pausing at each
// end: motion the edge turns into events, whose snapshots hold a face.
func faceClip(t *testing.T, photo, path string) {
	t.Helper()
	data, err := os.ReadFile(photo)
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	const W, H, fw, fh = 640, 480, 320, 240
	face := resize(img, fw, fh)
	bg := image.NewRGBA(image.Rect(0, 0, W, H))
	for y := range H {
		for x := range W {
			v := uint8(90 + (x*7+y*13)%23 + ((x/40+y/40)%2)*30)
			bg.SetRGBA(x, y, color.RGBA{v, v, v + 10, 255})
		}
	}
	// x positions: glide right, pause, glide left, pause.
	var xs []int
	for i := range 20 {
		xs = append(xs, i*(W-fw)/19)
	}
	for range 30 {
		xs = append(xs, W-fw)
	}
	for i := range 20 {
		xs = append(xs, (19-i)*(W-fw)/19)
	}
	for range 30 {
		xs = append(xs, 0)
	}
	var clip bytes.Buffer
	frame := image.NewRGBA(bg.Bounds())
	for _, x := range xs {
		copy(frame.Pix, bg.Pix)
		for y := range fh {
			copy(frame.Pix[(y+(H-fh)/2)*frame.Stride+x*4:], face.Pix[y*face.Stride:y*face.Stride+fw*4])
		}
		if err := jpeg.Encode(&clip, frame, &jpeg.Options{Quality: 85}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(path, clip.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// stillClip writes an MJPEG clip of one frame repeated: no motion at all.
func stillClip(t *testing.T, frame []byte, path string) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Repeat(frame, 30), 0o644); err != nil {
		t.Fatal(err)
	}
}

// percentile returns the p-th percentile (0..100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1)*p/100 + 0.5)
	return sorted[i]
}
