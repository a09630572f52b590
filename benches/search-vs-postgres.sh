#!/usr/bin/env bash
# Search side by side in one run: presswatch (tantivy) and PostgreSQL full-text search on the same
# generated articles and the same queries. Needs PostgreSQL on 127.0.0.1:5432 (DATABASE_URL to
# change it) with the unaccent extension (postgresql-contrib); installs psycopg from PyPI into
# target/bench-venv.
#   benches/search-vs-postgres.sh [ARTICLES] [RUNS] [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
articles=${1:-100000}
runs=${2:-100}
dir=${3:-target/bench-search-$articles}
if [ ! -x target/bench-venv/bin/python ]; then
  python3 -m venv target/bench-venv
fi
target/bench-venv/bin/python -c "import psycopg" 2>/dev/null || target/bench-venv/bin/pip install --quiet --disable-pip-version-check "psycopg[binary]"
cargo build --release --quiet --features bench
bin=$PWD/target/release/presswatch
mkdir -p "$dir"
echo "=== presswatch (corpus of $articles, generated and ingested unless already in $dir)"
"$bin" bench corpus --articles "$articles" --dir "$dir" --queries "$runs"
# export reads the bench database through a copy of the configuration pointing at it
sed "s|^database_url = .*|database_url = \"sqlite://$PWD/$dir/bench.sqlite\"|; /^include/ s|\"\([a-z]*\.toml\)\"|\"$PWD/config/\\1\"|g" \
  config/presswatch.toml > "$dir/bench.toml"
"$bin" --config "$dir/bench.toml" export --format csv > "$dir/articles.csv"
echo "=== PostgreSQL full-text search, same articles, same queries"
target/bench-venv/bin/python benches/postgres_fts.py "$dir/articles.csv" "$runs"
