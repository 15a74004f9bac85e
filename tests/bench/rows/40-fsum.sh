# Rows for fsum, on the random input (hashing speed does not depend on the
# bytes). Every filter row reads a pipe and writes /dev/null, as its anchor
# reads the same pipe; the sum line goes to a file (--out --no-sync).
for spec in "${INPUTS[@]}"; do
  name=${spec%%:*}; in=${spec#*:}
  [ "$name" = random ] || continue
  bytes=$(fsize "$in")
  cat "$in" >/dev/null # warm the page cache for both sides
  o="-o '$SCRATCH/fsum.sum' --name - --no-sync"
  compare "cat | fsum (sha256)" "cat | sha256sum" "$name" "$bytes" \
    "cat '$in' | fsum $o > /dev/null" "cat '$in' | sha256sum > /dev/null" "target ≥ 1.54× (≤ 0.65× the time)"
  if have openssl openssl; then
    compare "cat | fsum (sha256)" "cat | openssl dgst -sha256" "$name" "$bytes" \
      "cat '$in' | fsum $o > /dev/null" "cat '$in' | openssl dgst -sha256 > /dev/null" "target ≥ 0.91× (≤ 1.1× the time)"
  fi
  compare "fsum FILE (sha256)" "sha256sum FILE" "$name" "$bytes" \
    "fsum '$in' > /dev/null" "sha256sum '$in' > /dev/null"
  if have b3sum b3sum; then
    compare "cat | fsum -a blake3" "b3sum --num-threads 1 FILE" "$name" "$bytes" \
      "cat '$in' | fsum -a blake3 $o > /dev/null" "b3sum --num-threads 1 '$in' > /dev/null" "target ≥ 1500 MB/s; b3sum mmaps the file"
    compare "cat | fsum -a blake3" "cat | b3sum" "$name" "$bytes" \
      "cat '$in' | fsum -a blake3 $o > /dev/null" "cat '$in' | b3sum > /dev/null" "b3sum cannot use threads on a pipe"
  fi
  compare "cat | fsum -a crc32c" "cat | cat" "$name" "$bytes" \
    "cat '$in' | fsum -a crc32c $o > /dev/null" "cat '$in' | cat > /dev/null" "target ≥ 4000 MB/s; no CRC32C anchor"
  compare "fread | fsum -a crc32c" "fread | cat" "$name" "$bytes" \
    "fread '$in' | fsum -a crc32c $o > /dev/null" "fread '$in' | cat > /dev/null" "fread splices into the pipe: one copy left"
  compare "fsum -a crc32c < FILE" "cat < FILE" "$name" "$bytes" \
    "fsum -a crc32c $o < '$in' > /dev/null" "cat < '$in' > /dev/null" "no pipe: the hash's own speed"
  rm -f "$SCRATCH/fsum.sum"
done
NOTES+=("fsum rows: sha256 with SHA-NI where the CPU has it (Go's crypto/sha256 and openssl use it, coreutils 9.1 sha256sum does not); BLAKE3 is github.com/zeebo/blake3, one core.")
