#!/usr/bin/env bash
# Two builds of the server measured side by side, alternating, because whole benchmark runs on a
# shared 2-core machine differ by 20-30% from one hour to the next while two builds measured in
# the same minutes differ only by what changed. Each build gets its own freshly seeded database
# (its own migrations and seed: an older revision has an older schema).
#
#   scripts/bench.d/side-by-side.sh prepare
#   scripts/bench.d/side-by-side.sh run [ROUNDS] ["SCENARIOS"] [SECONDS] [CONNECTIONS]
#
# OLD_BIN and OLD_SEED name the other build and its seed, NEW_BIN and NEW_SEED this one's
# (default: the release binary and scripts/bench.d/seed.sql). For example, the code before the
# organising work:
#
#   git worktree add /tmp/old 9b19eec
#   (cd /tmp/old && SQLX_OFFLINE=true CARGO_TARGET_DIR=$HOME/.cache/taskdeck/target-old \
#      cargo build --release --no-default-features --features ssr --bin taskdeck)
#   OLD_BIN=$HOME/.cache/taskdeck/target-old/release/taskdeck \
#     OLD_SEED=/tmp/old/scripts/bench.d/seed.sql scripts/bench.d/side-by-side.sh prepare
#
# Each run: a fresh server, 2 s of warm-up, then wrk with scripts/bench.d/scenario.lua; one line
# per run with the CPU each request cost the server and PostgreSQL. Rounds alternate which build
# goes first. Uses the local PostgreSQL (scripts/db); databases taskdeck_side_old and
# taskdeck_side_new are dropped and recreated by `prepare`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$ROOT"

: "${OLD_BIN:?OLD_BIN: the other build's server binary}"
: "${OLD_SEED:?OLD_SEED: the other build's scripts/bench.d/seed.sql}"
NEW_BIN="${NEW_BIN:-$CARGO_TARGET_DIR/release/taskdeck}"
NEW_SEED="${NEW_SEED:-$ROOT/scripts/bench.d/seed.sql}"
ADMIN="$("$ROOT/scripts/db" url postgres)"
WORK="${SIDE_BY_SIDE_DIR:-$HOME/.cache/taskdeck/side-by-side}"
mkdir -p "$WORK"
# The tokens minted by `prepare` must verify in `run`: one secret for both, kept beside them.
[ -s "$WORK/jwt-secret" ] || (umask 077 && random_hex 24 >"$WORK/jwt-secret")
JWT_SECRET="$(cat "$WORK/jwt-secret")"
export JWT_SECRET
ulimit -n 65536 2>/dev/null || true
ADDR=127.0.0.1:3100
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null || true' EXIT

start() { # start BINARY DATABASE_URL
  DATABASE_URL="$2" LEPTOS_SITE_ADDR=$ADDR RUST_LOG=warn COOKIE_SECURE=false "$1" >"$WORK/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    curl -sf "http://$ADDR/readyz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  cat "$WORK/server.log" >&2
  die "the server did not become ready"
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

prepare() { # prepare NAME BINARY SEED
  local url
  url="$("$ROOT/scripts/db" url "$1")"
  psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
  start "$2" "$url" # applies that build's migrations
  stop
  psql "$url" -q -f "$3" >/dev/null
  # Tokens for the sample users, whatever columns that seed's bench_sample has after its n; in a
  # sign-in of their own where the build has sign-ins (as scripts/bench does).
  local sample="SELECT * FROM bench_sample ORDER BY n"
  if [ "$(psql "$url" -tAc "SELECT to_regclass('sign_ins') IS NOT NULL")" = t ]; then
    sample="WITH s AS (INSERT INTO sign_ins (user_id, id, expires_at)
                       SELECT user_id, gen_random_uuid(), now() + interval '30 days' FROM bench_sample
                       RETURNING user_id, id)
             SELECT b.*, s.id FROM bench_sample b JOIN s USING (user_id) ORDER BY b.n"
  fi
  psql "$url" -tA -F'|' -c "$sample" | cut -d'|' -f2- |
    node "$ROOT/scripts/bench.d/mint.mjs" >"$WORK/$1.data"
  # Browser sessions for the page scenario, as scripts/bench makes them: one real password hash
  # for the sample users, then 200 of them sign in through the web form.
  local password="bench password $(random_hex 4)"
  start "$2" "$url"
  curl -sf -X POST "http://$ADDR/api/auth/register" -H 'content-type: application/json' \
    -d "{\"email\": \"template@bench.example\", \"password\": \"$password\"}" >/dev/null
  psql "$url" -qc "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email = 'template@bench.example') WHERE id IN (SELECT user_id FROM bench_sample)"
  : >"$WORK/$1.cookies"
  head -n 200 "$WORK/$1.data" | while read -r _ _ email _; do
    curl -s -o /dev/null -D - -X POST "http://$ADDR/rpc/login" -H "Origin: http://$ADDR" \
      --data-urlencode "email=$email" --data-urlencode "password=$password" |
      sed -n 's/^[Ss]et-[Cc]ookie: \(taskdeck_session=[^;]*\).*/\1/p' >>"$WORK/$1.cookies"
  done
  stop
  [ "$(wc -l <"$WORK/$1.cookies")" -eq 200 ] || die "$1: could not sign in the page scenario's users"
  note "$1: $(psql "$url" -tAc 'SELECT count(*) FROM tasks') tasks"
}

snapshot() { # "srv|pg pid ticks" for the server and every PostgreSQL process
  local p
  for p in $pid $(pgrep -u postgres postgres || true); do
    awk -v p="$p" -v srv="$pid" '{ print (p == srv ? "srv" : "pg"), p, $14 + $15 }' "/proc/$p/stat" 2>/dev/null || true
  done
}

one() { # one old|new SCENARIO SECONDS CONNECTIONS
  local bin db before after out line
  if [ "$1" = old ]; then bin=$OLD_BIN; db=taskdeck_side_old; else bin=$NEW_BIN; db=taskdeck_side_new; fi
  start "$bin" "$("$ROOT/scripts/db" url $db)"
  export BENCH_COOKIES="$WORK/$db.cookies"
  BENCH_DATA="$WORK/$db.data" SCENARIO=$2 wrk -t 2 -c "$4" -d 2s -s scripts/bench.d/scenario.lua "http://$ADDR" >/dev/null 2>&1
  before=$(snapshot)
  out=$(BENCH_DATA="$WORK/$db.data" SCENARIO=$2 wrk -t 2 -c "$4" -d "${3}s" --timeout 10s \
    -s scripts/bench.d/scenario.lua "http://$ADDR" 2>&1)
  after=$(snapshot)
  stop
  line=$(grep '^BENCH ' <<<"$out") || { echo "$out" >&2; die "wrk printed no result"; }
  printf '%s\n--\n%s\n' "$before" "$after" | awk -v v="$1" -v sc="$2" -v c="$4" -v line="$line" \
    -v hz="$(getconf CLK_TCK)" -v d="$3" '
    $0 == "--" { done = 1; next }
    !done { start[$2] = $3; next }
    { used[$1] += $3 - start[$2] }
    END { match(line, /rps=[0-9.]+/); n = substr(line, RSTART + 4, RLENGTH - 4) * d
          if (n < 1) n = 1
          sub(/^BENCH /, "", line)
          printf "%-4s %-8s %5s %s srv_us=%.0f pg_us=%.0f\n", v, sc, c, line, used["srv"] / hz * 1e6 / n, used["pg"] / hz * 1e6 / n }'
}

case "${1:-}" in
  prepare)
    ensure_apt wrk
    prepare taskdeck_side_old "$OLD_BIN" "$OLD_SEED"
    prepare taskdeck_side_new "$NEW_BIN" "$NEW_SEED"
    ;;
  run)
    rounds="${2:-3}" scenarios="${3:-list get create toggle mix}"
    for round in $(seq 1 "$rounds"); do
      for scenario in $scenarios; do
        if [ $((round % 2)) = 1 ]; then order="old new"; else order="new old"; fi
        for variant in $order; do one "$variant" "$scenario" "${4:-10}" "${5:-64}"; done
      done
    done
    ;;
  *) die "usage: $0 prepare | run [ROUNDS] [\"SCENARIOS\"] [SECONDS] [CONNECTIONS]" ;;
esac
