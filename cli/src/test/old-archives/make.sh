#!/usr/bin/env bash
# Writes one of the old archives that the build restores (see README.md beside this script). Run it from the root of
# the checkout of the release that writes it, with that release's dev stack up (bin/rewind dev up there first):
#
#   /path/to/rewind/cli/src/test/old-archives/make.sh /path/to/rewind/cli/src/test/old-archives/format-N
#
# It writes the same story with whatever release runs it: points straight into the production TSD (the history before
# the tap), points through that release's tap read by two of its archivers (one archive in clear, one encrypted with a
# keyset of its own), a second batch of rewrites, late points and a new series after the first archive is compacted,
# and that release's baseline into both archives. The put lines of each step are kept beside the archives: they, not
# Rewind, say what a restore must give.
set -euo pipefail

OUT=$(realpath -m "$1")
[[ -e $OUT ]] && { echo "make.sh: $OUT exists; remove it first" >&2; exit 2; }
mkdir -p "$OUT/puts"
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

status=$(bin/rewind dev status)
KAFKA=$(awk '$1 == "Kafka" && $2 == "bootstrap" {print $3}' <<<"$status")
TSD=$(awk '$1 == "OpenTSDB" && $2 == "production" {print $3}' <<<"$status")
CONF=$(realpath .rewind/dev/tsd-production/opentsdb.conf)
PORTS=${MAKE_PORTS:-47240} # the tap, its admin port and the archivers' admin ports from here on
TAP_PORT=$(( PORTS + 2 ))
TAP=http://127.0.0.1:$TAP_PORT
HOUR=$(( $(date +%s) / 3600 * 3600 ))
# The story's current hour must stay open for the whole run (about five minutes): start with a quarter of it left at least.
(( $(date +%s) - HOUR < 2700 )) || { echo "make.sh: less than 15 minutes left in this hour; start it in the next one" >&2; exit 2; }

# Points, one put line each: metric, timestamp (seconds, or milliseconds), value, tags.
base_puts() { # the history before the tap: five and four hours ago
  for h in 5 4; do
    for i in $(seq 0 14); do
      echo "fixture.base $(( HOUR - h * 3600 + i * 60 )) $(( (i * 37 + h) % 101 )) host=h1"
      echo "fixture.base $(( HOUR - h * 3600 + i * 60 + 30 )) $(( i * 1000003 - 7000000 )) host=h2"
      echo "fixture.base.ms $(( (HOUR - h * 3600 + i * 97) * 1000 + i * 7 )) $(( i * 4 + 1 )).25 host=h1"
    done
  done
}
first_puts() { # through the tap: three hours ago, two hours ago, and the current hour
  local floats=(0.1 0.3333333333333333 1e-300 -2.5e+200 3.141592653589793 -0.0001 1.7976931348623157e+308 0.2)
  for h in 3 2 0; do
    for i in $(seq 0 19); do
      echo "fixture.cpu $(( HOUR - h * 3600 + i * 15 )) $(( (i * 13 + h * 7) % 100 )) host=a"
      echo "fixture.cpu $(( HOUR - h * 3600 + i * 15 )) $(( i * 3 - 20 )).5 host=b"
      echo "fixture.mem $(( (HOUR - h * 3600 + i * 11) * 1000 + i * 3 )) $(( 1099511627776 + i * h )) dc=x host=a"
      echo "fixture.ratio $(( HOUR - h * 3600 + i * 60 + 7 )) ${floats[$(( (i + h) % 8 ))]} host=a"
    done
    # A series of 300 points in the hour: its columns span several blocks of 128 (format versions 2 and 3).
    for i in $(seq 0 299); do
      echo "fixture.long $(( HOUR - h * 3600 + i * 10 )) $(( (i * i * 7919 + h) % 100003 - 50000 )) host=a"
    done
  done
}
later_puts() { # after the first batch is archived: rewrites, late points, a new series
  for i in 0 3 6 9 12; do
    echo "fixture.cpu $(( HOUR - 3 * 3600 + i * 15 )) $(( 500 + i )) host=a"
    echo "fixture.mem $(( (HOUR + i * 11) * 1000 + i * 3 )) $(( 2199023255552 + i )) dc=x host=a"
  done
  for i in $(seq 0 9); do
    echo "fixture.cpu $(( HOUR - 2 * 3600 + 1800 + i * 7 )) $(( i * 2 )).75 host=b"
    echo "fixture.new $(( HOUR - 3 * 3600 + 600 + i * 60 )) $(( i * i )) host=c"
  done
}

# Puts lines as one JSON array, synchronously, and fails unless every point was stored.
put() { # URL FILE
  local reply
  reply=$(awk '{ printf "%s{\"metric\":\"%s\",\"timestamp\":%s,\"value\":%s,\"tags\":{", (NR > 1 ? "," : "["), $1, $2, $3;
                 for (i = 4; i <= NF; i++) { split($i, kv, "="); printf "%s\"%s\":\"%s\"", (i > 4 ? "," : ""), kv[1], kv[2] }
                 printf "}}" } END { print "]" }' "$2" |
          curl -sS -X POST -H 'Content-Type: application/json' --data-binary @- "$1/api/put?sync&details")
  grep -q '"failed":0' <<<"$reply" || { echo "make.sh: put refused: $reply" >&2; exit 1; }
}

# Runs a component in the background, its output in WORK.
start() { # NAME COMMAND...
  local name=$1; shift
  bin/rewind "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  eval "${name}_PID=$!"
}
stop() { # NAME
  local pid_var=${1}_PID
  kill -TERM "${!pid_var}"
  wait "${!pid_var}" || true
}

# Waits until the archive gives exactly N points for its range (export, as that release reads it).
wait_points() { # ARCHIVE N [keyset args]
  local archive=$1 want=$2; shift 2
  for _ in $(seq 1 300); do
    local n
    n=$(bin/rewind export --archive "$archive" --from $(( HOUR - 6 * 3600 )) --to $(( HOUR + 3600 )) "$@" 2>/dev/null | wc -l)
    [[ $n -eq $want ]] && return 0
    sleep 2
  done
  echo "make.sh: $archive never held $want points" >&2; exit 1
}
distinct() { cat "$@" | awk '{ k = $1; for (i = 4; i <= NF; i++) k = k " " $i; print k " " $2 }' | sort -u | wc -l; }

archivers() { # GRACE: how long after its end a window waits before compaction
  start clear archiver --bootstrap.servers="$KAFKA" --storage="$OUT/clear/archive" --state.dir="$WORK/state-clear" \
      --application.id=old-archive-clear --commit.interval.ms=2000 --grace.ms="$1" --admin.port=$(( PORTS + 10 ))
  start encrypted archiver --bootstrap.servers="$KAFKA" --storage="$OUT/encrypted/archive" \
      --state.dir="$WORK/state-encrypted" --application.id=old-archive-encrypted --commit.interval.ms=2000 \
      --grace.ms="$1" --admin.port=$(( PORTS + 11 )) --keyset="$OUT/encrypted/keyset.json"
}

mkdir -p "$OUT/clear" "$OUT/encrypted"
bin/rewind keys create --keyset "$OUT/encrypted/keyset.json"
base_puts >"$OUT/puts/1-tsd.txt"
first_puts >"$OUT/puts/2-tap.txt"
later_puts >"$OUT/puts/3-tap.txt"

put "$TSD" "$OUT/puts/1-tsd.txt"
start tap tap --bootstrap.servers="$KAFKA" --upstreams="${TSD#http://}" --listen.port=$TAP_PORT --admin.port=$(( PORTS + 3 )) \
    --spool.dir="$WORK/spool"
for _ in $(seq 1 60); do curl -sf "$TAP/api/version" >/dev/null && break; sleep 1; done
put "$TAP" "$OUT/puts/2-tap.txt"

# First run: the two past hours close at once and compact into segments; the current hour stays in parts.
archivers 1000
wait_points "$OUT/clear/archive" "$(distinct "$OUT/puts/2-tap.txt")"
wait_points "$OUT/encrypted/archive" "$(distinct "$OUT/puts/2-tap.txt")" --keyset "$OUT/encrypted/keyset.json"
# (Releases before 06f9c4a could not compact an encrypted archive: their compactor left its parts out as unreadable and
# wrote nothing, so there the encrypted archive keeps its parts.)
segments() { find "$OUT/$1/archive" -name 'segment-*.avro' | wc -l; }
for _ in $(seq 1 120); do [[ $(segments clear) -ge 4 ]] && break; sleep 1; done
[[ $(segments clear) -ge 4 ]] || { echo "make.sh: the past hours were not compacted" >&2; exit 1; }
if git merge-base --is-ancestor 06f9c4a HEAD 2>/dev/null; then
  for _ in $(seq 1 120); do [[ $(segments encrypted) -ge 4 ]] && break; sleep 1; done
  [[ $(segments encrypted) -ge 4 ]] || { echo "make.sh: the encrypted archive's past hours were not compacted" >&2; exit 1; }
fi
stop clear; stop encrypted
sleep 1
AS_OF_BETWEEN=$(( $(date +%s%3N) ))
sleep 1

# Second run, with windows that stay open for a week, so nothing compacts: the rewrites and late points stay in parts beside the segments.
put "$TAP" "$OUT/puts/3-tap.txt"
archivers 7d
wait_points "$OUT/clear/archive" "$(distinct "$OUT/puts/2-tap.txt" "$OUT/puts/3-tap.txt")"
wait_points "$OUT/encrypted/archive" "$(distinct "$OUT/puts/2-tap.txt" "$OUT/puts/3-tap.txt")" \
    --keyset "$OUT/encrypted/keyset.json"
stop clear; stop encrypted
stop tap

# The baseline: the production TSD's table (its own points and the tap's), into both archives.
bin/rewind baseline --storage-config "$CONF" --archive "$OUT/clear/archive"
bin/rewind baseline --storage-config "$CONF" --archive "$OUT/encrypted/archive" --keyset "$OUT/encrypted/keyset.json"

cat >"$OUT/fixture.properties" <<PROPS
# Written by make.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ) from the release at $(git rev-parse HEAD)
release=$(git rev-parse HEAD)
from=$(( HOUR - 6 * 3600 ))
to=$(( HOUR + 3600 ))
as-of-between=$AS_OF_BETWEEN
PROPS
find "$OUT" -type f | sort | sed "s|^$OUT/||"
