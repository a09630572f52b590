"""Times trafilatura on the extraction benchmark's pages, one process, one core, the same pages in
the same order as `presswatch bench extract`, and writes its output for `presswatch bench extract
--predictions` to score with the same metric. Used by extraction-vs-trafilatura.sh."""
import gzip, json, os, sys, time

import trafilatura

bench, out = sys.argv[1], sys.argv[2]
truth = json.load(open(os.path.join(bench, "ground-truth.json"), encoding="utf-8"))
pages = []
for key, v in truth.items():
    with gzip.open(os.path.join(bench, "html", key + ".html.gz"), "rb") as f:
        pages.append((key, f.read().decode("utf-8", "replace"), v["url"]))

start = time.perf_counter()
preds = {}
for key, html, url in pages:
    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=True) or ""
    preds[key] = {"articleBody": text}
secs = time.perf_counter() - start

json.dump(preds, open(out, "w", encoding="utf-8"), ensure_ascii=False)
print(f"trafilatura {trafilatura.__version__}: {len(pages)} pages in {secs:.2f} s = {len(pages) / secs:.0f} pages/s on one core")
