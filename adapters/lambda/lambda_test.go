package lambda

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"vigil/adapters/s3event"
)

func s3Body(keys ...string) string {
	var recs []string
	for _, k := range keys {
		recs = append(recs, `{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"up"},"object":{"key":"`+k+`"}}}`)
	}
	return `{"Records":[` + strings.Join(recs, ",") + `]}`
}

func sqsBody(msgs map[string]string) string {
	var ev events.SQSEvent
	for id, body := range msgs {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: id, Body: body, EventSource: "aws:sqs"})
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

func TestInvoke(t *testing.T) {
	var seen []string
	h := NewHandler(func(ctx context.Context, r s3event.Record) error {
		seen = append(seen, r.Key)
		if strings.Contains(r.Key, "fail") {
			return errors.New("store down")
		}
		return nil
	}, nil)
	ctx := context.Background()

	// S3 events: keys decoded; a failed record fails the invocation.
	if out, err := h.Invoke(ctx, json.RawMessage(s3Body("uploads/a+b.jpg"))); err != nil || out != nil {
		t.Fatalf("S3 event: %v, %v", out, err)
	}
	if len(seen) != 1 || seen[0] != "uploads/a b.jpg" {
		t.Fatalf("handled %q", seen)
	}
	if _, err := h.Invoke(ctx, json.RawMessage(s3Body("ok", "fail"))); err == nil {
		t.Fatal("a failed record did not fail the invocation")
	}

	// SQS: only the failed message is reported; a message that is not an
	// S3 event is dropped, a test event acknowledged, SNS envelopes opened.
	sns, _ := json.Marshal(map[string]string{"Type": "Notification", "Message": s3Body("via-sns-fail")})
	seen = nil
	out, err := h.Invoke(ctx, json.RawMessage(sqsBody(map[string]string{
		"m1": s3Body("one"),
		"m2": s3Body("two-fail", "three"),
		"m3": "garbage",
		"m4": `{"Service":"Amazon S3","Event":"s3:TestEvent"}`,
		"m5": string(sns),
	})))
	if err != nil {
		t.Fatal(err)
	}
	resp, ok := out.(events.SQSEventResponse)
	if !ok {
		t.Fatalf("answer %T", out)
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	if len(failed) != 2 || !failed["m2"] || !failed["m5"] || len(seen) != 4 {
		t.Errorf("failures %+v, handled %q", resp.BatchItemFailures, seen)
	}
	b, _ := json.Marshal(resp)
	if !strings.Contains(string(b), `"batchItemFailures":[`) {
		t.Errorf("wire form %s", b)
	}
	for _, bad := range []string{`nope`, `{}`, `{"Records":[{"eventSource":"aws:s3"}]}`} {
		if _, err := h.Invoke(ctx, json.RawMessage(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
