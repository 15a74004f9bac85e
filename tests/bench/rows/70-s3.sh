# Rows for s3:// places: fsink and fread against rclone, the AWS CLI and one
# curl PUT, all to the same Versity Gateway on loopback, on a 256 MiB dump
# (the bench's dump in --smoke). The server writes to $OUT/s3.
VGW=$(command -v versitygw || true)
[ -z "$VGW" ] && [ -x "$(go env GOPATH)/bin/versitygw" ] && VGW=$(go env GOPATH)/bin/versitygw
if [ -z "$VGW" ]; then
  MISSING+=("versitygw (go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)")
else
  S3IN=$DUMP
  if [ $SMOKE = 0 ]; then
    S3IN=$OUT/dump-256M.sql
    [ -s "$S3IN" ] || "$OUT/gendump" 268435456 >"$S3IN"
  fi
  s3bytes=$(fsize "$S3IN"); s3label="dump $(numfmt --to=iec "$s3bytes")"
  rm -rf "$OUT/s3"; mkdir -p "$OUT/s3"
  S3PORT=$(( 20000 + RANDOM % 20000 ))
  "$VGW" --port "127.0.0.1:$S3PORT" --access bench --secret bench-secret posix "$OUT/s3" >"$OUT/versitygw.log" 2>&1 &
  S3PID=$!
  trap 'kill $S3PID 2>/dev/null || true' EXIT
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$S3PORT") 2>/dev/null && break; sleep 0.1; done
  S3URL=http://127.0.0.1:$S3PORT
  # The bucket through the API: a folder made by hand has no ACL.
  curl -sf --aws-sigv4 aws:amz:us-east-1:s3 -u bench:bench-secret -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X PUT "$S3URL/bench" ||
    mkdir -p "$OUT/s3/bench"
  export AWS_ENDPOINT_URL=$S3URL AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
  export RCLONE_CONFIG_BS3_TYPE=s3 RCLONE_CONFIG_BS3_PROVIDER=Other RCLONE_CONFIG_BS3_ENDPOINT=$S3URL \
    RCLONE_CONFIG_BS3_ACCESS_KEY_ID=bench RCLONE_CONFIG_BS3_SECRET_ACCESS_KEY=bench-secret \
    RCLONE_CONFIG_BS3_FORCE_PATH_STYLE=true RCLONE_CONFIG_BS3_REGION=us-east-1
  cat "$S3IN" >/dev/null
  fread "$S3IN" | fsink s3://bench/down.sql # the object the downloads read
  AWS=/usr/bin/aws # Debian's awscli 2; a pip one may shadow it on PATH
  if have rclone rclone; then
    compare "fsink s3://" "rclone rcat" "$s3label" "$s3bytes" \
      "fread '$S3IN' | fsink s3://bench/up1" "fread '$S3IN' | env -u AWS_CA_BUNDLE rclone rcat bs3:bench/up2"
    compare "fread s3:// | reader" "rclone cat | reader" "$s3label" "$s3bytes" \
      "fread s3://bench/down.sql | cat > /dev/null" "env -u AWS_CA_BUNDLE rclone cat bs3:bench/down.sql | cat > /dev/null"
  fi
  if [ -x "$AWS" ] || have aws awscli; then
    compare "fsink s3://" "aws s3 cp -" "$s3label" "$s3bytes" \
      "fread '$S3IN' | fsink s3://bench/up1" "fread '$S3IN' | $AWS --endpoint-url $S3URL s3 cp - s3://bench/up3"
    compare "fread s3:// | reader" "aws s3 cp s3://… -" "$s3label" "$s3bytes" \
      "fread s3://bench/down.sql | cat > /dev/null" "$AWS --endpoint-url $S3URL s3 cp s3://bench/down.sql - | cat > /dev/null"
  fi
  if have curl curl; then
    # One PUT of the file: the server's own ceiling (a file, not a stream).
    compare "fsink s3://" "curl -T (one PUT)" "$s3label" "$s3bytes" \
      "fread '$S3IN' | fsink s3://bench/up1" \
      "curl -sf --aws-sigv4 aws:amz:us-east-1:s3 -u bench:bench-secret -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -T '$S3IN' $S3URL/bench/up4" \
      "curl sends a file of known length"
  fi
  kill $S3PID; wait $S3PID 2>/dev/null || true
  trap - EXIT
  rm -rf "$OUT/s3"
  unset AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
fi
