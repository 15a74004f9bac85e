# Rows for fzst: compression at the default level against zstd -3 -T2
# (speed, and compressed size in the note), decompression against zstd -d
# on the same file, and the Pareto view on the dump and the GOROOT tar:
# for each zstd level 1 to 9 (-T2), the fastest fzst level whose output is
# at least as small. Every command reads a file on stdin and writes a file,
# as a user's `fzst < a > a.zst` does.
if have zstd zstd; then
  # zsize CMD IN: bytes of CMD's output for IN
  zsize() { bash -c "$1 < '$2'" | wc -c; }
  # zsizenote OURS THEIRS BYTES: "size 100.3% of zstd's; ratio 3.21 vs 3.22"
  zsizenote() {
    awk -v o="$1" -v t="$2" -v b="$3" 'BEGIN { if (o < 1) o = 1; if (t < 1) t = 1;
      printf "size %.1f%% of zstd'"'"'s; ratio %.2f vs %.2f", 100*o/t, b/o, b/t }'
  }
  # ztime CMD: run CMD under bash, print "seconds maxrss_kib cpu_seconds"
  # (CPU: user plus system time of the whole pipeline). Fails if CMD fails.
  ztime() {
    local t
    t=$(mktemp)
    if ! /usr/bin/time -f '%e %M %U %S' -o "$t" bash -o pipefail -c "$1" >/dev/null 2>>"$OUT/stderr.log"; then
      echo "benchmark command failed: $1 (see $OUT/stderr.log)" >&2
      rm -f "$t"
      return 1
    fi
    tail -n1 "$t" | awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }'
    rm -f "$t"
  }
  # pareto NAME IN BYTES: times zstd -1 ... -9 -T2 and fzst at each of its
  # distinct ways of compressing (-1 fastest, -3 default, -6 better in
  # frames, -7 better in one frame), all in turn, RUNS rounds; then one row
  # per zstd level: the fastest fzst level at least as small, or why none.
  pareto() {
    local name=$1 in=$2 bytes=$3 r c i
    local cmds=() labels=()
    for i in 1 2 3 4 5 6 7 8 9; do
      labels+=("zstd -$i -T2"); cmds+=("zstd -q -$i -T2 -c < '$in' > '$SCRATCH/p$i.zst'")
    done
    for i in 1 3 6 7; do
      labels+=("fzst -$i"); cmds+=("fzst -$i < '$in' > '$SCRATCH/p$((i + 10)).zst'")
    done
    local -A secs rss cpu size
    for ((r = 0; r < RUNS; r++)); do
      for c in "${!cmds[@]}"; do
        read -r s m u < <(ztime "${cmds[$c]}") || { ROWS+=("| ${labels[$c]} | | $name | failed | | | | | |"); return 0; }
        secs[$c]+="$s "; rss[$c]+="$m "; cpu[$c]+="$u "
      done
    done
    # One file per command: its size, then the medians.
    local tab=()
    for c in "${!cmds[@]}"; do
      local f=${cmds[$c]##*> \'}; f=${f%\'}
      tab+=("${labels[$c]}|$(fsize "$f")|$(tr ' ' '\n' <<<"${secs[$c]}" | grep . | median)|$(tr ' ' '\n' <<<"${rss[$c]}" | grep . | median)|$(tr ' ' '\n' <<<"${cpu[$c]}" | grep . | median)")
      rm -f "$f"
    done
    # Every point, for the record: MB/s, CPU seconds, compressed MB.
    NOTES+=("$name points (MB/s, CPU s, output MB): $(printf '%s\n' "${tab[@]}" | awk -F'|' -v b="$bytes" '
      { t = ($3 < 0.005 ? 0.005 : $3); printf "%s%s %.0f, %.2f, %.1f", (NR > 1 ? "; " : ""), $1, b/t/1e6, $5, $2/1e6 }').")
    # The rows: for zstd -L, the fzst level with size <= zstd's and the
    # least time; if there is none, the smallest fzst level, said so.
    mapfile -t -O "${#ROWS[@]}" ROWS < <(printf '%s\n' "${tab[@]}" | awk -F'|' -v inp="$name" -v b="$bytes" '
      { lab[NR] = $1; sz[NR] = $2; t[NR] = ($3 < 0.005 ? 0.005 : $3); m[NR] = $4; u[NR] = $5; isz[NR] = ($1 ~ /^zstd/) }
      END {
        for (z = 1; z <= NR; z++) {
          if (!isz[z]) continue
          best = 0; small = 0
          for (f = 1; f <= NR; f++) {
            if (isz[f]) continue
            if (small == 0 || sz[f] < sz[small]) small = f
            if (sz[f] <= sz[z] && (best == 0 || t[f] < t[best])) best = f
          }
          pick = best ? best : small
          note = best ? (t[best] <= t[z] ? "Pareto: as small and as fast" : "Pareto: as small, slower") : "Pareto: no fzst level this small; the smallest shown"
          printf "| %s | %s | %s | %.0f | %.0f | %.2f× | %.1f MiB | %.1f MiB | %s; size %.1f%% of zstd'"'"'s; CPU %.2f s vs %.2f s |\n",
            lab[pick], lab[z], inp, b/t[pick]/1e6, b/t[z]/1e6, t[z]/t[pick], m[pick]/1024, m[z]/1024, note, 100*sz[pick]/sz[z], u[pick], u[z]
        }
      }')
    # SpeedBestCompression: one run, to show what the smallest fzst costs.
    read -r s m u < <(ztime "fzst -12 < '$in' > '$SCRATCH/p12.zst'") || return 0
    local z9
    z9=$(printf '%s\n' "${tab[@]}" | awk -F'|' '$1 == "zstd -9 -T2" { print $2 " " $3 }')
    NOTES+=("$name: fzst -12 (SpeedBestCompression) makes $(awk -v a="$(fsize "$SCRATCH/p12.zst")" -v z="${z9% *}" 'BEGIN { printf "%.1f%%", 100*a/z }') of zstd -9 -T2's size in $s s (one run; CPU $u s), zstd -9 -T2 in ${z9#* } s (median).")
    rm -f "$SCRATCH/p12.zst"
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
    rm -f "$SCRATCH/in.zst" "$SCRATCH/out" "$SCRATCH/out2" "$SCRATCH/fzst.zst" "$SCRATCH/zstd.zst"

    pareto "$name" "$in" "$bytes"
  done
  NOTES+=("fzst rows: zstd runs with -T2 (two threads, the machine's CPUs). Pareto rows: zstd -1 ... -9 and fzst -1 (SpeedFastest), -3 (SpeedDefault), -6 (SpeedBetterCompression in 4 MiB frames), -7 (SpeedBetterCompression, one frame) run in turn, RUNS rounds, medians; for each zstd level the row shows the fastest fzst level whose output is at least as small; CPU is user plus system seconds, median. Sizes of the other rows from one extra run of each command.")
fi
