"""Benchmark of keyword search: ``python -m bench.search --docs 1000 [--work DIR] [--reps 20]``.

Generates the synthetic corpus (:mod:`bench.generate`, seed 1), builds it (``policykg build --no-reason --json``,
which writes the index: its stage "search index+flush"), rebuilds the index from the store alone
(``policykg search-index``), re-builds one district plan file (the index updated row by row), and times queries
in-process on the read-only index (median and p95 over ``--reps`` runs): a 4-character term, a 2-character term
(substring scan), a term with the place and date filters, a term that occurs nowhere. Prints JSON; the figures
are in docs/benchmarks-search.md.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUERIES = [
    ("4 chars, all kinds", {"query": "营商环境"}),
    ("4 chars, measures", {"query": "数字化转型", "kind": "measure"}),
    ("2 chars (substring scan)", {"query": "森林"}),
    ("2 chars, documents", {"query": "湿地", "kind": "document"}),
    ("two terms", {"query": "优化 营商环境"}),
    ("place and in force", {"query": "营商环境", "place": "徐汇区", "in_force_on": "2024-06-01"}),
    ("absent", {"query": "海绵城市建设"}),
]


def cli(*args: str) -> tuple[float, subprocess.CompletedProcess]:
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "policykg.cli", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(r.stderr)
    return time.perf_counter() - t, r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--work", default="bench-data/search")
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args(argv)
    from policykg import search

    work = Path(a.work) / str(a.docs)
    data, store = work / "data", work / "store"
    out: dict = {"docs": a.docs}
    if not (data / "corpus").exists():
        subprocess.run([sys.executable, "-m", "bench.generate", "--docs", str(a.docs), "--seed", "1", "--out", str(data)],
                       check=True, capture_output=True)
    if not (store / "CURRENT").exists():
        seconds, r = cli("build", "--no-reason", "--no-progress", "--json", str(data / "corpus"), "--store", str(store))
        summary = json.loads(r.stdout)
        out["build_s"] = round(seconds, 1)
        out["build_stages"] = summary["seconds"]
    seconds, r = cli("search-index", "--store", str(store))
    out["search_index_s"] = round(seconds, 2)
    out["search_index"] = r.stdout.strip()
    out["index_mb"] = round(os.path.getsize(search.index_path(store)) / 1e6, 1)
    # one district plan re-built: its documents' rows are replaced, the rest stays
    district = sorted((data / "corpus" / "district").rglob("*.txt"))[0]
    seconds, r = cli("build", "--no-reason", "--no-progress", "--json", str(district), "--store", str(store))
    out["rebuild_one_file"] = {"cli_s": round(seconds, 2), "index_stage_s": json.loads(r.stdout)["seconds"]["search index+flush"]}
    con = search.open_index(search.index_path(store))
    out["queries"] = []
    for name, params in QUERIES:
        params = dict(params)
        text = params.pop("query")
        times, res = [], None
        for _ in range(a.reps):
            t = time.perf_counter()
            res = search.search(con, text, limit=20, **params)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out["queries"].append({"name": name, "query": text, **params, "total": res.total,
                               "median_ms": round(statistics.median(times), 2),
                               "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 2)})
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
