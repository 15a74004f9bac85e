# Shared functions of the benchmark harness; sourced by run.sh.
# A row file (rows/*.sh) calls `compare` for each row it adds.

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print 0} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }

# have CMD PACKAGE: true if CMD exists; otherwise remember the package to install.
have() {
  if command -v "$1" >/dev/null 2>&1; then return 0; fi
  MISSING+=("$1 (apt-get install $2)")
  return 1
}

# timeit CMD: run CMD under bash, print "seconds maxrss_kib" (RSS: the largest
# process of the pipeline). Fails if CMD fails.
timeit() {
  local t
  t=$(mktemp)
  if ! /usr/bin/time -f '%e %M' -o "$t" bash -o pipefail -c "$1" >/dev/null 2>>"$OUT/stderr.log"; then
    echo "benchmark command failed: $1 (see $OUT/stderr.log)" >&2
    rm -f "$t"
    return 1
  fi
  tail -n1 "$t"
  rm -f "$t"
}

# compare TOOL ANCHOR INPUT BYTES OURS_CMD ANCHOR_CMD [NOTE]
# Runs the two commands alternately $RUNS times and adds a row with the
# medians: throughput (BYTES / time) of each, the ratio ours/anchor (above 1:
# ours is faster), and each one's peak RSS.
compare() {
  local tool=${1//|/\\|} anchor=${2//|/\\|} input=$3 bytes=$4 ours=$5 theirs=$6 note=${7:-}
  local i r ot=() or=() at=() ar=()
  for ((i = 0; i < RUNS; i++)); do
    r=$(timeit "$ours") || { ROWS+=("| $tool | $anchor | $input | failed | | | | | |"); return 0; }
    ot+=("${r% *}"); or+=("${r#* }")
    r=$(timeit "$theirs") || { ROWS+=("| $tool | $anchor | $input | | failed | | | | |"); return 0; }
    at+=("${r% *}"); ar+=("${r#* }")
  done
  local os as orss arss
  os=$(printf '%s\n' "${ot[@]}" | median); as=$(printf '%s\n' "${at[@]}" | median)
  orss=$(printf '%s\n' "${or[@]}" | median); arss=$(printf '%s\n' "${ar[@]}" | median)
  ROWS+=("$(awk -v t="$tool" -v a="$anchor" -v inp="$input" -v b="$bytes" -v o="$os" -v s="$as" -v orss="$orss" -v arss="$arss" -v n="$note" 'BEGIN {
    if (o < 0.005) o = 0.005; if (s < 0.005) s = 0.005;
    printf "| %s | %s | %s | %.0f | %.0f | %.2f× | %.1f MiB | %.1f MiB | %s |", t, a, inp, b/o/1e6, b/s/1e6, s/o, orss/1024, arss/1024, n }')")
}

# fsize FILE: size in bytes
fsize() { stat -c %s "$1"; }
