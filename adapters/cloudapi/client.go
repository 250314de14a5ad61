// Package cloudapi is the edge's client of vigil-cloud's device API:
// enrollment (a license key buys a device ID and secret), upload grants
// (a presigned PUT for one snapshot) and the device's status (its license
// and seats, its rejected snapshots). API.md beside this file is the
// contract the cloud implements.
package cloudapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// ContentType is the type of every snapshot the edge uploads.
const ContentType = "image/jpeg"

// Client calls vigil-cloud as one device. Secret is the device secret from
// enrollment: it is sent in the Authorization header and nowhere else, and
// the Client prints and logs it as "[redacted]".
type Client struct {
	BaseURL  string       // e.g. https://cloud.example.com (a path prefix is kept)
	DeviceID string       // from Enroll
	Secret   string       // from Enroll
	HTTP     *http.Client // nil: a client with a 30 s timeout
}

var (
	_ ports.UploadGranter      = (*Client)(nil)
	_ ports.DeviceStatusSource = (*Client)(nil)
)

var defaultHTTP = &http.Client{Timeout: 30 * time.Second}

// idPattern is what the client accepts as a device ID: it goes into a
// header, so no separators, no spaces, no control characters.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// maxBody bounds what is read of a response.
const maxBody = 64 << 10

func (c Client) String() string {
	return fmt.Sprintf("cloudapi.Client{BaseURL: %q, DeviceID: %q, Secret: [redacted]}", c.BaseURL, c.DeviceID)
}

// GoString keeps %#v from printing the secret.
func (c Client) GoString() string { return c.String() }

// LogValue keeps slog from printing the secret.
func (c Client) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.String("device_id", c.DeviceID))
}

// grantRequest and the other wire types are documented in API.md.
type grantRequest struct {
	EventID     string `json:"event_id"`
	Name        string `json:"name"`
	Bytes       int    `json:"bytes"`
	ContentType string `json:"content_type"`
}

type grantResponse struct {
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	Key     string            `json:"key"`
	Expires time.Time         `json:"expires"`
}

type enrollRequest struct {
	LicenseKey string `json:"license_key"`
	Name       string `json:"name"`
}

type enrollResponse struct {
	DeviceID     string `json:"device_id"`
	DeviceSecret string `json:"device_secret"`
	AccountID    string `json:"account_id"`
}

type errorResponse struct {
	Error string `json:"error"`
	Kind  string `json:"kind"`
}

// Grant implements ports.UploadGranter: POST /api/v1/device/grants for
// one snapshot, as the device. The answer is checked (a URL, a key) but
// its expiry is not compared with the device's clock, which may be wrong:
// the object store judges it.
func (c *Client) Grant(ctx context.Context, u domain.Upload) (domain.UploadGrant, error) {
	op := "cloudapi: grant " + u.Name
	id, _, err := domain.ParseSnapshotName(u.Name)
	if err != nil {
		return domain.UploadGrant{}, fmt.Errorf("cloudapi: grant: %w", err)
	}
	if u.Event != "" && u.Event != id {
		return domain.UploadGrant{}, domain.E(op, domain.Invalid, fmt.Errorf("the name is not of event %s", u.Event))
	}
	if u.Bytes <= 0 {
		return domain.UploadGrant{}, domain.E(op, domain.Invalid, fmt.Errorf("%d bytes", u.Bytes))
	}
	if err := c.enrolled(op); err != nil {
		return domain.UploadGrant{}, err
	}
	var out grantResponse
	req := grantRequest{EventID: string(id), Name: u.Name, Bytes: u.Bytes, ContentType: ContentType}
	if err := c.post(ctx, op, "/api/v1/device/grants", true, req, &out); err != nil {
		return domain.UploadGrant{}, err
	}
	if out.Method == "" {
		out.Method = http.MethodPut
	}
	if pu, err := url.Parse(out.URL); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return domain.UploadGrant{}, domain.E(op, domain.Internal, errors.New("the cloud answered a grant without a valid URL"))
	}
	if out.Key == "" {
		return domain.UploadGrant{}, domain.E(op, domain.Internal, errors.New("the cloud answered a grant without a key"))
	}
	return domain.UploadGrant{URL: out.URL, Method: out.Method, Headers: out.Headers, Key: out.Key, Expires: out.Expires}, nil
}

// Enroll takes a seat of the license for a new device named deviceName:
// POST /api/v1/device/enroll. It returns the device's ID and secret (the
// cloud shows the secret once: keep it, 0600, never log it).
func (c *Client) Enroll(ctx context.Context, licenseKey, deviceName string) (deviceID, secret string, err error) {
	const op = "cloudapi: enroll"
	if strings.TrimSpace(licenseKey) == "" {
		return "", "", domain.E(op, domain.Invalid, errors.New("no license key"))
	}
	if strings.TrimSpace(deviceName) == "" {
		return "", "", domain.E(op, domain.Invalid, errors.New("no device name"))
	}
	var out enrollResponse
	if err := c.post(ctx, op, "/api/v1/device/enroll", false, enrollRequest{LicenseKey: licenseKey, Name: deviceName}, &out); err != nil {
		return "", "", err
	}
	if !idPattern.MatchString(out.DeviceID) || out.DeviceSecret == "" || strings.ContainsAny(out.DeviceSecret, "\r\n") {
		return "", "", domain.E(op, domain.Internal, errors.New("the cloud answered without a valid device ID and secret"))
	}
	return out.DeviceID, out.DeviceSecret, nil
}

type seatStatusJSON struct {
	Status    string    `json:"status"`
	Seats     int       `json:"seats"`
	SeatsUsed int       `json:"seats_used"`
	Expires   time.Time `json:"expires"`
}

type rejectionJSON struct {
	Name   string    `json:"name"`
	Reason string    `json:"reason"`
	Detail string    `json:"detail"`
	At     time.Time `json:"at"`
}

type statusResponse struct {
	DeviceID string          `json:"device_id"`
	Name     string          `json:"name"`
	License  *seatStatusJSON `json:"license"`
	Rejected []rejectionJSON `json:"rejected"`
}

// maxText bounds the cloud's texts (names, reasons) kept from a status.
const maxText = 200

// DeviceStatus implements ports.DeviceStatusSource: GET
// /api/v1/device/status as the device, with ?since= when since is not
// zero. The answer must be about this device; its license status must be
// one API.md names. Rejections whose name is not a snapshot name are left
// out; reasons and details are cut to 200 characters of printable text.
func (c *Client) DeviceStatus(ctx context.Context, since time.Time) (domain.DeviceStatus, error) {
	const op = "cloudapi: device status"
	if err := c.enrolled(op); err != nil {
		return domain.DeviceStatus{}, err
	}
	path := "/api/v1/device/status"
	if !since.IsZero() {
		path += "?since=" + url.QueryEscape(since.UTC().Format(time.RFC3339))
	}
	var out statusResponse
	if err := c.do(ctx, op, http.MethodGet, path, true, nil, &out); err != nil {
		return domain.DeviceStatus{}, err
	}
	if out.DeviceID != c.DeviceID {
		return domain.DeviceStatus{}, domain.E(op, domain.Internal, fmt.Errorf("the cloud answered about device %.64q", out.DeviceID))
	}
	st := domain.DeviceStatus{DeviceID: out.DeviceID, Name: clean(out.Name)}
	if l := out.License; l != nil {
		switch l.Status {
		case "active", "expired", "suspended":
		default:
			return domain.DeviceStatus{}, domain.E(op, domain.Internal, fmt.Errorf("license status %.32q: want active, expired or suspended", l.Status))
		}
		if l.Seats < 0 || l.SeatsUsed < 0 {
			return domain.DeviceStatus{}, domain.E(op, domain.Internal, errors.New("negative seat counts"))
		}
		st.License = domain.SeatStatus{Status: l.Status, Seats: l.Seats, SeatsUsed: l.SeatsUsed, Expires: l.Expires}
	}
	for _, r := range out.Rejected {
		if _, _, err := domain.ParseSnapshotName(r.Name); err != nil || len(st.Rejected) == domain.MaxDeviceRejections {
			continue
		}
		reason := clean(r.Reason)
		if reason == "" {
			reason = "rejected"
		}
		st.Rejected = append(st.Rejected, domain.SnapshotRejection{Name: r.Name, Reason: domain.Reason(reason), Detail: clean(r.Detail), At: r.At})
	}
	return st, nil
}

// clean keeps at most maxText characters of s's printable text, in one
// line.
func clean(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == ' ' }), " ")
	if r := []rune(s); len(r) > maxText {
		s = string(r[:maxText]) + "…"
	}
	return s
}

// enrolled checks that the client has credentials to send.
func (c *Client) enrolled(op string) error {
	if !idPattern.MatchString(c.DeviceID) || c.Secret == "" || strings.ContainsAny(c.Secret, "\r\n") {
		return domain.E(op, domain.Unauthorized, errors.New("the device is not enrolled (no valid device ID and secret)"))
	}
	return nil
}

// post sends in as JSON to path and decodes a 2xx answer into out.
func (c *Client) post(ctx context.Context, op, path string, auth bool, in, out any) error {
	return c.do(ctx, op, http.MethodPost, path, auth, in, out)
}

// do sends a request (in as JSON unless nil) to path and decodes a 2xx
// answer into out. Other answers become errors with a Kind (see kindOf)
// and the cloud's message.
func (c *Client) do(ctx context.Context, op, method, path string, auth bool, in, out any) error {
	base, err := url.Parse(strings.TrimRight(c.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return domain.E(op, domain.Invalid, fmt.Errorf("cloud URL %q is not an http(s) URL", c.BaseURL))
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base.String()+path, body)
	if err != nil {
		return domain.E(op, domain.Invalid, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if auth {
		req.Header.Set("Authorization", "Device "+c.DeviceID+":"+c.Secret)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return ctxError(op, cerr)
		}
		return domain.E(op, domain.Unavailable, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return ctxError(op, cerr)
		}
		return domain.E(op, domain.Unavailable, fmt.Errorf("reading the answer: %w", err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e errorResponse
		_ = json.Unmarshal(data, &e)
		msg := fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		if m := strings.Join(strings.Fields(e.Error), " "); m != "" {
			if len(m) > 200 {
				m = m[:200] + "…"
			}
			msg += ": " + m
		}
		return domain.E(op, kindOf(resp.StatusCode, e.Kind), errors.New(msg))
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		return domain.E(op, domain.Internal, fmt.Errorf("%d answer of type %q, want application/json", resp.StatusCode, mt))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return domain.E(op, domain.Internal, fmt.Errorf("decoding the answer: %w", err))
	}
	return nil
}

// kindOf maps an error answer to a Kind: by status, except that a refusal
// whose body says "kind":"unlicensed" is Unlicensed whatever its status.
func kindOf(status int, kind string) domain.Kind {
	if kind == domain.Unlicensed.String() && status >= 400 && status < 500 {
		return domain.Unlicensed
	}
	switch {
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return domain.Unauthorized
	case status == http.StatusPaymentRequired:
		return domain.Unlicensed
	case status == http.StatusConflict:
		return domain.Conflict
	case status == http.StatusNotFound:
		return domain.NotFound
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, status >= 500:
		return domain.Unavailable
	case status >= 400:
		return domain.Invalid
	}
	return domain.Internal // 1xx, 3xx: not part of the API
}

// ctxError is the error of a request its context ended: a deadline is the
// other side's slowness (Unavailable, retry later), a cancellation the
// caller's own doing (no Kind).
func ctxError(op string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return domain.E(op, domain.Unavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
