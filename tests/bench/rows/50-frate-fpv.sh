# Rows for frate and fpv.
#
# frate's accuracy: the same input at the same rate through frate, pv -L and
# mbuffer -r, each into tests/bench/ratemeter, which notes when the bytes
# arrive. The MB/s columns are the rate achieved; the note gives, for each,
# the median error of the total time against BYTES/RATE and the least and
# most bytes seen in a 100 ms window (after the first), against RATE/10, over
# all runs. Then frate far above the flow (10G) and fpv against cat and pv -q.
go build -trimpath -o "$OUT/ratemeter" ./tests/bench/ratemeter
RM=$OUT/ratemeter
if [ $SMOKE = 1 ]; then
  RATE_MIB=40 RATE_IN_BYTES=$((4 << 20))
else
  RATE_MIB=20 RATE_IN_BYTES=$((200 << 20))
fi
RATE=$((RATE_MIB << 20))
RATE_IN=$SCRATCH/rate.in
head -c "$RATE_IN_BYTES" "$RANDOM_IN" >"$RATE_IN"
rbytes=$(fsize "$RATE_IN")
rinput="$(numfmt --to=iec "$rbytes") @ $RATE_MIB MiB/s"

# accuracy FILE: "total ±x.xx% (median), windows lo..hi%" from ratemeter lines
accuracy() {
  local e lo hi
  e=$(cut -d' ' -f3 "$1" | median)
  lo=$(cut -d' ' -f4 "$1" | sort -g | head -n1)
  hi=$(cut -d' ' -f5 "$1" | sort -g | tail -n1)
  if [ "$(cut -d' ' -f6 "$1" | sort -g | head -n1)" = 0 ]; then
    printf 'total %+.2f%%, too short for 100 ms windows' "$e"
  else
    printf 'total %+.2f%%, 100 ms windows %+.1f..%+.1f%%' "$e" "$lo" "$hi"
  fi
}

saved_runs=$RUNS
RUNS=$((RUNS < 3 ? RUNS : 3)) # each run lasts BYTES/RATE: 10 s
rm -f "$SCRATCH"/acc.*
cat "$RATE_IN" >/dev/null
if have pv pv; then
  compare "frate ${RATE_MIB}MiB" "pv -L ${RATE_MIB}m" "$rinput" "$rbytes" \
    "frate ${RATE_MIB}MiB < '$RATE_IN' | '$RM' -rate $RATE -o '$SCRATCH/acc.frate1'" \
    "pv -q -L ${RATE_MIB}m < '$RATE_IN' | '$RM' -rate $RATE -o '$SCRATCH/acc.pv'" "@ACC@"
  ROWS[-1]=${ROWS[-1]/@ACC@/"frate: $(accuracy "$SCRATCH/acc.frate1"); pv: $(accuracy "$SCRATCH/acc.pv")"}
fi
if have mbuffer mbuffer; then
  compare "frate ${RATE_MIB}MiB" "mbuffer -r ${RATE_MIB}M" "$rinput" "$rbytes" \
    "frate ${RATE_MIB}MiB < '$RATE_IN' | '$RM' -rate $RATE -o '$SCRATCH/acc.frate2'" \
    "mbuffer -q -r ${RATE_MIB}M < '$RATE_IN' | '$RM' -rate $RATE -o '$SCRATCH/acc.mbuffer'" "@ACC@"
  ROWS[-1]=${ROWS[-1]/@ACC@/"frate: $(accuracy "$SCRATCH/acc.frate2"); mbuffer: $(accuracy "$SCRATCH/acc.mbuffer")"}
fi
RUNS=$saved_runs
rm -f "$RATE_IN" "$SCRATCH"/acc.*

for spec in "${INPUTS[@]}"; do
  name=${spec%%:*}; in=${spec#*:}
  [ "$name" = goroot.tar ] && continue # same bytes either way: two inputs suffice
  bytes=$(fsize "$in")
  cat "$in" >/dev/null # warm the page cache for both sides
  compare "cat | frate 10G | reader" "cat | cat | reader" "$name" "$bytes" \
    "cat '$in' | frate 10G | cat > /dev/null" "cat '$in' | cat | cat > /dev/null" "target ≥ 0.95×"
  if have pv pv; then
    compare "cat | fpv | reader" "cat | pv -q | reader" "$name" "$bytes" \
      "cat '$in' | fpv | cat > /dev/null" "cat '$in' | pv -q | cat > /dev/null" "target ≥ 1.00×; fpv writes its log lines"
  fi
  compare "cat | fpv | reader" "cat | cat | reader" "$name" "$bytes" \
    "cat '$in' | fpv | cat > /dev/null" "cat '$in' | cat | cat > /dev/null" "target ≥ 0.95×"
done
NOTES+=("frate accuracy rows: RSS is the pipeline's largest process, which may be ratemeter (a Go reader with a 1 MiB buffer); the total time runs from the pipeline's start, so it includes process start-up. pv and mbuffer start with a full bucket, frate with an empty one.")
