// Package s3event reads S3 event notifications as the different senders
// write them and gives one normalised form: AWS S3 (to Lambda, or wrapped
// in SQS messages) and S3-compatible servers' webhooks (versitygw: event
// names with an "s3:" prefix, an empty glacierEventData field, object keys
// not URL-encoded). It also serves the webhook over HTTP.
package s3event

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Record is one object event, normalised.
type Record struct {
	// Event is the event name without an "s3:" prefix, e.g.
	// "ObjectCreated:Put".
	Event  string
	Bucket string
	// Key is the object key as stored (decoded when the sender encoded it).
	Key       string
	Size      int64
	Sequencer string
}

// Created reports whether the record announces a new object.
func (r Record) Created() bool { return strings.HasPrefix(r.Event, "ObjectCreated:") }

// wire is an S3 event notification as AWS and versitygw write it.
type wire struct {
	Records []wireRecord `json:"Records"`
	// A test event ({"Service":"Amazon S3","Event":"s3:TestEvent",...})
	// has no records.
	Service string `json:"Service"`
	Event   string `json:"Event"`
}

type wireRecord struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	S3          struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			Size      int64  `json:"size"`
			Sequencer string `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
	// versitygw writes this (empty) on every record; AWS only on restore
	// events. Its presence does not change the reading.
	GlacierEventData json.RawMessage `json:"glacierEventData"`
}

// ErrTestEvent is returned by Parse for a sender's test event (sent when a
// notification target is set up): acknowledge it, handle nothing.
var ErrTestEvent = errors.New("s3event: test event")

// maxRecords bounds one notification (AWS sends one record per event).
const maxRecords = 1000

// Parse reads one S3 event notification. Keys are decoded for AWS-style
// records (AWS URL-encodes them as in a form: "+" for a space) and kept
// as they are for records whose event name has the "s3:" prefix of an
// S3-compatible server (versitygw sends raw keys). A body that is not an
// S3 event notification is an error; a test event is ErrTestEvent.
func Parse(body []byte) ([]Record, error) {
	var w wire
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("s3event: not an S3 event notification: %w", err)
	}
	if w.Records == nil {
		if strings.HasSuffix(w.Event, "TestEvent") {
			return nil, ErrTestEvent
		}
		return nil, errors.New("s3event: not an S3 event notification: no Records")
	}
	if len(w.Records) > maxRecords {
		return nil, fmt.Errorf("s3event: %d records, at most %d", len(w.Records), maxRecords)
	}
	out := make([]Record, 0, len(w.Records))
	for i, wr := range w.Records {
		r, err := normalise(wr)
		if err != nil {
			return nil, fmt.Errorf("s3event: record %d: %w", i, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func normalise(wr wireRecord) (Record, error) {
	if wr.EventSource != "" && wr.EventSource != "aws:s3" {
		return Record{}, fmt.Errorf("event source %q is not aws:s3", wr.EventSource)
	}
	name, compat := strings.CutPrefix(wr.EventName, "s3:")
	r := Record{Event: name, Bucket: wr.S3.Bucket.Name, Key: wr.S3.Object.Key, Size: wr.S3.Object.Size, Sequencer: wr.S3.Object.Sequencer}
	switch {
	case r.Event == "":
		return Record{}, errors.New("no event name")
	case r.Bucket == "":
		return Record{}, errors.New("no bucket name")
	case r.Key == "":
		return Record{}, errors.New("no object key")
	}
	if !compat {
		k, err := url.QueryUnescape(r.Key)
		if err != nil {
			return Record{}, fmt.Errorf("object key %q is not URL-encoded: %w", r.Key, err)
		}
		r.Key = k
	}
	return r, nil
}
