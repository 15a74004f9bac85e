#!/usr/bin/env bash
# make demo: back up a built-in sample database dump through the fpipe tools,
# verify the result, and say what happened with sizes, times and speeds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
export PATH="$BIN:$PATH"
DIR=$ROOT/sample
SIZE=${DEMO_SIZE:-104857600}
mkdir -p "$DIR"

now() { date +%s.%N; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s < 0.001) s = 0.001; printf "%.0f MB/s", b / s / 1e6 }'; }
human() { numfmt --to=iec-i --suffix=B "$1"; }
step() { printf '\n== %s\n' "$*"; }

SAMPLE=$DIR/sample.sql
if [ ! -s "$SAMPLE" ] || [ "$(stat -c %s "$SAMPLE")" != "$SIZE" ]; then
  step "making a $(human "$SIZE") sample dump (deterministic, seed 1): $SAMPLE"
  go build -o "$DIR/gendump" ./tests/gendump
  "$DIR/gendump" "$SIZE" | fsink "$SAMPLE"
fi
head -c 300 "$SAMPLE" | sed -n '2p;9p'
BYTES=$(stat -c %s "$SAMPLE")

step "plain backup: fread sample.sql | fsink backup.sql"
rm -f "$DIR/backup.sql"
t0=$(now)
fread "$SAMPLE" | fsink "$DIR/backup.sql"
t1=$(now)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
cmp "$SAMPLE" "$DIR/backup.sql"
printf 'copied %s in %.2f s (%s), fsynced and renamed into place; cmp: identical\n' "$(human "$BYTES")" "$secs" "$(mbps "$BYTES" "$secs")"

step "a failing upstream keeps the old backup: fread missing.sql | fsink backup.sql"
before=$(sha256sum <"$DIR/backup.sql")
if fread "$DIR/missing.sql" | fsink "$DIR/backup.sql"; then
  echo "unexpected: the pipeline succeeded" >&2
  exit 1
fi
after=$(sha256sum <"$DIR/backup.sql")
[ "$before" = "$after" ] && echo "backup.sql unchanged (sha256 ${after:0:16}…), no temporary file left: $(ls -A "$DIR" | grep -c fsink-tmp || true) found"

for extra in "$ROOT"/tests/demo.d/*.sh; do
  [ -f "$extra" ] || continue
  # shellcheck source=/dev/null
  source "$extra"
done

step "done: everything is in $DIR"
ls -l "$DIR" | sed 1d
