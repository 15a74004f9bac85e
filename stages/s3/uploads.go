package s3

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Upload is an incomplete multipart upload.
type Upload struct {
	Key       string    `xml:"Key"`
	UploadID  string    `xml:"UploadId"`
	Initiated time.Time `xml:"Initiated"`
}

// ListUploads returns the incomplete multipart uploads of bucket whose key
// starts with prefix, all pages of them.
func (c *Client) ListUploads(ctx context.Context, bucket, prefix string) ([]Upload, error) {
	var all []Upload
	q := url.Values{"uploads": {""}}
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	for page := 0; page < 100000; page++ {
		var out struct {
			Uploads            []Upload `xml:"Upload"`
			IsTruncated        bool     `xml:"IsTruncated"`
			NextKeyMarker      string   `xml:"NextKeyMarker"`
			NextUploadIDMarker string   `xml:"NextUploadIdMarker"`
		}
		if _, err := c.call(ctx, &request{op: "list uploads", method: http.MethodGet, bucket: bucket, query: q}, &out); err != nil {
			return all, err
		}
		all = append(all, out.Uploads...)
		if !out.IsTruncated || (out.NextKeyMarker == "" && out.NextUploadIDMarker == "") {
			break
		}
		q.Set("key-marker", out.NextKeyMarker)
		q.Set("upload-id-marker", out.NextUploadIDMarker)
	}
	return all, nil
}

// AbortUpload aborts one multipart upload and frees its parts.
func (c *Client) AbortUpload(ctx context.Context, bucket, key, uploadID string) error {
	_, err := c.call(ctx, &request{op: "abort upload", method: http.MethodDelete, bucket: bucket, key: key,
		query: url.Values{"uploadId": {uploadID}}}, nil)
	return err
}

// AbortStale aborts the incomplete uploads under prefix that were started
// before olderThan ago, calling report (when not nil) for each before it
// is aborted, and returns how many it aborted. An upload still running is
// younger than any sensible age: give one longer than the longest upload.
func (c *Client) AbortStale(ctx context.Context, bucket, prefix string, olderThan time.Duration, report func(Upload)) (int, error) {
	ups, err := c.ListUploads(ctx, bucket, prefix)
	if err != nil {
		return 0, err
	}
	cut := c.now().Add(-olderThan)
	n := 0
	for _, u := range ups {
		if !u.Initiated.Before(cut) {
			continue
		}
		if report != nil {
			report(u)
		}
		if err := c.abortFully(ctx, bucket, u.Key, u.UploadID); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// CreateBucket creates a bucket in the client's region.
func (c *Client) CreateBucket(ctx context.Context, bucket string) error {
	r := &request{op: "create bucket", method: http.MethodPut, bucket: bucket}
	if c.cfg.Region != "us-east-1" {
		body := `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>` + c.cfg.Region + `</LocationConstraint></CreateBucketConfiguration>`
		r.body = func() io.Reader { return strings.NewReader(body) }
		r.length = int64(len(body))
	}
	_, err := c.call(ctx, r, nil)
	return err
}
