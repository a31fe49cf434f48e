"""Precision and recall of the readers against the hand labels of real documents (tests/labels/real-*.json).

Importable by the tests (floors) and runnable for the report printed in the issue notes:

    python tests/label_eval.py [-v] [LABEL_FILE ...]

Without a file it scores the development sets; the held-out sets (``*-heldout.json``) are scored only when named,
once, and their figures recorded apart (docs/quality/heldout.txt). ``-v`` lists every miss.

A field scores per document: a true positive when the extracted value equals the label (both present), a false
positive when a value was extracted that differs from the label or where the label has none, a false negative
when the label has a value that was not extracted exactly. Titles compare by their key (Chinese characters,
letters, digits); structure counts compare as numbers; lists (history steps, issuers, a chapter's first
articles) compare whole. Documents of a file are paired with the labelled ones by title key (else in order);
an unpaired labelled document counts as a miss on each field, an unpaired extracted one as a false hit.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "corpus" / "china-real"
LABELS = ROOT / "tests" / "labels"


def _key(title: str | None) -> str:
    from policykg.loaders.patterns import title_key

    return title_key(title or "")


def _parse(rel: str):
    from policykg.loaders.parse import parse_source
    from policykg.loaders.read import read_file

    return parse_source(read_file(REAL / rel))


def _count(doc, kinds: tuple[str, ...], printed: str | None = None) -> int:
    n = 0
    for p in doc.walk():
        if p.kind not in kinds:
            continue
        if printed == "cn" and p.number and p.number.isdigit():
            continue
        if printed == "arabic" and p.number and not p.number.isdigit():
            continue
        n += 1
    return n


def regulation_fields(doc) -> dict:
    provs = list(doc.walk())
    return {
        "title": _key(doc.title),
        "type": doc.doc_type,
        "issuer": doc.issuer,
        "history": [(e.kind, e.date) for e in doc.events if e.kind in ("adopted", "approved", "amended", "revised")],
        "adopted": next((e.date for e in doc.events if e.kind == "adopted"), None),
        "in_force": doc.in_force,
        "chapters": sum(p.kind == "chapter" for p in provs),
        "sections": sum(p.kind == "division" for p in provs),
        "articles": sum(p.kind == "article" for p in provs),
        "chapter_first_articles": [next((c.ordinal for c in p.walk() if c.kind == "article"), None)
                                   for p in provs if p.kind == "chapter"],
    }


def regulation_label(label: dict) -> dict:
    history = [(h["event"], h["date"]) for h in label.get("history") or []]
    return {
        "title": _key(label["title"]),
        "type": label.get("type"),
        "issuer": label.get("issuer"),
        "history": history,
        "adopted": next((d for k, d in history if k == "adopted"), None),
        "in_force": label.get("in_force"),
        "chapters": label.get("chapters"),
        "sections": label.get("sections"),
        "articles": label.get("articles"),
        "chapter_first_articles": label.get("chapter_first_articles") or [],
    }


def web_fields(doc, docs=()) -> dict:
    # a text a decree promulgates is cited by the decree's number: the graph states it as
    # pkg:promulgatedBy/eli:id_local (the documents query's docNumber), which is what its label's number is
    decree = next((d for d in docs if d.key == doc.promulgated_by and d.doc_type == "decree"), None)
    return {
        "title": _key(doc.title),
        "number": doc.number or (decree.number if decree else None),
        "type": doc.doc_type,
        "issuer": doc.issuer,
        "issuers": sorted(doc.issuers or ([doc.issuer] if doc.issuer else [])),
        "date_signed": doc.date_signed,
        "date_published": doc.date_published,
        "in_force": doc.in_force,
        "expiry": doc.expiry,
        "chapters": _count(doc, ("chapter",)),
        "articles": _count(doc, ("article",)),
        "parts": _count(doc, ("part",)),
        "sections": _count(doc, ("section",)) + _count(doc, ("point",), "cn"),
        "items": _count(doc, ("item",)) + _count(doc, ("point",), "arabic"),
    }


def web_label(label: dict) -> dict:
    s = label.get("structure") or {}
    issuers = label.get("issuers") or []
    return {
        "title": _key(label.get("title")),
        "number": label.get("number"),
        "type": label.get("type"),
        "issuer": issuers[0] if issuers else None,
        "issuers": sorted(issuers),
        "date_signed": label.get("date_signed"),
        "date_published": label.get("date_published"),
        "in_force": label.get("in_force"),
        "expiry": label.get("expiry"),
        **{k: s.get(k) for k in ("chapters", "articles", "parts", "sections", "items")},
    }


def _empty(v) -> bool:
    return v is None or v == [] or v == ""


class Score:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0
        self.misses: list[tuple] = []

    def add(self, got, want, where) -> None:
        if _empty(want) and _empty(got):
            return
        if got == want:
            self.tp += 1
            return
        if not _empty(got):
            self.fp += 1
        if not _empty(want):
            self.fn += 1
        self.misses.append((where, got, want))

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def _pair(docs: list, labels: list[dict], title_of) -> list[tuple]:
    """(extracted doc or None, label or None) pairs: by title key, then in order."""
    free = list(docs)
    pairs = []
    for lab in labels:
        k = _key(lab.get("title"))
        hit = next((d for d in free if k and _key(d.title) == k), None)
        if hit is None:
            hit = next((d for d in free if k and (k in _key(d.title) or _key(d.title) in k) and len(_key(d.title)) >= 4), None)
        if hit is None and free and len(labels) == 1:
            hit = free[0]
        if hit is not None:
            free.remove(hit)
        pairs.append((hit, lab))
    pairs += [(d, None) for d in free]
    return pairs


def evaluate(label_file: Path) -> dict[str, dict[str, Score]]:
    """{source: {field: Score}} for one label file (source: the corpus folder, or the province of a law)."""
    labels = json.loads(label_file.read_text(encoding="utf-8"))
    scores: dict[str, dict[str, Score]] = defaultdict(lambda: defaultdict(Score))
    for rec in labels:
        rel = rec["file"]
        parsed = _parse(rel)
        if rel.startswith("laws/"):
            source = "laws/" + rel.split("/")[1]
            doc = parsed.documents[0] if parsed.documents else None
            want = regulation_label(rec)
            got = regulation_fields(doc) if doc else {k: None for k in want}
            for field in want:
                scores[source][field].add(got.get(field), want[field], rel)
            scores[source]["documents"].add(len(parsed.documents), 1, rel)
        else:
            source = rel.split("/")[0]
            docs = rec.get("documents") or []
            scores[source]["documents"].add(len(parsed.documents), len(docs), rel)
            for doc, lab in _pair(parsed.documents, docs, lambda d: d.title):
                want = web_label(lab) if lab else None
                got = web_fields(doc, parsed.documents) if doc else None
                for field in (want or got):
                    scores[source][field].add(got.get(field) if got else None, want.get(field) if want else None,
                                              f"{rel} :: {(lab or {}).get('title') or (doc.title if doc else '')}")
    return scores


def table(scores: dict[str, dict[str, Score]]) -> str:
    lines = ["| source | field | precision | recall | tp | fp | fn |", "|---|---|---|---|---|---|---|"]
    for source in sorted(scores):
        for field, s in scores[source].items():
            lines.append(f"| {source} | {field} | {s.precision:.2f} | {s.recall:.2f} | {s.tp} | {s.fp} | {s.fn} |")
    return "\n".join(lines)


def overall(scores: dict[str, dict[str, Score]]) -> dict[str, Score]:
    """Scores per field over every source."""
    out: dict[str, Score] = defaultdict(Score)
    for per_field in scores.values():
        for field, s in per_field.items():
            o = out[field]
            o.tp += s.tp
            o.fp += s.fp
            o.fn += s.fn
            o.misses += s.misses
    return out


if __name__ == "__main__":
    files = [Path(a) for a in sys.argv[1:] if not a.startswith("-")] or sorted(
        p for p in LABELS.glob("real-*.json") if "heldout" not in p.name)  # held-out sets only when named
    for f in files:
        sc = evaluate(f)
        print(f"\n## {f.name}\n")
        print(table(sc))
        print()
        print(table({"all": overall(sc)}))
        if "-v" in sys.argv:
            for field, s in sorted(overall(sc).items()):
                for m in s.misses:
                    print(f"  {field}: {m[0]} got={m[1]!r} want={m[2]!r}")
