package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"vigil/domain"
	"vigil/ports"
)

// Presigner makes vigil-cloud's presigned URLs: PUTs into the upload
// bucket for devices, GETs of the production bucket for the gallery. Both
// are signed locally (SigV4 query signatures); no request is sent.
type Presigner struct {
	pc               *s3.PresignClient
	upload, produced string
}

var _ ports.Presigner = (*Presigner)(nil)

// NewPresigner signs with c's credentials for the buckets upload and
// production.
func NewPresigner(c *s3.Client, upload, production string) *Presigner {
	return &Presigner{pc: s3.NewPresignClient(c), upload: upload, produced: production}
}

// maxPresign is S3's longest presigned URL lifetime.
const maxPresign = 7 * 24 * time.Hour

func checkLifetime(op string, d time.Duration) error {
	if d < time.Second || d > maxPresign {
		return domain.E(op, domain.Invalid, fmt.Errorf("lifetime %s: want 1s..%s", d, maxPresign))
	}
	return nil
}

// PresignPut implements ports.Presigner: the length and the content type
// are signed headers, so the store refuses any other body length or type.
func (p *Presigner) PresignPut(ctx context.Context, key string, length int64, contentType string, lifetime time.Duration) (domain.UploadGrant, error) {
	const op = "presign put"
	if err := checkLifetime(op, lifetime); err != nil {
		return domain.UploadGrant{}, err
	}
	if key == "" || length < 1 || contentType == "" {
		return domain.UploadGrant{}, domain.E(op, domain.Invalid, errors.New("a key, a positive length and a content type are needed"))
	}
	expires := time.Now().Add(lifetime)
	r, err := p.pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(p.upload), Key: aws.String(key),
		ContentLength: aws.Int64(length), ContentType: aws.String(contentType)}, s3.WithPresignExpires(lifetime))
	if err != nil {
		return domain.UploadGrant{}, domain.E(op, domain.Internal, err)
	}
	g := domain.UploadGrant{URL: r.URL, Method: r.Method, Key: key, Headers: map[string]string{}, Expires: expires.UTC()}
	for k, vs := range r.SignedHeader {
		if k := http.CanonicalHeaderKey(k); k != "Host" && len(vs) > 0 {
			g.Headers[k] = vs[0]
		}
	}
	return g, nil
}

// PresignGet implements ports.Presigner.
func (p *Presigner) PresignGet(ctx context.Context, key string, lifetime time.Duration) (string, error) {
	const op = "presign get"
	if err := checkLifetime(op, lifetime); err != nil {
		return "", err
	}
	if key == "" {
		return "", domain.E(op, domain.Invalid, errors.New("no key"))
	}
	r, err := p.pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(p.produced), Key: aws.String(key)},
		s3.WithPresignExpires(lifetime))
	if err != nil {
		return "", domain.E(op, domain.Internal, err)
	}
	return r.URL, nil
}
