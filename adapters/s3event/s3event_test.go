package s3event

import (
	"errors"
	"os"
	"testing"
)

func TestParseDialects(t *testing.T) {
	for file, want := range map[string]Record{
		// AWS URL-encodes keys as a form does: "+" is a space.
		"testdata/aws.json": {Event: "ObjectCreated:Put", Bucket: "vigil-uploads", Key: "uploads/a b+c%d/ä.jpg", Size: 48211, Sequencer: "0055AED6DCD90281E5"},
		// versitygw sends the key as stored, "s3:" before the event name.
		"testdata/versitygw.json": {Event: "ObjectCreated:Put", Bucket: "vigil-uploads", Key: "uploads/a+b%c/ä.jpg", Size: 48211, Sequencer: "188C7A2B3D4E5F60"},
	} {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := Parse(body)
		if err != nil || len(recs) != 1 || recs[0] != want || !recs[0].Created() {
			t.Errorf("%s: %+v, %v; want %+v", file, recs, err, want)
		}
	}
}

func TestParseTestEventsAndErrors(t *testing.T) {
	for _, body := range []string{
		`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-28T18:02:11.000Z","Bucket":"vigil-uploads","RequestId":"x","HostId":"y"}`,
		`{"Service":"S3","Event":"s3:TestEvent","Time":"2026-11-28T18:02:11Z","Bucket":"Test-Bucket"}`,
	} {
		if _, err := Parse([]byte(body)); !errors.Is(err, ErrTestEvent) {
			t.Errorf("%s: %v", body, err)
		}
	}
	for _, body := range []string{
		``, `[]`, `{}`, `{"Records":{}}`, `not json`,
		`{"Records":[{"eventSource":"aws:sqs","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`,
		`{"Records":[{"eventName":"","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":""},"object":{"key":"k"}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":""}}}]}`,
		`{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"bad%zz"}}}]}`,
	} {
		if recs, err := Parse([]byte(body)); err == nil || errors.Is(err, ErrTestEvent) {
			t.Errorf("%q: %+v, %v; want an error", body, recs, err)
		}
	}
	recs, err := Parse([]byte(`{"Records":[{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"b"},"object":{"key":"k"}}}]}`))
	if err != nil || len(recs) != 1 || recs[0].Created() {
		t.Errorf("removal: %+v, %v", recs, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/aws.json", "testdata/versitygw.json"} {
		b, _ := os.ReadFile(name)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		recs, err := Parse(body)
		if err != nil && recs != nil {
			t.Fatal("records with an error")
		}
		for _, r := range recs {
			if r.Key == "" || r.Bucket == "" || r.Event == "" {
				t.Fatalf("empty field in %+v", r)
			}
		}
	})
}
