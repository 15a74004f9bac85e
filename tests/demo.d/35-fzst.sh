# make demo, fzst: the sample backed up as zstd, checked by zstd itself,
# restored; and a damaged zstd archive that never replaces the restored
# file, even in a plain shell pipe.
step "zstd backup: fread sample.sql | fzst | fsink backup.sql.zst"
t0=$(now)
fread "$SAMPLE" | fzst | fsink "$DIR/backup.sql.zst"
t1=$(now)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
zbytes=$(stat -c %s "$DIR/backup.sql.zst")
printf 'compressed %s to %s (%.1f%%) in %.2f s (%s)\n' "$(human "$BYTES")" "$(human "$zbytes")" \
  "$(awk -v z="$zbytes" -v b="$BYTES" 'BEGIN { print 100 * z / b }')" "$secs" "$(mbps "$BYTES" "$secs")"
if command -v zstd >/dev/null; then zstd -q -t "$DIR/backup.sql.zst" && echo "zstd -t: the archive is good"; fi
fread "$DIR/backup.sql.zst" | fzst -d | fsink "$DIR/restore-zst.sql"
cmp "$SAMPLE" "$DIR/restore-zst.sql" && echo "fzst -d restored it; cmp: identical"

step "a damaged zstd archive: fread corrupt.sql.zst | fzst -d | fsink restore-zst.sql"
cp "$DIR/backup.sql.zst" "$DIR/corrupt.sql.zst"
printf '\0\0\0\0' | dd of="$DIR/corrupt.sql.zst" bs=1 seek=$((zbytes - 4)) conv=notrunc status=none # zero the last frame's checksum
before=$(sha256sum <"$DIR/restore-zst.sql")
if fread "$DIR/corrupt.sql.zst" | fzst -d | fsink "$DIR/restore-zst.sql"; then
  echo "unexpected: the damaged archive was restored" >&2
  exit 1
fi
[ "$before" = "$(sha256sum <"$DIR/restore-zst.sql")" ] && echo "restore-zst.sql unchanged: fsink discarded what fzst -d wrote before the checksum check"
rm -f "$DIR/corrupt.sql.zst"
