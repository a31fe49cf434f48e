"""Quantified targets against hand labels (issue 18; rule in tests/labels/README.md, section targets-*.json).

Importable by the tests (floors) and runnable for the figures in docs/targets.md:

    python tests/targets_eval.py [-v] [LABEL_FILE ...]

Without a file it scores ``targets-real.json`` (labelled before the reader was written) and
``targets-constructed.json`` (a constructed tuning set). Per labelled sentence, as multisets: **value** —
``(value, unit)``; **year** — ``(value, unit, year)``; **metric** — ``(value, unit, metric)`` with “” removed.
A reading belongs to the labelled sentence of its file that holds its clause; readings outside labelled
sentences are not scored.
"""
from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

from knowledge_eval import LABELS, REAL, Score

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
FILES = ("targets-real.json", "targets-constructed.json")


def _documents(label_doc: str, data: dict):
    from policykg.loaders.model import SourceText
    from policykg.loaders.parse import parse_source
    from policykg.loaders.read import read_file

    if label_doc == "constructed":
        text = data["document"]
        return parse_source(SourceText(path="constructed.txt", format="text", text=text,
                                       sha256=hashlib.sha256(text.encode()).hexdigest(), size=len(text))).documents
    base = REAL.parent if label_doc.startswith("china-real/") else CORPUS
    return parse_source(read_file(base / label_doc)).documents


def _metric(text: str | None) -> str:
    return (text or "").replace("“", "").replace("”", "").strip()


def _keys(v: float, unit: str, year, metric: str):
    value = round(float(v), 4)
    return (value, unit), (value, unit, int(year) if year is not None else None), (value, unit, _metric(metric))


def evaluate(label_file: Path, reader=None) -> dict[str, Score]:
    """{"value": Score, "year": Score, "metric": Score}; ``reader`` (a Document → targets function) defaults to
    policykg.loaders.knowledge.quantified_targets."""
    if reader is None:
        from policykg.loaders.knowledge import quantified_targets as reader
    data = json.loads(label_file.read_text(encoding="utf-8"))
    scores = {"value": Score(), "year": Score(), "metric": Score()}
    by_doc: dict[str, list[dict]] = {}
    for s in data["sentences"]:
        by_doc.setdefault(s["doc"], []).append(s)
    for doc_name, sentences in by_doc.items():
        docs = _documents(doc_name, data)
        texts = "".join(p.text or "" for d in docs for p in d.walk())
        got = [[Counter(), Counter(), Counter()] for _ in sentences]
        for s in sentences:
            assert s["text"] in texts, f"{doc_name}: labelled sentence not in the document: {s['text'][:30]}"
        for d in docs:
            for t in reader(d):
                i = next((i for i, s in enumerate(sentences) if t.text in s["text"]), None)
                if i is None:
                    continue
                for counter, key in zip(got[i], _keys(t.value, t.unit, t.year, t.metric)):
                    counter[key] += 1
        for i, s in enumerate(sentences):
            expected = [Counter(), Counter(), Counter()]
            for t in s["targets"]:
                for counter, key in zip(expected, _keys(t["value"], t["unit"], t["year"], t["metric"])):
                    counter[key] += 1
            where = s["text"][:24]
            for name, e, g in zip(("value", "year", "metric"), expected, got[i]):
                scores[name].add(e, g, where)
    return scores


if __name__ == "__main__":
    files = [Path(a) for a in sys.argv[1:] if not a.startswith("-")] or [LABELS / f for f in FILES]
    for f in files:
        scores = evaluate(f if f.is_absolute() or f.exists() else LABELS / f)
        print(f.name)
        for name, s in scores.items():
            print(f"  {name:<7} {s}")
            if "-v" in sys.argv:
                for miss in s.misses:
                    print(f"    {miss}")
