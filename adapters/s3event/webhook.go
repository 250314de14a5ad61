package s3event

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// HandleFunc handles one record; an error means it must be retried.
type HandleFunc func(ctx context.Context, r Record) error

// SecretHeader carries the shared secret of the webhook.
const SecretHeader = "X-Vigil-Secret"

// maxBody bounds a notification's body.
const maxBody = 1 << 20

// Webhook is the HTTP endpoint S3-compatible servers post their event
// notifications to (POST, JSON). Every request must carry the shared
// secret: in the X-Vigil-Secret header, as "Authorization: Bearer SECRET",
// or as the password of HTTP basic authentication — the form a sender that
// cannot set headers uses (versitygw: the secret in the webhook URL's user
// information, http://vigil:SECRET@host/events, which Go's HTTP client
// sends as basic authentication).
//
// Records are handled while the request waits, at most Concurrency at a
// time over all requests; a record that waited longer than QueueWait for
// its turn, or whose handling failed, makes the answer 503 so that a
// sender that retries does. Handling continues when the sender hangs up
// (versitygw gives up after 3 s): the work is idempotent and finishes.
type Webhook struct {
	secret  [sha256.Size]byte
	handle  HandleFunc
	slots   chan struct{}
	wait    time.Duration
	timeout time.Duration
	log     *slog.Logger
}

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	Secret      string        // required
	Concurrency int           // records handled at once (default 4)
	QueueWait   time.Duration // longest wait for a slot (default 30 s)
	Timeout     time.Duration // per record (default 2 min)
	Log         *slog.Logger  // nil: no logs
}

// NewWebhook returns the endpoint; handle is called for each record.
func NewWebhook(o WebhookOptions, handle HandleFunc) (*Webhook, error) {
	if o.Secret == "" {
		return nil, errors.New("s3event: the webhook needs a shared secret")
	}
	if handle == nil {
		return nil, errors.New("s3event: no record handler")
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.QueueWait <= 0 {
		o.QueueWait = 30 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Webhook{secret: sha256.Sum256([]byte(o.Secret)), handle: handle, slots: make(chan struct{}, o.Concurrency),
		wait: o.QueueWait, timeout: o.Timeout, log: o.Log}, nil
}

// authorised compares the request's secret with ours in constant time
// (hashes of equal length, whatever was sent).
func (wh *Webhook) authorised(r *http.Request) bool {
	got, ok := r.Header.Get(SecretHeader), true
	if got == "" {
		if b, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found {
			got = b
		} else if _, pw, basic := r.BasicAuth(); basic {
			got = pw
		} else {
			ok = false
		}
	}
	sum := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(sum[:], wh.secret[:]) == 1 && ok && got != ""
}

// answer is the JSON body of a response.
type answer struct {
	Records int      `json:"records"`
	Failed  []string `json:"failed,omitempty"` // keys to retry
	Error   string   `json:"error,omitempty"`
}

func reply(w http.ResponseWriter, status int, a answer) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(a)
}

// ServeHTTP implements http.Handler.
func (wh *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, answer{Error: "POST an S3 event notification"})
		return
	}
	if !wh.authorised(r) {
		wh.log.Warn("webhook: request without the shared secret", "remote", r.RemoteAddr)
		reply(w, http.StatusUnauthorized, answer{Error: "the shared secret is missing or wrong"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		reply(w, http.StatusRequestEntityTooLarge, answer{Error: "the body is too large or unreadable"})
		return
	}
	recs, err := Parse(body)
	if errors.Is(err, ErrTestEvent) {
		wh.log.Info("webhook: test event")
		reply(w, http.StatusOK, answer{})
		return
	}
	if err != nil {
		wh.log.Warn("webhook: bad notification", "error", err.Error())
		reply(w, http.StatusBadRequest, answer{Error: err.Error()})
		return
	}
	// The work outlives a sender that hangs up, not the server: Shutdown
	// waits for running handlers.
	ctx := context.WithoutCancel(r.Context())
	failed := make([]string, len(recs))
	var wg sync.WaitGroup
	for i, rec := range recs {
		select {
		case wh.slots <- struct{}{}:
		case <-time.After(wh.wait):
			wh.log.Warn("webhook: no free slot; record refused", "key", rec.Key, "waited", wh.wait)
			failed[i] = rec.Key
			continue
		}
		wg.Go(func() {
			defer func() { <-wh.slots }()
			rctx, cancel := context.WithTimeout(ctx, wh.timeout)
			defer cancel()
			if err := wh.handle(rctx, rec); err != nil {
				failed[i] = rec.Key
			}
		})
	}
	wg.Wait()
	a := answer{Records: len(recs)}
	for _, k := range failed {
		if k != "" {
			a.Failed = append(a.Failed, k)
		}
	}
	if len(a.Failed) > 0 {
		a.Error = "some records could not be handled now; retry them"
		reply(w, http.StatusServiceUnavailable, a)
		return
	}
	reply(w, http.StatusOK, a)
}
