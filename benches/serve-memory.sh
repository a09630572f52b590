#!/usr/bin/env bash
# Peak resident memory of `serve` while it crawls and answers searches at once (issue 6):
# `serve` runs on a copy of a 100,000-article corpus (made once by `bench ingest`, kept in WORKDIR)
# with the shipped configuration, except that its sources are 10,000 feeds on 500 simulated hosts
# (`bench hosts`, another process), so its first crawl pass fetches 10,000 feeds and 20,000 new
# articles (stored, indexed, grouped into stories, held against the rules) while a client asks
# /api/v1/search one query after another. VmHWM of the serve process is read from /proc.
#   benches/serve-memory.sh [WORKDIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(realpath -m "${1:-target/serve-memory}")
secs=${2:-180}
cargo build --release --quiet --features bench
bin=$PWD/target/release/presswatch
mkdir -p "$work"
if [ ! -f "$work/corpus/done" ]; then
  rm -rf "$work/corpus"
  "$bin" bench ingest --articles 100000 --dir "$work/corpus"
  touch "$work/corpus/done"
fi
run=$work/run
rm -rf "$run"
mkdir -p "$run/config"
cp "$work/corpus/ingest.sqlite" "$run/db.sqlite"
cp -r "$work/corpus/index" "$run/index"
cp config/*.toml "$run/config/"
port=18080
sed -i -e "s|^database_url = .*|database_url = \"sqlite://$run/db.sqlite\"|" \
  -e "s|^index_dir = .*|index_dir = \"$run/index\"|" \
  -e "s|^listen = .*|listen = \"127.0.0.1:$port\"|" "$run/config/presswatch.toml"
cfg=$run/config/presswatch.toml

"$bin" bench hosts --feeds 10000 --hosts 500 --items 2 --sources-out "$run/config/sources.toml" >"$run/hosts.log" 2>&1 &
hosts_pid=$!
for _ in $(seq 100); do grep -q "^hosts:" "$run/hosts.log" 2>/dev/null && break; sleep 0.1; done
echo "bench-password-1" | "$bin" --config "$cfg" user add bench --role analyst >/dev/null
token=$("$bin" --config "$cfg" user token bench --label bench | tail -1)

RUST_LOG=warn "$bin" --config "$cfg" serve >"$run/serve.log" 2>&1 &
serve_pid=$!
cleanup() { kill "$serve_pid" "$hosts_pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 600); do curl -sf -o /dev/null "http://127.0.0.1:$port/login" && break; sleep 0.1; done

queries=("ngư" "biển" "bien dong" "\"Trường Sa\"" "topic:bien-dao lang:vi ngư dân")
searches=0
peak=0
start=$(date +%s)
while [ $(( $(date +%s) - start )) -lt "$secs" ]; do
  q=${queries[$((searches % ${#queries[@]}))]}
  curl -sf -o /dev/null -G -H "Authorization: Bearer $token" --data-urlencode "q=$q" \
    "http://127.0.0.1:$port/api/v1/search" && searches=$((searches + 1))
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$serve_pid/status")
  [ "$hwm" -gt "$peak" ] && peak=$hwm
done
rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$serve_pid/status")
stored=$(sqlite3 "$run/db.sqlite" "SELECT COUNT(*) FROM articles" 2>/dev/null || echo "?")
kill -TERM "$hosts_pid"; wait "$hosts_pid" || true
requests=$(grep "requests to" "$run/hosts.log" || true)
echo "serve for ${secs} s: ${searches} searches answered; ${requests#hosts: } from the crawler; articles now ${stored}"
echo "serve peak RSS (VmHWM): $((peak / 1024)) MB; RSS at the end $((rss / 1024)) MB"
