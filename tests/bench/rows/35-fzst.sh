# Rows for fzst: compression at the default level against zstd -3 -T2
# (speed, and compressed size in the note), decompression against zstd -d
# on the same file, and the Pareto view on the GOROOT tar: each of the
# library's four encoders against the zstd level whose size it comes
# closest to. Every command reads a file on stdin and writes a file, as a
# user's `fzst < a > a.zst` does.
if have zstd zstd; then
  # zsize CMD IN: bytes of CMD's output for IN
  zsize() { bash -c "$1 < '$2'" | wc -c; }
  # zsizenote OURS THEIRS BYTES: "size 100.3% of zstd's; ratio 3.21 vs 3.22"
  zsizenote() {
    awk -v o="$1" -v t="$2" -v b="$3" 'BEGIN { if (o < 1) o = 1; if (t < 1) t = 1;
      printf "size %.1f%% of zstd'"'"'s; ratio %.2f vs %.2f", 100*o/t, b/o, b/t }'
  }
  for spec in "${INPUTS[@]}"; do
    name=${spec%%:*}; in=${spec#*:}; bytes=$(fsize "$in")
    cat "$in" >/dev/null # warm the page cache for both sides
    ours=$(zsize "fzst" "$in"); theirs=$(zsize "zstd -3 -T2 -c" "$in")
    compare "fzst" "zstd -3 -T2" "$name" "$bytes" \
      "fzst < '$in' > '$SCRATCH/fzst.zst'" "zstd -q -3 -T2 -c < '$in' > '$SCRATCH/zstd.zst'" \
      "$(zsizenote "$ours" "$theirs" "$bytes"); target ≥ 1.00×, size ≤ 103%"
    [ "$name" = random ] && { rm -f "$SCRATCH/fzst.zst" "$SCRATCH/zstd.zst"; continue; }

    # Decompression, both tools on the same file (zstd -3's output).
    zstd -q -3 -T2 -c < "$in" > "$SCRATCH/in.zst"
    zbytes=$(fsize "$SCRATCH/in.zst")
    compare "fzst -d" "zstd -d" "$name" "$bytes" \
      "fzst -d < '$SCRATCH/in.zst' > '$SCRATCH/out'" "zstd -q -d -c < '$SCRATCH/in.zst' > '$SCRATCH/out2'" \
      "MB/s of output; input $(numfmt --to=iec "$zbytes") from zstd -3; target ≥ 0.80×"
    compare "fzst -t" "zstd -t" "$name" "$bytes" \
      "fzst -t < '$SCRATCH/in.zst'" "zstd -q -t < '$SCRATCH/in.zst'" \
      "check only, nothing written"

    # Pareto: the other encoders against the zstd level nearest in size.
    if [ "$name" = goroot.tar ]; then
      for pair in "-1:-1" "-7:-7" "-12:-11"; do
        ol=${pair%%:*}; tl=${pair#*:}
        ours=$(zsize "fzst $ol" "$in"); theirs=$(zsize "zstd $tl -T2 -c" "$in")
        compare "fzst $ol" "zstd $tl -T2" "$name" "$bytes" \
          "fzst $ol < '$in' > '$SCRATCH/fzst.zst'" "zstd -q $tl -T2 -c < '$in' > '$SCRATCH/zstd.zst'" \
          "Pareto point: $(zsizenote "$ours" "$theirs" "$bytes")"
      done
    fi
    rm -f "$SCRATCH/in.zst" "$SCRATCH/out" "$SCRATCH/out2" "$SCRATCH/fzst.zst" "$SCRATCH/zstd.zst"
  done
  NOTES+=("fzst rows: zstd runs with -T2 (two threads, the machine's CPUs); fzst -1 = SpeedFastest, -3 = SpeedDefault, -7 = SpeedBetterCompression, -12 = SpeedBestCompression (klauspost/compress). Sizes and ratios from one extra run of each command.")
fi
