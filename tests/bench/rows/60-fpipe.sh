# Rows for fpipe: the whole backup chain, in one process and as a shell pipe,
# against the chain a user writes today.
if [ -x "$BIN/fgz" ] && [ -x "$BIN/fsum" ] && have pigz pigz; then
  for spec in "dump:$DUMP" "goroot.tar:$GOTAR"; do
    name=${spec%%:*}; in=${spec#*:}; bytes=$(fsize "$in")
    cat "$in" >/dev/null
    compare "fpipe 'fread | fgz -6 | fsum -o | fsink'" "cat | pigz -p2 -6 | tee >(sha256sum) > out; sync" "$name" "$bytes" \
      "fpipe 'fread $in | fgz -6 | fsum -o $SCRATCH/s1 --name b.gz | fsink $SCRATCH/b1.gz'" \
      "cat '$in' | pigz -p2 -6 | tee >(sha256sum > '$SCRATCH/s2') > '$SCRATCH/b2.gz'; sync"
    compare "fread | fgz -6 | fsum -o | fsink (sh pipe)" "fpipe, same chain" "$name" "$bytes" \
      "fread '$in' | fgz -6 | fsum -o '$SCRATCH/s1' --name b.gz | fsink '$SCRATCH/b1.gz'" \
      "fpipe 'fread $in | fgz -6 | fsum -o $SCRATCH/s2 --name b.gz | fsink $SCRATCH/b2.gz'"
    rm -f "$SCRATCH"/s1 "$SCRATCH"/s2 "$SCRATCH"/b1.gz "$SCRATCH"/b2.gz
  done
fi
