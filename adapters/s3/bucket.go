package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"vigil/domain"
	"vigil/ports"
)

// Bucket is one S3 bucket as the validator uses it: the upload bucket
// (ports.Uploads) or the production bucket (ports.Production). Its errors
// carry a domain Kind: NotFound for a missing object or bucket, Conflict
// for a conditional put that found the object, Unauthorized for refused
// credentials, Unavailable for a store that cannot be reached or answers
// 5xx/429/503 — retry those.
type Bucket struct {
	c    *s3.Client
	name string
}

var (
	_ ports.Uploads    = (*Bucket)(nil)
	_ ports.Production = (*Bucket)(nil)
)

// NewBucket returns the bucket name reached through c.
func NewBucket(c *s3.Client, name string) *Bucket { return &Bucket{c: c, name: name} }

// Name is the bucket's name.
func (b *Bucket) Name() string { return b.name }

// Size implements ports.Uploads with a HEAD request.
func (b *Bucket) Size(ctx context.Context, key string) (int64, error) {
	out, err := b.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil {
		return 0, apiError(ctx, "s3: head "+key, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// Read implements ports.Uploads: a ranged GET of the first limit+1 bytes,
// read through a limit as well (a server may ignore the range).
func (b *Bucket) Read(ctx context.Context, key string, limit int64) ([]byte, error) {
	op := "s3: get " + key
	if limit < 0 {
		return nil, domain.E(op, domain.Invalid, fmt.Errorf("limit %d", limit))
	}
	out, err := b.c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.name), Key: aws.String(key),
		Range: aws.String(fmt.Sprintf("bytes=0-%d", limit))})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "InvalidRange" { // an empty object
			return []byte{}, nil
		}
		return nil, apiError(ctx, op, err)
	}
	defer out.Body.Close()
	var buf bytes.Buffer
	if n := aws.ToInt64(out.ContentLength); n > 0 && n <= limit+1 {
		buf.Grow(int(n))
	}
	if _, err := io.Copy(&buf, io.LimitReader(out.Body, limit+1)); err != nil {
		return nil, domain.E(op, domain.Unavailable, err)
	}
	return buf.Bytes(), nil
}

// Delete implements ports.Uploads; S3 answers a missing object with
// success too.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	_, err := b.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.name), Key: aws.String(key)})
	if err != nil && domain.KindOf(apiError(ctx, "", err)) != domain.NotFound {
		return apiError(ctx, "s3: delete "+key, err)
	}
	return nil
}

// PutNew implements ports.Production with If-None-Match: *, so the store
// itself refuses to replace an object (412 Precondition Failed, or 409
// when another conditional write of the key is in flight): Conflict.
func (b *Bucket) PutNew(ctx context.Context, key, contentType string, body []byte) error {
	_, err := b.c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(b.name), Key: aws.String(key), Body: bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String(contentType),
		IfNoneMatch: aws.String("*"),
	})
	if err != nil {
		return apiError(ctx, "s3: put "+key, err)
	}
	return nil
}

// Quarantine copies rejected uploads, server-side and byte for byte, from
// one bucket to Prefix+key in another (or the same) bucket.
type Quarantine struct {
	c            *s3.Client
	from, to     string
	prefix       string
	maxKeyLength int
}

var _ ports.Quarantine = (*Quarantine)(nil)

// NewQuarantine returns a Quarantine from bucket from to bucket to under
// prefix (e.g. "quarantine/").
func NewQuarantine(c *s3.Client, from, to, prefix string) *Quarantine {
	return &Quarantine{c: c, from: from, to: to, prefix: prefix, maxKeyLength: 1024}
}

// Quarantine implements ports.Quarantine. A key too long to take the
// prefix is kept under the prefix and a hash of the key instead.
func (q *Quarantine) Quarantine(ctx context.Context, key string) (string, error) {
	dst := q.prefix + key
	if len(dst) > q.maxKeyLength {
		dst = q.prefix + "long/" + hashKey(key)
	}
	src := q.from + "/" + escapePath(key)
	_, err := q.c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(q.to), Key: aws.String(dst), CopySource: aws.String(src)})
	if err != nil {
		return "", apiError(ctx, "s3: quarantine "+key, err)
	}
	return dst, nil
}

// escapePath URL-encodes each segment of a key for x-amz-copy-source.
func escapePath(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(url.PathEscape(p), "+", "%2B") // "+" would read as a space
	}
	return strings.Join(parts, "/")
}

// apiError gives an SDK error a domain Kind from its HTTP status and S3
// error code (see kindOf).
func apiError(ctx context.Context, op string, err error) error {
	var re *awshttp.ResponseError
	status := 0
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	code := ""
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	var kind domain.Kind
	switch {
	case code == "NoSuchKey" || code == "NotFound" || code == "NoSuchBucket":
		kind = domain.NotFound
	case code == "PreconditionFailed" || code == "ConditionalRequestConflict":
		kind = domain.Conflict
	case status != 0:
		kind = kindOf(status, code)
	case ctx.Err() != nil:
		return ctxError(op, ctx.Err())
	default: // no response: the store could not be reached
		kind = domain.Unavailable
	}
	return domain.E(op, kind, err)
}

var _ ports.UploadLister = (*Bucket)(nil)

// ListUploads implements ports.UploadLister with ListObjectsV2, a page of
// up to 1000 keys at a time.
func (b *Bucket) ListUploads(ctx context.Context, prefix string, each func(key string, modified time.Time) error) error {
	pages := s3.NewListObjectsV2Paginator(b.c, &s3.ListObjectsV2Input{Bucket: aws.String(b.name), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return apiError(ctx, "s3: list "+prefix, err)
		}
		for _, o := range page.Contents {
			if err := each(aws.ToString(o.Key), aws.ToTime(o.LastModified)); err != nil {
				return err
			}
		}
	}
	return nil
}
