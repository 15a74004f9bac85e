# Rows for fgz: compression against pigz -p2 at the same level (speed, and
# compressed size in the note), decompression of fgz's own output against
# pigz -d on pigz's, and of gzip's and pigz's output against pigz -d and
# igzip -d on the same file, and the Pareto view: the first fgz level whose output is as
# small as pigz -6's, and its speed there. Every command reads a file on
# stdin and writes a file, as a user's `fgz < a > a.gz` does.
if have pigz pigz && have gzip gzip; then
  # gzsize CMD IN: bytes of CMD's output for IN
  gzsize() { bash -c "$1 < '$2'" | wc -c; }
  # sizenote OURS THEIRS BYTES: "size 103.4% of pigz's; ratio 3.21 vs 3.34"
  sizenote() {
    awk -v o="$1" -v t="$2" -v b="$3" 'BEGIN { if (o < 1) o = 1; if (t < 1) t = 1;
      printf "size %.1f%% of pigz'"'"'s; ratio %.2f vs %.2f", 100*o/t, b/o, b/t }'
  }
  for spec in "${INPUTS[@]}"; do
    name=${spec%%:*}; in=${spec#*:}; bytes=$(fsize "$in")
    cat "$in" >/dev/null # warm the page cache for both sides
    if [ "$name" = random ]; then
      levels="6"
    else
      levels="6 1 9"
    fi
    for l in $levels; do
      ours=$(gzsize "fgz -$l" "$in"); theirs=$(gzsize "pigz -p2 -$l" "$in")
      target=""
      case "$name/$l" in
        random/6) target="target ≥ 20×, output ≤ input + 0.1% (here +$(awk -v o="$ours" -v b="$bytes" 'BEGIN { printf "%.3f", 100*(o-b)/b }')%)" ;;
        */6) target="target ≥ 2.5×, size ≤ 105%" ;;
        */1) target="target ≥ 1.8×, size ≤ 105%" ;;
        */9) target="target ≥ 0.83× (time ≤ 1.2×), size 97.5–102.5%" ;;
      esac
      compare "fgz -$l" "pigz -p2 -$l" "$name" "$bytes" \
        "fgz -$l < '$in' > '$SCRATCH/fgz.gz'" "pigz -p2 -$l < '$in' > '$SCRATCH/pigz.gz'" \
        "$(sizenote "$ours" "$theirs" "$bytes"); $target"
    done
    [ "$name" = random ] && { rm -f "$SCRATCH/fgz.gz" "$SCRATCH/pigz.gz"; continue; }

    # Pareto: the first level from 6 up whose output is no larger than
    # pigz -6's, timed against pigz -6.
    pigz6=$(gzsize "pigz -p2 -6" "$in")
    pareto=""
    for l in 6 7 8 9; do
      s=$(gzsize "fgz -$l" "$in")
      if [ "$s" -le "$pigz6" ]; then pareto=$l; break; fi
    done
    if [ -n "$pareto" ]; then
      compare "fgz -$pareto (Pareto)" "pigz -p2 -6" "$name" "$bytes" \
        "fgz -$pareto < '$in' > '$SCRATCH/fgz.gz'" "pigz -p2 -6 < '$in' > '$SCRATCH/pigz.gz'" \
        "first fgz level as small as pigz -6: $(sizenote "$s" "$pigz6" "$bytes")"
    else
      NOTES+=("$name: no fgz level reaches pigz -6's size; fgz -9 is $(awk -v o="$s" -v t="$pigz6" 'BEGIN { printf "%.1f%%", 100*o/t }') of it.")
    fi

    # Decompression. fgz's own output (independent members, decoded in
    # parallel) against pigz -d on pigz's output of the same input; then
    # any gzip: gzip -6's and pigz -6's output, the same file for every tool.
    fgz -6 < "$in" > "$SCRATCH/in.fgz.gz"
    pigz -p2 -6 < "$in" > "$SCRATCH/in.gz"
    gzip -6 -n < "$in" > "$SCRATCH/in.gzip.gz"
    fzbytes=$(fsize "$SCRATCH/in.fgz.gz"); zbytes=$(fsize "$SCRATCH/in.gz"); gzbytes=$(fsize "$SCRATCH/in.gzip.gz")
    for p in 1 2; do
      target=""; [ $p = 2 ] && target="; target ≥ 1.7×"
      compare "fgz -d -p $p (fgz -6 file)" "pigz -d (pigz -6 file)" "$name" "$bytes" \
        "fgz -d -p $p < '$SCRATCH/in.fgz.gz' > '$SCRATCH/out'" "pigz -d < '$SCRATCH/in.gz' > '$SCRATCH/out2'" \
        "MB/s of output; inputs $(numfmt --to=iec "$fzbytes") and $(numfmt --to=iec "$zbytes")$target"
    done
    compare "fgz -d (gzip -6 file)" "pigz -d" "$name" "$bytes" \
      "fgz -d < '$SCRATCH/in.gzip.gz' > '$SCRATCH/out'" "pigz -d < '$SCRATCH/in.gzip.gz' > '$SCRATCH/out2'" \
      "input $(numfmt --to=iec "$gzbytes") from gzip -6; target ≥ 1.0×"
    if have igzip isal; then
      compare "fgz -d (gzip -6 file)" "igzip -d" "$name" "$bytes" \
        "fgz -d < '$SCRATCH/in.gzip.gz' > '$SCRATCH/out'" "igzip -dc < '$SCRATCH/in.gzip.gz' > '$SCRATCH/out2'" \
        "ISA-L's hand-written inflate: the single-core limit"
    fi
    compare "fgz -d (pigz -6 file)" "pigz -d" "$name" "$bytes" \
      "fgz -d < '$SCRATCH/in.gz' > '$SCRATCH/out'" "pigz -d < '$SCRATCH/in.gz' > '$SCRATCH/out2'" \
      "target ≥ 1.0×"
    compare "fgz -d | reader (pigz -6 file)" "gzip -d | reader" "$name" "$bytes" \
      "fgz -d < '$SCRATCH/in.gz' | cat > /dev/null" "gzip -d < '$SCRATCH/in.gz' | cat > /dev/null" \
      "output into a pipe"
    rm -f "$SCRATCH/in.gz" "$SCRATCH/in.fgz.gz" "$SCRATCH/in.gzip.gz" "$SCRATCH/out" "$SCRATCH/out2" "$SCRATCH/fgz.gz" "$SCRATCH/pigz.gz"
  done
  NOTES+=("fgz rows: pigz runs with -p2 (two threads, like fgz here); compressed sizes and ratios come from one extra run of each command.")
fi
