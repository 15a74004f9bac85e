#!/usr/bin/env bash
# make bench: every fpipe tool against the tool a user would pick instead,
# on the same input in the same run, alternating, medians of several runs.
#   tests/bench/run.sh [--smoke] [ROWFILE-PATTERN]
# --smoke: tiny inputs and one run, so CI checks that the harness still works.
# Environment: BENCH_SIZE (bytes of the dump and random inputs, default 1 GiB),
# RUNS (default 5), BENCH_OUT (work folder, default tests/bench/out).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

SMOKE=0
if [ "${1:-}" = --smoke ]; then SMOKE=1; shift; fi
PATTERN=${1:-*}
if [ $SMOKE = 1 ]; then
  SIZE=${BENCH_SIZE:-4194304}; RUNS=${RUNS:-1}
else
  SIZE=${BENCH_SIZE:-1073741824}; RUNS=${RUNS:-5}
fi
OUT=${BENCH_OUT:-$ROOT/tests/bench/out}
mkdir -p "$OUT"
: >"$OUT/stderr.log"
BIN=$ROOT/bin
MISSING=()
ROWS=()
NOTES=()
export PATH="$BIN:$PATH"

source "$ROOT/tests/bench/lib.sh"

if [ ! -x /usr/bin/time ]; then
  echo "bench: /usr/bin/time is missing (apt-get install time)" >&2
  exit 1
fi
go build -trimpath -o "$BIN/" ./cmd/...
go build -trimpath -o "$OUT/gendump" ./tests/gendump

# Inputs: the synthetic dump, random bytes, and a tar of the Go toolchain.
DUMP=$OUT/dump-$SIZE.sql
RANDOM_IN=$OUT/random-$SIZE.bin
GOTAR=$OUT/goroot-$SMOKE.tar
[ -s "$DUMP" ] || "$OUT/gendump" "$SIZE" >"$DUMP"
[ -s "$RANDOM_IN" ] || head -c "$SIZE" /dev/urandom >"$RANDOM_IN"
if [ ! -s "$GOTAR" ]; then
  if [ $SMOKE = 1 ]; then
    tar -C "$(go env GOROOT)" -cf "$GOTAR" src/io
  else
    tar -C "$(go env GOROOT)" -cf "$GOTAR" .
  fi
fi
INPUTS=("dump:$DUMP" "random:$RANDOM_IN" "goroot.tar:$GOTAR")
SCRATCH=$OUT/scratch
mkdir -p "$SCRATCH"

echo "fpipe benchmarks: $(nproc) cores, inputs $(numfmt --to=iec "$SIZE") dump and random + $(numfmt --to=iec "$(fsize "$GOTAR")") GOROOT tar, $RUNS runs each, medians" >&2
for rows in "$ROOT"/tests/bench/rows/$PATTERN.sh; do
  [ -f "$rows" ] || continue
  echo "running $(basename "$rows")" >&2
  source "$rows"
done
rm -rf "$SCRATCH"

echo
echo "| tool | anchor | input | ours MB/s | anchor MB/s | ratio | RSS ours | RSS anchor | note |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "ratio: anchor time / our time (above 1.00×: fpipe is faster). MB/s = 10^6 bytes of input per second."
for n in "${NOTES[@]}"; do echo "- $n"; done
if [ ${#MISSING[@]} -gt 0 ]; then
  echo
  echo "Skipped rows, anchors missing: ${MISSING[*]}"
fi
if [ $SMOKE = 1 ] && grep -q failed <<<"${ROWS[*]}"; then
  echo "bench: a benchmark command failed (smoke mode)" >&2
  exit 1
fi
