# make demo, fpv and frate: progress on the backup, and the backup held to a
# byte rate (fpv writes plain lines when stderr is not a terminal).
step "progress on the backup: fread sample.sql | fpv -N backup --size @sample.sql | fsink backup.sql"
fread "$SAMPLE" | fpv -N backup --size @"$SAMPLE" -i 1 | fsink "$DIR/backup.sql"
cmp "$SAMPLE" "$DIR/backup.sql" && echo "cmp: identical"

step "held to 40 MiB/s: fread sample.sql | frate 40MiB | fpv -N throttled --size @sample.sql | fsink backup.sql"
fread "$SAMPLE" | frate 40MiB | fpv -N throttled --size @"$SAMPLE" -i 0.5 | fsink "$DIR/backup.sql"
cmp "$SAMPLE" "$DIR/backup.sql" && echo "cmp: identical"
