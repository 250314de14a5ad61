// Package s3 is the edge's side of the object store: it performs the
// presigned requests the cloud grants (plain HTTP, no keys on the device).
package s3

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// Putter sends objects with upload grants: presigned requests for one key,
// length and type. Its errors never hold the URL (its query is the
// signature), only the object key.
type Putter struct {
	http *http.Client
}

var _ ports.ObjectPutter = (*Putter)(nil)

// NewPutter returns a Putter that uses c (nil: a client with a one-minute
// timeout).
func NewPutter(c *http.Client) *Putter {
	if c == nil {
		c = &http.Client{Timeout: time.Minute}
	}
	return &Putter{http: c}
}

// maxErrorBody is how much of an error response is read for its summary.
const maxErrorBody = 64 << 10

// Put implements ports.ObjectPutter: it performs the granted request as it
// is (method, URL, headers) with body, Content-Length exact. Any 2xx is
// success. Failures have a Kind: Unauthorized when the store refuses the
// signature (expired or not matching the request: ask for a new grant),
// Unavailable when it cannot be reached or answers 5xx, 429 or 408,
// Invalid for a grant that cannot be performed or a request the store
// calls malformed; the S3 error code and message are in the text.
func (p *Putter) Put(ctx context.Context, g domain.UploadGrant, body []byte) error {
	key := g.Key
	if key == "" {
		key = "(no key)"
	}
	op := "s3: put " + key
	method := g.Method
	if method == "" {
		method = http.MethodPut
	}
	if method != http.MethodPut {
		return domain.E(op, domain.Invalid, fmt.Errorf("grant method %q: want PUT", g.Method))
	}
	u, err := url.Parse(g.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return domain.E(op, domain.Invalid, errors.New("grant URL is not an http(s) URL"))
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return domain.E(op, domain.Invalid, errors.New("grant URL cannot be requested"))
	}
	req.ContentLength = int64(len(body))
	for k, v := range g.Headers {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Length":
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil || n != int64(len(body)) {
				return domain.E(op, domain.Invalid, fmt.Errorf("the grant is for %q bytes, the body has %d", v, len(body)))
			}
		case "Host":
			req.Host = v
		default:
			req.Header.Set(k, v)
		}
	}
	resp, err := p.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error prints the URL, signature included
		}
		if cerr := ctx.Err(); cerr != nil {
			return ctxError(op, cerr)
		}
		return domain.E(op, domain.Unavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	code, summary := summarise(resp.StatusCode, data)
	return domain.E(op, kindOf(resp.StatusCode, code), errors.New(summary))
}

// s3Error is the body of an S3 error response. Only Code and Message are
// read: the other fields may echo the request (even its string to sign).
type s3Error struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// summarise turns an error response into "403 Forbidden: AccessDenied:
// Request has expired", and returns the S3 error code.
func summarise(status int, body []byte) (code, summary string) {
	summary = fmt.Sprintf("%d %s", status, http.StatusText(status))
	var e s3Error
	if xml.Unmarshal(body, &e) != nil || e.Code == "" {
		return "", summary
	}
	msg := strings.Join(strings.Fields(e.Message), " ")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	summary += ": " + e.Code
	if msg != "" {
		summary += ": " + msg
	}
	return e.Code, summary
}

// authCodes are the S3 error codes of a request whose signature or
// credentials the store refused, whatever the status it came with.
var authCodes = map[string]bool{
	"AccessDenied": true, "SignatureDoesNotMatch": true, "ExpiredToken": true, "TokenRefreshRequired": true,
	"InvalidAccessKeyId": true, "InvalidToken": true, "RequestTimeTooSkewed": true, "RequestExpired": true,
	"AuthorizationQueryParametersError": true, "AuthorizationHeaderMalformed": true, "MissingSecurityHeader": true,
}

func kindOf(status int, code string) domain.Kind {
	switch {
	case authCodes[code], status == http.StatusUnauthorized, status == http.StatusForbidden:
		return domain.Unauthorized
	case status >= 500, status == http.StatusTooManyRequests, status == http.StatusRequestTimeout, code == "SlowDown":
		return domain.Unavailable
	case status == http.StatusNotFound:
		return domain.NotFound
	case status == http.StatusConflict, status == http.StatusPreconditionFailed:
		return domain.Conflict
	case status >= 400:
		return domain.Invalid
	}
	return domain.Internal
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
