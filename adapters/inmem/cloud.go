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
	// BeforeStatus, when set, runs first in DeviceStatus; its error is
	// the call's.
	BeforeStatus func(ctx context.Context) error

	mu      sync.Mutex
	grants  map[string]grant // by URL
	objects map[string][]byte
	puts    map[string]int // successful PUTs by key
	issued  int
	status  domain.DeviceStatus // what DeviceStatus answers
	asked   []time.Time         // the since of each DeviceStatus call
}

type grant struct {
	key     string
	bytes   int
	expires time.Time
}

var (
	_ ports.UploadGranter      = (*Cloud)(nil)
	_ ports.ObjectPutter       = (*Cloud)(nil)
	_ ports.DeviceStatusSource = (*Cloud)(nil)
)

// SetStatus sets what DeviceStatus answers: st with its rejections
// filtered by since, as the cloud does.
func (c *Cloud) SetStatus(st domain.DeviceStatus) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st.Rejected = slices.Clone(st.Rejected)
	c.status = st
}

// Reject adds a rejection of a snapshot to the status, newest first.
func (c *Cloud) Reject(r domain.SnapshotRejection) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status.Rejected = append([]domain.SnapshotRejection{r}, c.status.Rejected...)
}

// DeviceStatus implements ports.DeviceStatusSource: the status SetStatus
// and Reject made, with only the rejections at or after since.
func (c *Cloud) DeviceStatus(ctx context.Context, since time.Time) (domain.DeviceStatus, error) {
	if err := ctx.Err(); err != nil {
		return domain.DeviceStatus{}, fmt.Errorf("inmem: device status: %w", err)
	}
	if c.BeforeStatus != nil {
		if err := c.BeforeStatus(ctx); err != nil {
			return domain.DeviceStatus{}, err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.asked = append(c.asked, since)
	st := c.status
	st.Rejected = nil
	for _, r := range c.status.Rejected {
		if since.IsZero() || !r.At.Before(since) {
			st.Rejected = append(st.Rejected, r)
		}
	}
	return st, nil
}

// Asked returns the since of every DeviceStatus call so far.
func (c *Cloud) Asked() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.asked)
}

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

// Directory is an in-memory twin of the cloud's account directory
// (ports.Directory), image index (ports.ImageIndex) and verdicts
// (ports.Verdicts): licenses and devices set by the test, verdicts, images
// and rejections recorded by the validator with the same conditional
// semantics as the DynamoDB table. Safe for concurrent use.
type Directory struct {
	// Fail, when set, runs first in every call ("standing", "put_image",
	// "put_rejection", "verdict", "settle"); an error it returns is the
	// call's.
	Fail func(op string) error

	mu         sync.Mutex
	licenses   map[string]domain.License // by account
	devices    map[string]domain.Device  // by account/device
	images     map[string]domain.ImageRecord
	rejections map[string]domain.Rejection
	verdicts   map[string]domain.UploadVerdict
}

var (
	_ ports.Directory  = (*Directory)(nil)
	_ ports.ImageIndex = (*Directory)(nil)
	_ ports.Verdicts   = (*Directory)(nil)
)

func (d *Directory) init() {
	if d.licenses == nil {
		d.licenses, d.devices = map[string]domain.License{}, map[string]domain.Device{}
		d.images, d.rejections = map[string]domain.ImageRecord{}, map[string]domain.Rejection{}
		d.verdicts = map[string]domain.UploadVerdict{}
	}
}

// SetLicense stores the account's license (l.AccountID).
func (d *Directory) SetLicense(l domain.License) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	d.licenses[l.AccountID] = l
}

// SetDevice stores a device (dev.AccountID, dev.ID).
func (d *Directory) SetDevice(dev domain.Device) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	d.devices[dev.AccountID+"/"+dev.ID] = dev
}

// Standing implements ports.Directory: NotFound when the account has no
// license or the device is not in it.
func (d *Directory) Standing(ctx context.Context, accountID, deviceID string) (domain.Standing, error) {
	if err := d.check(ctx, "standing"); err != nil {
		return domain.Standing{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	l, ok := d.licenses[accountID]
	if !ok {
		return domain.Standing{}, domain.E("inmem: standing", domain.NotFound, fmt.Errorf("no account %s", accountID))
	}
	dev, ok := d.devices[accountID+"/"+deviceID]
	if !ok {
		return domain.Standing{}, domain.E("inmem: standing", domain.NotFound, fmt.Errorf("no device %s in %s", deviceID, accountID))
	}
	return domain.Standing{Device: dev, License: l}, nil
}

// PutImage implements ports.ImageIndex: Conflict when the account's device
// has an image with that ID.
func (d *Directory) PutImage(ctx context.Context, img domain.ImageRecord) error {
	if err := d.check(ctx, "put_image"); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	k := img.AccountID + "/" + img.DeviceID + "/" + img.ID
	if _, ok := d.images[k]; ok {
		return domain.E("inmem: put image "+img.ID, domain.Conflict, errors.New("the image exists"))
	}
	img.Faces = slices.Clone(img.Faces)
	d.images[k] = img
	return nil
}

// PutRejection implements ports.ImageIndex: Conflict when the account's
// device has a rejection with that ID.
func (d *Directory) PutRejection(ctx context.Context, r domain.Rejection) error {
	if err := d.check(ctx, "put_rejection"); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	k := r.AccountID + "/" + r.DeviceID + "/" + r.ID
	if _, ok := d.rejections[k]; ok {
		return domain.E("inmem: put rejection "+r.ID, domain.Conflict, errors.New("the rejection exists"))
	}
	d.rejections[k] = r
	return nil
}

// Verdict implements ports.Verdicts.
func (d *Directory) Verdict(ctx context.Context, accountID, deviceID, id string) (domain.UploadVerdict, bool, error) {
	if err := d.check(ctx, "verdict"); err != nil {
		return domain.UploadVerdict{}, false, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.verdicts[accountID+"/"+deviceID+"/"+id]
	return v, ok, nil
}

// Settle implements ports.Verdicts: v is recorded unless the upload has a
// verdict, which is returned instead.
func (d *Directory) Settle(ctx context.Context, v domain.UploadVerdict) (domain.UploadVerdict, bool, error) {
	if err := d.check(ctx, "settle"); err != nil {
		return domain.UploadVerdict{}, false, err
	}
	if v.ID == "" || v.Accepted == (v.Reason != "") {
		return domain.UploadVerdict{}, false, domain.E("inmem: settle", domain.Invalid, fmt.Errorf("verdict %+v: want an ID and a reason exactly when rejected", v))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.init()
	k := v.AccountID + "/" + v.DeviceID + "/" + v.ID
	if got, ok := d.verdicts[k]; ok {
		return got, false, nil
	}
	d.verdicts[k] = v
	return v, true, nil
}

// Verdicts returns the recorded verdicts, sorted by account, device and ID.
func (d *Directory) Verdicts() []domain.UploadVerdict {
	d.mu.Lock()
	defer d.mu.Unlock()
	return sortedValues(d.verdicts)
}

// Images returns the recorded images, sorted by key.
func (d *Directory) Images() []domain.ImageRecord {
	d.mu.Lock()
	defer d.mu.Unlock()
	return sortedValues(d.images)
}

// Rejections returns the recorded rejections, sorted by key.
func (d *Directory) Rejections() []domain.Rejection {
	d.mu.Lock()
	defer d.mu.Unlock()
	return sortedValues(d.rejections)
}

// sortedValues returns m's values in the order of their keys.
func sortedValues[V any](m map[string]V) []V {
	out := make([]V, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

func (d *Directory) check(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("inmem: %s: %w", op, err)
	}
	if d.Fail != nil {
		return d.Fail(op)
	}
	return nil
}
