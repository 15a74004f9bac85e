// Package s3 is the S3 stage family: a [Writer] that is a stages.Sink for
// s3://bucket/key (a multipart upload that becomes visible only at Commit)
// and a [Reader] that streams an object with ranged GETs pinned to its
// ETag. It speaks the S3 REST API directly (Signature Version 4 over
// net/http), so that memory, retries and integrity checks are under its
// own control: part buffers are allocated once, up front, within a budget;
// a failed request is resent from memory with backoff and jitter a bounded
// number of times; every part carries a CRC32C the server verifies, and the
// completed object's composite checksum is compared with what passed
// through before Commit returns.
//
// Credentials, region and endpoint come from the places AWS tools use:
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE,
// AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_S3,
// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE (see [LoadConfig]).
// Errors never contain the secret key or the session token.
package s3
