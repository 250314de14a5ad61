package s3

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ClientOptions say how to reach an S3 store.
type ClientOptions struct {
	// Endpoint of an S3-compatible store (e.g. http://127.0.0.1:7070);
	// empty: AWS.
	Endpoint string
	// Region (empty: the SDK's default chain, then us-east-1).
	Region string
	// PathStyle addresses buckets as /bucket/key (most self-hosted stores
	// want it; on by default when Endpoint is set).
	PathStyle bool
}

// NewClient returns an S3 client for o with cfg's credentials (see
// config.LoadDefaultConfig).
func NewClient(cfg aws.Config, o ClientOptions) *s3.Client {
	if o.Region != "" {
		cfg.Region = o.Region
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(strings.TrimRight(o.Endpoint, "/"))
			so.UsePathStyle = true
		}
		if o.PathStyle {
			so.UsePathStyle = true
		}
		// Checksums only where an operation requires one: S3-compatible
		// stores differ in the trailing checksums they accept.
		so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
}

// hashKey names an object by a hash of another key.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
