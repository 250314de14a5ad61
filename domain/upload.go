package domain

import "time"

// Upload is a snapshot waiting in the edge's outbox.
type Upload struct {
	Name      string // the snapshot's file name
	Event     EventID
	Bytes     int
	Queued    time.Time // when it was queued
	Attempts  int       // failed attempts so far
	Due       time.Time // when the next attempt is due; zero: now
	LastError string    // why the last attempt failed
}

// UploadGrant is the cloud's permission to put one object: a presigned
// request for exactly that key, length and type, valid until Expires.
type UploadGrant struct {
	URL     string
	Method  string            // "PUT"
	Headers map[string]string // to send as they are (Content-Type, Content-Length, ...)
	Key     string            // the object key the URL writes
	Expires time.Time
}

// Backoff is the wait before attempt n+1 after n failed attempts:
// doubling from base up to limit. Callers add jitter.
func Backoff(attempts int, base, limit time.Duration) time.Duration {
	d := base
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}
