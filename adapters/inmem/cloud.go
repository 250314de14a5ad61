package inmem

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"vigil/domain"
	"vigil/ports"
)

// Cloud is an in-memory twin of vigil-cloud's grants and the upload bucket:
// a ports.UploadGranter whose grants its own ports.ObjectPutter honours
// as a presigned URL would be: for one key and length, until they expire.
type Cloud struct {
	// Lifetime of a grant (default 5 min), on the clock Now (default
	// time.Now).
	Lifetime time.Duration
	Now      func() time.Time
	// BeforeGrant and BeforePut, when set, run first in Grant and Put; an
	// error they return is the call's. Tests fail, block or count there.
	BeforeGrant func(ctx context.Context, u domain.Upload) error
	BeforePut   func(ctx context.Context, g domain.UploadGrant) error

	mu      sync.Mutex
	grants  map[string]grant // by URL
	objects map[string][]byte
	puts    map[string]int // successful PUTs by key
	issued  int
}

type grant struct {
	key     string
	bytes   int
	expires time.Time
}

var (
	_ ports.UploadGranter = (*Cloud)(nil)
	_ ports.ObjectPutter  = (*Cloud)(nil)
)

func (c *Cloud) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Key is the object key a snapshot gets.
func Key(name string) string { return "uploads/" + name }

// Grant implements ports.UploadGranter: a new grant for every call.
func (c *Cloud) Grant(ctx context.Context, u domain.Upload) (domain.UploadGrant, error) {
	if err := ctx.Err(); err != nil {
		return domain.UploadGrant{}, fmt.Errorf("inmem: grant %s: %w", u.Name, err)
	}
	if c.BeforeGrant != nil {
		if err := c.BeforeGrant(ctx, u); err != nil {
			return domain.UploadGrant{}, err
		}
	}
	if _, _, err := domain.ParseSnapshotName(u.Name); err != nil {
		return domain.UploadGrant{}, fmt.Errorf("inmem: grant: %w", err)
	}
	if u.Bytes <= 0 {
		return domain.UploadGrant{}, domain.E("inmem: grant "+u.Name, domain.Invalid, errors.New("no bytes"))
	}
	life := c.Lifetime
	if life <= 0 {
		life = 5 * time.Minute
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.grants == nil {
		c.grants, c.objects, c.puts = map[string]grant{}, map[string][]byte{}, map[string]int{}
	}
	c.issued++
	key := Key(u.Name)
	url := "https://bucket.invalid/" + key + "?grant=" + strconv.Itoa(c.issued)
	exp := c.now().Add(life)
	c.grants[url] = grant{key: key, bytes: u.Bytes, expires: exp}
	return domain.UploadGrant{URL: url, Method: "PUT", Key: key, Expires: exp,
		Headers: map[string]string{"Content-Type": "image/jpeg", "Content-Length": strconv.Itoa(u.Bytes)}}, nil
}

// Put implements ports.ObjectPutter: Unauthorized for a grant it did not
// issue, one that expired, or another length.
func (c *Cloud) Put(ctx context.Context, g domain.UploadGrant, body []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inmem: put %s: %w", g.Key, err)
	}
	if c.BeforePut != nil {
		if err := c.BeforePut(ctx, g); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	gr, ok := c.grants[g.URL]
	switch {
	case !ok:
		return domain.E("inmem: put "+g.Key, domain.Unauthorized, errors.New("not a grant of this cloud"))
	case c.now().After(gr.expires):
		return domain.E("inmem: put "+g.Key, domain.Unauthorized, errors.New("the grant expired"))
	case gr.bytes != len(body):
		return domain.E("inmem: put "+g.Key, domain.Unauthorized, fmt.Errorf("the grant is for %d bytes, not %d", gr.bytes, len(body)))
	}
	c.objects[gr.key] = slices.Clone(body)
	c.puts[gr.key]++
	return nil
}

// Objects returns a copy of the stored objects by key.
func (c *Cloud) Objects() map[string][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string][]byte, len(c.objects))
	for k, v := range c.objects {
		out[k] = slices.Clone(v)
	}
	return out
}

// Puts returns how many successful PUTs each key had.
func (c *Cloud) Puts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.puts)
}

// Grants is how many grants were issued.
func (c *Cloud) Grants() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.issued
}
