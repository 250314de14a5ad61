// Package awsconfig loads the AWS SDK configuration the cloud commands
// (vigil-validator, vigil-cloud) share: credentials from the process's
// environment as given (getenv, so tests pass their own), otherwise the
// SDK's default chain (a Lambda's or a task's role, shared files). Every
// HTTP exchange with AWS ends after HTTPTimeout, so a hung call cannot hold
// a request or a sweep forever even when its context has no deadline.
package awsconfig

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// DefaultRegion is used when neither region nor the SDK names one (an
// S3- or DynamoDB-compatible server on loopback ignores it).
const DefaultRegion = "us-east-1"

// HTTPTimeout bounds one HTTP exchange with AWS (connection, request and
// the whole response body); the SDK may retry after it.
const HTTPTimeout = 30 * time.Second

// Load returns the configuration for region ("" leaves it to the SDK).
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN)
// from getenv, when set, are the credentials.
func Load(ctx context.Context, region string, getenv func(string) string) (aws.Config, error) {
	return load(ctx, region, getenv, HTTPTimeout)
}

func load(ctx context.Context, region string, getenv func(string) string, timeout time.Duration) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(timeout))}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if id := getenv("AWS_ACCESS_KEY_ID"); id != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(id, getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"))))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return cfg, nil
}
