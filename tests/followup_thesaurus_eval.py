"""A thesaurus learned from the corpus, measured as a second signal of the follow-up matcher (issue 17).

    python tests/followup_thesaurus_eval.py [--store DIR] [--json FILE]

Learns two kinds of term similarity from every measure of the bundled corpus (no labels: 812 measures), and
adds ``w`` × that similarity to the lexical score :func:`policykg.loaders.followup.decide` uses, over a grid of
weights, thresholds and mutual-best floors:

* **LSA** — the TF-IDF bigram matrix of all measures (bigrams in at least two measures), truncated SVD with
  k = 50, 100, 200, 400 dimensions; the cosine of two texts in that space;
* **PPMI expansion** — positive pointwise mutual information of bigrams occurring in the same measure (at least
  3 times together); each text's TF-IDF vector plus β × its top-k neighbours' (k = 5, 20; β = 0.3, 1.0); the cosine
  of the expanded vectors.

Prints the session method's figures (pooled over the six answering-plan sets: 192 strong links; ``xuhui_a`` and
``xuhui_b`` cross-plan) and, per kind, the setting with the best recall at precision ≥ 0.955. Results and reading:
``docs/quality/followup-methods.md``.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANSWERING = ["jiading", "yangpu", "jiading_heldout", "yangpu_heldout", "jiading_rest", "yangpu_rest"]


def learn(texts: list[str]):
    """(tfidf function, SVD right vectors, PPMI matrix) over the corpus's measures."""
    import numpy as np

    from policykg.loaders.followup import _bigram_counts

    counts = [_bigram_counts(t) for t in texts]
    df = Counter(b for c in counts for b in c)
    terms = sorted(b for b, n in df.items() if n >= 2)
    vocab = {b: i for i, b in enumerate(terms)}
    n = len(texts)
    idf = np.log((n + 1) / (np.array([df[b] for b in terms]) + 1)) + 1

    def tfidf(ts: list[str]):
        m = np.zeros((len(ts), len(terms)))
        for i, t in enumerate(ts):
            for b, c in _bigram_counts(t).items():
                k = vocab.get(b)
                if k is not None:
                    m[i, k] = c * idf[k]
        return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)

    x = tfidf(texts)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    b = (x > 0).astype(np.float64)
    co = b.T @ b
    p = b.sum(0) / n
    pmi = np.log(np.maximum(co / n, 1e-12) / np.outer(p, p))
    ppmi = np.where((co >= 3) & (pmi > 0), pmi, 0.0)
    np.fill_diagonal(ppmi, 0)
    return tfidf, vt, ppmi


def _unit(m):
    import numpy as np

    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


def signals(tfidf, vt, ppmi) -> dict:
    import numpy as np

    out = {}
    for k in (50, 100, 200, 400):
        v = vt[:k].T
        out[f"LSA k={k}"] = lambda a, b, v=v: np.clip(_unit(tfidf(a) @ v) @ _unit(tfidf(b) @ v).T, 0, 1)
    for k in (5, 20):
        top = np.zeros_like(ppmi)
        idx = np.argsort(-ppmi, axis=1)[:, :k]
        r = np.arange(ppmi.shape[0])[:, None]
        top[r, idx] = ppmi[r, idx]
        top /= np.maximum(top.sum(1, keepdims=True), 1e-12)
        for beta in (0.3, 1.0):
            def f(a, b, t=top, beta=beta):
                x, y = tfidf(a), tfidf(b)
                return _unit(x + beta * x @ t) @ _unit(y + beta * y @ t).T
            out[f"PPMI top-{k} β={beta}"] = f
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", help="a store of the bundled corpus (default: build one in a temporary folder)")
    ap.add_argument("--json", help="write every setting's figures to this file")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    import numpy as np

    import followup_eval as E
    from policykg.loaders import followup as F
    from policykg.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        path = args.store or str(Path(tmp) / "store")
        if not args.store:
            E.build(path)
        store = Store(path, read_only=True)
        texts = [r[0].value for r in store.query(
            "PREFIX pkg: <https://policykg.org/ontology#> SELECT DISTINCT ?t WHERE { ?m a pkg:Measure ; pkg:text ?t }")]
        city_iri, plans = E.plans(store)
        city = F.measures_of(store, city_iri)
        district = {d: F.measures_of(store, iri) for d, iri in plans.items()}
    sets = E.load_sets()
    tfidf, vt, ppmi = learn(texts)
    lexical = F._score_matrix

    def run(extra, w: float, threshold: float, floor: float):
        if extra is not None:
            F._score_matrix = lambda a, b: np.minimum(lexical(a, b) + w * extra([x.text for x in a], [x.text for x in b]), 1.0)
        try:
            how = F.Matching("thesaurus", threshold=threshold, mutual_floor=floor)
            found: dict[str, set] = {}
            res = {}
            for name in ANSWERING + ["xuhui_a", "xuhui_b"]:
                d = E.district_of(name)
                if d not in found:
                    path_of = {m.iri: m.path for m in district[d] + city}
                    found[d] = {(path_of[f.district_measure], path_of[f.city_measure])
                                for f in F.decide(district[d], city, how=how)}
                res[name] = E.score(found[d], sets[name])
        finally:
            F._score_matrix = lexical

        def pool(names):
            tp, fp, fn = (sum(res[n][k] for n in names) for k in ("tp", "fp", "fn"))
            return round(tp / (tp + fp), 3), round(tp / (tp + fn), 3)
        return {"answering": pool(ANSWERING), "xuhui_a": pool(["xuhui_a"]), "xuhui_b": pool(["xuhui_b"])}

    base = run(None, 0.0, F.LEXICAL.threshold, F.LEXICAL.mutual_floor)
    rows = []
    for name, extra in signals(tfidf, vt, ppmi).items():
        for w in (0.05, 0.1, 0.2, 0.3):
            for threshold in (0.35, 0.40, 0.45):
                for floor in (0.25, 0.30):
                    rows.append({"signal": name, "w": w, "threshold": threshold, "floor": floor,
                                 **run(extra, w, threshold, floor)})
    if args.json:
        Path(args.json).write_text(json.dumps({"lexical": base, "settings": rows}, ensure_ascii=False, indent=1))
    print(f"{len(texts)} measures learned from; {len(rows)} settings")
    print("| method | answering plans P / R | xuhui_a P / R | xuhui_b P / R |\n|---|---|---|---|")
    print(f"| lexical (the build's) | {base['answering']} | {base['xuhui_a']} | {base['xuhui_b']} |")
    for kind in ("LSA", "PPMI"):
        ok = [r for r in rows if r["signal"].startswith(kind) and r["answering"][0] >= 0.955]
        best = max(ok, key=lambda r: (r["answering"][1], r["answering"][0]))
        print(f"| + {best['signal']}, w {best['w']}, threshold {best['threshold']}, mutual best ≥ {best['floor']} | "
              f"{best['answering']} | {best['xuhui_a']} | {best['xuhui_b']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
