# make demo, S3: start a real S3 server (Versity Gateway) on loopback, back the
# sample up to it off the machine as it would go to AWS, restore it, compare;
# then show that a failing upstream leaves the old object and no upload.
VGW=$(command -v versitygw || true)
[ -z "$VGW" ] && [ -x "$(go env GOPATH)/bin/versitygw" ] && VGW=$(go env GOPATH)/bin/versitygw
if [ -z "$VGW" ]; then
  step "S3: skipped (no versitygw; go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)"
else
  S3DIR=$(mktemp -d)
  PORT=$(( 20000 + RANDOM % 20000 ))
  "$VGW" --port "127.0.0.1:$PORT" --access demo --secret demo-secret posix "$S3DIR" >"$S3DIR.log" 2>&1 &
  VGW_PID=$!
  trap 'kill $VGW_PID 2>/dev/null; wait $VGW_PID 2>/dev/null; rm -rf "$S3DIR" "$S3DIR.log"' EXIT
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
  # the bucket through the API (a folder made by hand has no ACL)
  curl -sf --aws-sigv4 aws:amz:us-east-1:s3 -u demo:demo-secret -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X PUT "http://127.0.0.1:$PORT/backups" ||
    mkdir "$S3DIR/backups"
  export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret AWS_REGION=us-east-1

  step "off-site backup to S3 (versitygw on 127.0.0.1:$PORT): fpipe 'fread | fgz | fsum -o s3://… | fsink s3://backups/backup.sql.gz'"
  t0=$(now)
  fpipe "fread '$SAMPLE' | fgz | fsum -o s3://backups/backup.sql.gz.sha256 --name backup.sql.gz | fsink s3://backups/backup.sql.gz"
  t1=$(now)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  printf 'uploaded in %.2f s (%s of input); the object: %s\n' "$secs" "$(mbps "$BYTES" "$secs")" "$(human "$(stat -c %s "$S3DIR/backups/backup.sql.gz")")"
  fread s3://backups/backup.sql.gz.sha256

  step "restore from S3: fread s3://… | fsum --verify | fgz -d | fsink restore-s3.sql"
  fread s3://backups/backup.sql.gz.sha256 | fsink "$DIR/s3.sum"
  t0=$(now)
  fread s3://backups/backup.sql.gz | fsum --verify "$DIR/s3.sum" | fgz -d | fsink "$DIR/restore-s3.sql"
  t1=$(now)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  cmp "$SAMPLE" "$DIR/restore-s3.sql" && printf 'restored in %.2f s; restore-s3.sql: identical to sample.sql\n' "$secs"

  step "a failing upstream keeps the old object: fread sample.sql missing.sql | fsink s3://backups/backup.sql.gz"
  before=$(sha256sum <"$S3DIR/backups/backup.sql.gz")
  if fread "$SAMPLE" "$DIR/missing.sql" | fsink s3://backups/backup.sql.gz; then
    echo "unexpected: the pipeline succeeded" >&2
    exit 1
  fi
  [ "$before" = "$(sha256sum <"$S3DIR/backups/backup.sql.gz")" ] && echo "the object is unchanged"
  fsink --s3-abort-stale --older-than 0s s3://backups/ | grep -c aborted | sed "s/^/stale uploads found by fsink --s3-abort-stale: /" || true
  rm -f "$DIR/restore-s3.sql" "$DIR/s3.sum"
  kill $VGW_PID; wait $VGW_PID 2>/dev/null || true
  rm -rf "$S3DIR" "$S3DIR.log"
  trap - EXIT
  unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
fi
