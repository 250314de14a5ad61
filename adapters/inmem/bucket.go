package inmem

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// Bucket is an in-memory twin of an S3 bucket as the validator uses it: the
// upload bucket (ports.Uploads) and the production bucket
// (ports.Production, conditional puts). Safe for concurrent use.
type Bucket struct {
	// Fail, when set, runs first in every operation ("size", "read",
	// "delete", "put", "copy"); an error it returns is the operation's.
	// Tests make the store unavailable there.
	Fail func(op, key string) error
	// Now stamps each write (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	objects map[string][]byte
	types   map[string]string
	writes  map[string]int
	mod     map[string]time.Time
}

var (
	_ ports.Uploads      = (*Bucket)(nil)
	_ ports.Production   = (*Bucket)(nil)
	_ ports.UploadLister = (*Bucket)(nil)
)

func (b *Bucket) fail(op, key string) error {
	if b.Fail != nil {
		return b.Fail(op, key)
	}
	return nil
}

func (b *Bucket) init() {
	if b.objects == nil {
		b.objects, b.types, b.writes, b.mod = map[string][]byte{}, map[string]string{}, map[string]int{}, map[string]time.Time{}
	}
}

// stamp records a write of key (b.mu held).
func (b *Bucket) stamp(key string) {
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	b.mod[key] = now()
	b.writes[key]++
}

// Put stores body under key, replacing what was there (a device's upload).
func (b *Bucket) Put(key string, body []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	b.objects[key] = slices.Clone(body)
	b.stamp(key)
}

// Size implements ports.Uploads.
func (b *Bucket) Size(ctx context.Context, key string) (int64, error) {
	if err := b.check(ctx, "size", key); err != nil {
		return 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.objects[key]
	if !ok {
		return 0, notFound("size", key)
	}
	return int64(len(o)), nil
}

// Read implements ports.Uploads.
func (b *Bucket) Read(ctx context.Context, key string, limit int64) ([]byte, error) {
	if err := b.check(ctx, "read", key); err != nil {
		return nil, err
	}
	if limit < 0 {
		return nil, domain.E("inmem: read "+key, domain.Invalid, fmt.Errorf("limit %d", limit))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.objects[key]
	if !ok {
		return nil, notFound("read", key)
	}
	return slices.Clone(o[:min(int64(len(o)), limit+1)]), nil
}

// Delete implements ports.Uploads.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := b.check(ctx, "delete", key); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.objects, key)
	delete(b.types, key)
	delete(b.mod, key)
	return nil
}

// PutNew implements ports.Production: Conflict when key exists.
func (b *Bucket) PutNew(ctx context.Context, key, contentType string, body []byte) error {
	if err := b.check(ctx, "put", key); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.init()
	if _, ok := b.objects[key]; ok {
		return domain.E("inmem: put "+key, domain.Conflict, errors.New("the object exists"))
	}
	b.objects[key] = slices.Clone(body)
	b.types[key] = contentType
	b.stamp(key)
	return nil
}

// ListUploads implements ports.UploadLister.
func (b *Bucket) ListUploads(ctx context.Context, prefix string, each func(key string, modified time.Time) error) error {
	if err := b.check(ctx, "list", prefix); err != nil {
		return err
	}
	b.mu.Lock()
	type obj struct {
		key string
		mod time.Time
	}
	var objs []obj
	for _, k := range slices.Sorted(maps.Keys(b.objects)) {
		if strings.HasPrefix(k, prefix) {
			objs = append(objs, obj{k, b.mod[k]})
		}
	}
	b.mu.Unlock()
	for _, o := range objs {
		if err := each(o.key, o.mod); err != nil {
			return err
		}
	}
	return nil
}

// Object returns a copy of the object at key and its content type.
func (b *Bucket) Object(key string) ([]byte, string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.objects[key]
	return slices.Clone(o), b.types[key], ok
}

// Keys lists the stored keys, sorted.
func (b *Bucket) Keys() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Sorted(maps.Keys(b.objects))
}

// Writes returns how many times each key was written.
func (b *Bucket) Writes() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.writes)
}

func (b *Bucket) check(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inmem: %s %s: %w", op, key, err)
	}
	return b.fail(op, key)
}

func notFound(op, key string) error {
	return domain.E("inmem: "+op+" "+key, domain.NotFound, errors.New("no such object"))
}

// Quarantine is an in-memory twin of the validator's quarantine: it copies
// an upload from one Bucket to another under Prefix (default
// "quarantine/").
type Quarantine struct {
	From, To *Bucket
	Prefix   string
}

var _ ports.Quarantine = (*Quarantine)(nil)

// Quarantine implements ports.Quarantine.
func (q *Quarantine) Quarantine(ctx context.Context, key string) (string, error) {
	if err := q.From.check(ctx, "copy", key); err != nil {
		return "", err
	}
	prefix := q.Prefix
	if prefix == "" {
		prefix = "quarantine/"
	}
	q.From.mu.Lock()
	o, ok := q.From.objects[key]
	o = slices.Clone(o)
	q.From.mu.Unlock()
	if !ok {
		return "", notFound("copy", key)
	}
	q.To.Put(prefix+key, o)
	return prefix + key, nil
}
