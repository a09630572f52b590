#!/usr/bin/env bash
# Extraction side by side in one run: presswatch and trafilatura (Python, installed here from PyPI
# into target/bench-venv) on the same pages of one benchmark set of ../shared/eval, both timed on one
# core and scored with the same metric (`presswatch bench extract`).
#   benches/extraction-vs-trafilatura.sh [RUNS] [SET]
# SET is a folder of ../shared/eval holding ground-truth.json and html/ (default: the Scrapinghub set,
# 181 pages; the Dragnet set, 1,381 pages, is dragnet-extraction-benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
bench=../shared/eval/${2:-scrapinghub-article-extraction-benchmark}
[ -d "$bench" ] || { echo "SKIPPED: $bench is absent"; exit 0; }
if [ ! -x target/bench-venv/bin/python ]; then
  python3 -m venv target/bench-venv
  target/bench-venv/bin/pip install --quiet --disable-pip-version-check trafilatura lxml_html_clean
fi
cargo build --release --quiet --features bench
bin=target/release/presswatch
out=target/trafilatura-output-$(basename "$bench").json
echo "set: $bench"
for i in $(seq "$runs"); do
  echo "--- run $i"
  taskset -c 0 "$bin" bench extract --dir "$bench"
  taskset -c 0 target/bench-venv/bin/python benches/trafilatura_extract.py "$bench" "$out"
done
"$bin" bench extract --dir "$bench" --predictions "$out"
