"""PostgreSQL full-text search over the same articles and the same queries as `presswatch bench
corpus`: loads the CSV from `presswatch export`, indexes title + text with a GIN index on
to_tsvector('simple', unaccent(...)) (diacritic-insensitive like presswatch's folded fields), then
runs each query as top 20 by ts_rank plus the total count (what presswatch returns), the faceted
one also with topic and language counts. Timed from the client, one query at a time.
Usage: postgres_fts.py ARTICLES.csv RUNS   (DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test)"""
import csv, os, sys, time

import psycopg

csv.field_size_limit(1 << 30)
path, runs = sys.argv[1], int(sys.argv[2])
url = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

with psycopg.connect(url, autocommit=True) as db:
    db.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    # unaccent() is not IMMUTABLE; an immutable wrapper lets it sit in an index expression
    db.execute("""CREATE OR REPLACE FUNCTION pw_fold(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
                  AS $$ SELECT public.unaccent('public.unaccent', t) $$""")
    db.execute("DROP TABLE IF EXISTS pw_articles")
    db.execute("""CREATE TABLE pw_articles (id bigint PRIMARY KEY, title text, body text, lang text,
                  topics text[], published timestamptz)""")
    t0 = time.perf_counter()
    n = 0
    with open(path, newline="", encoding="utf-8") as f, db.cursor() as cur:
        with cur.copy("COPY pw_articles (id, title, body, lang, topics, published) FROM STDIN") as cp:
            for row in csv.DictReader(f):
                topics = "{" + ",".join(t for t in row["topics"].split(";") if t) + "}"
                cp.write_row((int(row["id"]), row["title"], row["text"], row["lang"], topics, row["published_at"] or None))
                n += 1
    db.execute("""ALTER TABLE pw_articles ADD COLUMN tsv tsvector GENERATED ALWAYS AS
                  (setweight(to_tsvector('simple', pw_fold(coalesce(title, ''))), 'A') ||
                   setweight(to_tsvector('simple', pw_fold(coalesce(body, ''))), 'B')) STORED""")
    db.execute("CREATE INDEX pw_articles_tsv ON pw_articles USING gin (tsv)")
    db.execute("CREATE INDEX pw_articles_pub ON pw_articles (published)")
    db.execute("VACUUM ANALYZE pw_articles")
    print(f"postgres: loaded and indexed {n} articles in {time.perf_counter() - t0:.1f} s")

    mix = [
        ("term", "plainto_tsquery('simple', pw_fold(%s))", "ngư", ""),
        ("term-diacritics", "plainto_tsquery('simple', pw_fold(%s))", "biển", ""),
        ("unaccented", "plainto_tsquery('simple', pw_fold(%s))", "bien dong", ""),
        ("phrase", "phraseto_tsquery('simple', pw_fold(%s))", "Trường Sa", ""),
        ("boolean", "websearch_to_tsquery('simple', pw_fold(%s))", '("Hoàng Sa" or "Trường Sa") -"du lịch"', ""),
        ("faceted", "plainto_tsquery('simple', pw_fold(%s))", "ngư dân", " AND 'bien-dao' = ANY(topics) AND lang = 'vi'"),
        ("date-range", "plainto_tsquery('simple', pw_fold(%s))", "cảng",
         " AND published >= '2026-10-03 00:00+07' AND published < '2026-10-11 00:00+07'"),
    ]
    for name, tsq, text, extra in mix:
        top = f"SELECT id, ts_rank(tsv, q) AS r FROM pw_articles, {tsq} q WHERE tsv @@ q{extra} ORDER BY r DESC LIMIT 20"
        count = f"SELECT count(*) FROM pw_articles, {tsq} q WHERE tsv @@ q{extra}"
        facets = (f"SELECT t, count(*) FROM pw_articles, {tsq} q, unnest(topics) t WHERE tsv @@ q{extra} GROUP BY t ORDER BY 2 DESC LIMIT 50",
                  f"SELECT lang, count(*) FROM pw_articles, {tsq} q WHERE tsv @@ q{extra} GROUP BY lang")
        times = []
        total = 0
        for k in range(runs):
            s = time.perf_counter()
            db.execute(top, (text,)).fetchall()
            total = db.execute(count, (text,)).fetchone()[0]
            if name == "faceted" and k % 2 == 0:
                for fq in facets:
                    db.execute(fq, (text,)).fetchall()
            times.append((time.perf_counter() - s) * 1000)
        times.sort()
        p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
        print(f"  {name:<16} hits {total:>7}  p50 {p(0.5):>8.2f} ms  p99 {p(0.99):>8.2f} ms")
    db.execute("DROP TABLE pw_articles")
