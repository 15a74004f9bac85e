# make demo, fgz and fsum: the backup chain compresses and writes
# backup.sql.gz.sha256 on the way, coreutils' sha256sum -c verifies the pair,
# and a restore through fsum --verify refuses a damaged copy without touching
# the old restore.
step "backup with its sum: fread sample.sql | fgz | fsum -o backup.sql.gz.sha256 --name backup.sql.gz | fsink backup.sql.gz"
t0=$(now)
fread "$SAMPLE" | fgz | fsum -o "$DIR/backup.sql.gz.sha256" --name backup.sql.gz | fsink "$DIR/backup.sql.gz"
t1=$(now)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
printf '%s → %s (%s%%) in %.2f s (%s of input)\n' "$(human "$BYTES")" "$(human "$(stat -c %s "$DIR/backup.sql.gz")")" \
  "$(awk -v a="$(stat -c %s "$DIR/backup.sql.gz")" -v b="$BYTES" 'BEGIN { printf "%.1f", 100 * a / b }')" "$secs" "$(mbps "$BYTES" "$secs")"
cat "$DIR/backup.sql.gz.sha256"

step "verify with the standard tools: gzip -t, sha256sum -c, and fgz -d | cmp"
gzip -t "$DIR/backup.sql.gz" && echo "gzip -t: OK"
(cd "$DIR" && sha256sum -c backup.sql.gz.sha256)
fgz -d <"$DIR/backup.sql.gz" | cmp - "$SAMPLE" && echo "fgz -d: identical to sample.sql"

step "the same backup in one process, all or nothing: fpipe 'fread | fgz | fsum -o | fsink'"
t0=$(now)
fpipe "fread '$SAMPLE' | fgz | fsum -o '$DIR/backup2.sql.gz.sha256' --name backup.sql.gz | fsink '$DIR/backup2.sql.gz'"
t1=$(now)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
printf 'done in %.2f s (%s); same bytes as the shell pipe: ' "$secs" "$(mbps "$BYTES" "$secs")"
cmp "$DIR/backup.sql.gz" "$DIR/backup2.sql.gz" && echo yes
rm -f "$DIR/backup2.sql.gz" "$DIR/backup2.sql.gz.sha256"

step "restore through fsum --verify, then from a damaged copy (one byte flipped)"
fpipe "fread '$DIR/backup.sql.gz' | fsum --verify '$DIR/backup.sql.gz.sha256' --name backup.sql.gz | fgz -d | fsink '$DIR/restore.sql'"
cmp "$SAMPLE" "$DIR/restore.sql" && echo "restore.sql: identical to sample.sql"
cp "$DIR/backup.sql.gz" "$DIR/damaged.sql.gz"
printf '\x00' | dd of="$DIR/damaged.sql.gz" bs=1 seek=$(($(stat -c %s "$DIR/damaged.sql.gz") / 2)) conv=notrunc status=none
before=$(sha256sum <"$DIR/restore.sql")
if fpipe "fread '$DIR/damaged.sql.gz' | fsum --verify '$DIR/backup.sql.gz.sha256' --name backup.sql.gz | fgz -d | fsink '$DIR/restore.sql'"; then
  echo "unexpected: the damaged copy was restored" >&2
  exit 1
fi
[ "$before" = "$(sha256sum <"$DIR/restore.sql")" ] && echo "restore.sql unchanged, no temporary file left: $(ls -A "$DIR" | grep -c fsink-tmp || true) found"
rm -f "$DIR/damaged.sql.gz"
