package blob

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/lifecycle"
)

// S3 keeps files in an S3-compatible bucket and returns presigned GET URLs
// valid for the lifetime (at most 7 days, the S3 limit for presigning).
type S3 struct {
	client   *minio.Client
	bucket   string
	prefix   string
	lifetime time.Duration
	public   string // when set, objects are public under this base URL
}

// ParseS3URL reads the ZHENG_S3 form:
//
//	s3://ACCESS_KEY:SECRET_KEY@host[:port]/bucket[/prefix]?secure=true&region=us-east-1&public=https://cdn.example.com/bucket
//
// secure defaults to true; public, when given, makes URLs plain public
// links under that base instead of presigned ones.
func ParseS3URL(raw string) (endpoint, bucket, prefix, access, secret, region, public string, secure bool, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", "", "", "", "", "", "", false, fmt.Errorf("blob: ZHENG_S3 %q: want s3://KEY:SECRET@host/bucket", redact(raw))
	}
	endpoint = u.Host
	path := trimSlashes(u.Path)
	bucket, prefix = path, ""
	for i := 0; i < len(path); i++ {
		if path[i] == '/' {
			bucket, prefix = path[:i], path[i+1:]+"/"
			break
		}
	}
	if bucket == "" {
		return "", "", "", "", "", "", "", false, fmt.Errorf("blob: ZHENG_S3: no bucket in the path")
	}
	if u.User != nil {
		access = u.User.Username()
		secret, _ = u.User.Password()
	}
	q := u.Query()
	secure = true
	if v := q.Get("secure"); v != "" {
		if secure, err = strconv.ParseBool(v); err != nil {
			return "", "", "", "", "", "", "", false, fmt.Errorf("blob: ZHENG_S3 secure=%q", v)
		}
	}
	return endpoint, bucket, prefix, access, secret, q.Get("region"), q.Get("public"), secure, nil
}

func trimSlashes(s string) string {
	for len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// NewS3 connects to the bucket named by a ZHENG_S3 URL. It sets a
// lifecycle rule expiring objects after the lifetime (rounded up to days,
// the unit S3 knows) when it may; failing that, the bucket's own policy
// applies.
func NewS3(ctx context.Context, rawURL string, lifetime time.Duration) (*S3, error) {
	endpoint, bucket, prefix, access, secret, region, public, secure, err := ParseS3URL(rawURL)
	if err != nil {
		return nil, err
	}
	if lifetime <= 0 {
		lifetime = DefaultLifetime
	}
	c, err := minio.New(endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(access, secret, ""),
		Secure: secure,
		Region: region,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: s3: %w", err)
	}
	ok, err := c.BucketExists(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("blob: s3 bucket %s: %w", bucket, err)
	}
	if !ok {
		return nil, fmt.Errorf("blob: s3 bucket %s does not exist", bucket)
	}
	days := int((lifetime + 24*time.Hour - 1) / (24 * time.Hour))
	cfg := lifecycle.NewConfiguration()
	cfg.Rules = []lifecycle.Rule{{
		ID:         "zheng-expire",
		Status:     "Enabled",
		RuleFilter: lifecycle.Filter{Prefix: prefix},
		Expiration: lifecycle.Expiration{Days: lifecycle.ExpirationDays(days)},
	}}
	_ = c.SetBucketLifecycle(ctx, bucket, cfg) // best effort: may lack the permission
	return &S3{client: c, bucket: bucket, prefix: prefix, lifetime: lifetime, public: public}, nil
}

// Put uploads data and returns its URL.
func (s *S3) Put(ctx context.Context, data []byte, contentType string) (Ref, error) {
	name, err := randomName(extFor(contentType))
	if err != nil {
		return Ref{}, err
	}
	key := s.prefix + name
	_, err = s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: contentType, Expires: time.Now().Add(s.lifetime)})
	if err != nil {
		return Ref{}, fmt.Errorf("blob: s3 put: %w", err)
	}
	if s.public != "" {
		return Ref{URL: trimRight(s.public) + "/" + key}, nil
	}
	exp := min(s.lifetime, 7*24*time.Hour)
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, exp, nil)
	if err != nil {
		return Ref{}, fmt.Errorf("blob: s3 presign: %w", err)
	}
	return Ref{URL: u.String()}, nil
}

func trimRight(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}
