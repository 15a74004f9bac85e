# make demo, fgz: a corrupt archive never replaces a restored file, even in a
# plain shell pipe (fgz -d hands over nearly all the data before it can check
# the CRC; the failure then travels down the pipe to fsink, which aborts).
step "a corrupt archive in a shell pipe: fread corrupt.sql.gz | fgz -d | fsink restore.sql"
zbytes=$(stat -c %s "$DIR/backup.sql.gz")
cp "$DIR/backup.sql.gz" "$DIR/corrupt.sql.gz"
# fgz ends its stream with a 30-byte empty member (so that a cut at a member
# boundary is seen); the last data member's CRC-32 sits just before it.
printf '\0\0\0\0' | dd of="$DIR/corrupt.sql.gz" bs=1 seek=$((zbytes - 30 - 8)) conv=notrunc status=none # zero that CRC-32
before=$(sha256sum <"$DIR/restore.sql")
if fread "$DIR/corrupt.sql.gz" | fgz -d | fsink "$DIR/restore.sql"; then
  echo "unexpected: the corrupt archive was restored" >&2
  exit 1
fi
[ "$before" = "$(sha256sum <"$DIR/restore.sql")" ] && echo "restore.sql unchanged: fsink discarded the $(human "$BYTES") that fgz -d wrote before the CRC check"
rm -f "$DIR/corrupt.sql.gz"
