// Package lambda is the validator's AWS Lambda glue: it takes the
// invocations S3 makes (S3 event notifications) and those of an SQS event
// source mapping (messages whose bodies are S3 event notifications, sent
// by S3 directly or through SNS), hands each object record to the
// validator, and reports SQS partial batch failures so that only the
// failed messages are retried (the event source mapping must have
// ReportBatchItemFailures on).
package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	awslambda "github.com/aws/aws-lambda-go/lambda"

	"vigil/adapters/s3event"
)

// Handler handles Lambda invocations.
type Handler struct {
	handle s3event.HandleFunc
	log    *slog.Logger
}

// NewHandler returns a Handler that passes each record to handle (nil log:
// no logs).
func NewHandler(handle s3event.HandleFunc, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{handle: handle, log: log}
}

// Start runs the Lambda runtime loop with h; it returns only on a runtime
// API failure (the aws-lambda-go runtime then exits the process).
func (h *Handler) Start(ctx context.Context) {
	awslambda.StartWithOptions(h.Invoke, awslambda.WithContext(ctx))
}

// probe tells the two invocation shapes apart.
type probe struct {
	Records []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
}

// snsEnvelope is an SNS notification (an S3 event sent through SNS to SQS).
type snsEnvelope struct {
	Type    string `json:"Type"`
	Message string `json:"Message"`
}

// Invoke handles one invocation. For an SQS batch it answers an
// events.SQSEventResponse naming the messages to retry (a message that is
// not an S3 event notification is logged and dropped: retrying cannot
// help it). For S3 events it returns an error when a record failed, so
// that Lambda retries the invocation (every step is idempotent).
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	var p probe
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("lambda: the invocation is not JSON: %w", err)
	}
	if len(p.Records) > 0 && p.Records[0].EventSource == "aws:sqs" {
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("lambda: bad SQS event: %w", err)
		}
		return h.sqs(ctx, ev), nil
	}
	recs, err := s3event.Parse(payload)
	if errors.Is(err, s3event.ErrTestEvent) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lambda: %w", err)
	}
	if n := h.records(ctx, recs); n > 0 {
		return nil, fmt.Errorf("lambda: %d of %d records failed; retry", n, len(recs))
	}
	return nil, nil
}

func (h *Handler) sqs(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range ev.Records {
		body := []byte(m.Body)
		var env snsEnvelope
		if json.Unmarshal(body, &env) == nil && env.Type == "Notification" && env.Message != "" {
			body = []byte(env.Message)
		}
		recs, err := s3event.Parse(body)
		if errors.Is(err, s3event.ErrTestEvent) {
			continue
		}
		if err != nil {
			h.log.Error("lambda: SQS message dropped: not an S3 event notification", "message_id", m.MessageId, "error", err.Error())
			continue
		}
		if h.records(ctx, recs) > 0 {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp
}

// records handles recs in order and returns how many failed.
func (h *Handler) records(ctx context.Context, recs []s3event.Record) int {
	failed := 0
	for _, r := range recs {
		if err := h.handle(ctx, r); err != nil {
			failed++
		}
	}
	return failed
}
