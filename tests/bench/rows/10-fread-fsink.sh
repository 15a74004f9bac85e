# Rows for fread and fsink.
for spec in "${INPUTS[@]}"; do
  name=${spec%%:*}; in=${spec#*:}; bytes=$(fsize "$in")
  cat "$in" >/dev/null # warm the page cache for both sides
  compare "fread > file" "cat > file" "$name" "$bytes" \
    "fread '$in' > '$SCRATCH/o1'" "cat '$in' > '$SCRATCH/o2'"
  if have pv pv; then
    compare "fread | reader" "pv -q | reader" "$name" "$bytes" \
      "fread '$in' | cat > /dev/null" "pv -q '$in' | cat > /dev/null"
  fi
  compare "fread | reader" "cat | reader" "$name" "$bytes" \
    "fread '$in' | cat > /dev/null" "cat '$in' | cat > /dev/null"
  compare "fread | fsink --no-sync" "cat | cat >" "$name" "$bytes" \
    "fread '$in' | fsink --no-sync '$SCRATCH/o1'" "cat '$in' | cat > '$SCRATCH/o2'"
  compare "fsink (fsync)" "dd bs=1M conv=fsync" "$name" "$bytes" \
    "fsink '$SCRATCH/o1' < '$in'" "dd if='$in' of='$SCRATCH/o2' bs=1M conv=fsync status=none"
  if have sponge moreutils; then
    compare "fsink (fsync)" "sponge" "$name" "$bytes" \
      "fsink '$SCRATCH/o1' < '$in'" "sponge '$SCRATCH/o2' < '$in'"
  fi
  rm -f "$SCRATCH/o1" "$SCRATCH/o2"
done
