"""Who must do what, against hand labels of real documents: deontic statements of regulations and responsible
units of measures (issue 15; rules in tests/labels/rules-deontic.md and rules-responsibility.md).

Importable by the tests (floors) and runnable for the figures printed in the issue notes:

    python tests/knowledge_eval.py [-v] [LABEL_FILE ...]

Without a file it scores the development sets (``deontic-real-dev*.json``, ``responsibility-real.json``); the
blind sets (``deontic-real-blind-*.json``) are scored when named — their misses are not to be read (``-v`` lists
every miss; use it on development sets only).

Deontic, per article, as multisets: **modality** — one ``(article, modality)`` per statement; **bearer** —
one ``(article, modality, bearer)`` per bearer named (statements with a null bearer count only for modality).
Bearers compare by their printed text without 等. Figures per province (the folder under ``laws/``).

Responsibility, per numbered item (the chain of printed numbers, brackets dropped: ``二/（三）`` → ``二/三``; an
article ``第五条`` → ``第五条``), as sets: **unit** — ``(item, unit)``; **role** — ``(item, unit, role)``, a
unit's roles within one item merged lead > responsible > co (the labels' rule for items whose paragraphs each
carry a note). Units the extractor assumed (method ``default``) are not designations and are not scored.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "corpus" / "china-real"
LABELS = ROOT / "tests" / "labels"
DEV = ("deontic-real-dev.json", "deontic-real-dev-c.json", "deontic-real-dev-d.json", "deontic-real-dev-e.json",
       "deontic-real-dev-f.json", "deontic-real-dev-g.json", "deontic-real-dev-h.json", "responsibility-real.json")


class Score:
    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0
        self.misses: list[str] = []

    def add(self, expected: Counter, got: Counter, where: str) -> None:
        for k in set(expected) | set(got):
            e, g = expected.get(k, 0), got.get(k, 0)
            self.tp += min(e, g)
            if g > e:
                self.fp += g - e
                self.misses.append(f"{where} FP {k}")
            if e > g:
                self.fn += e - g
                self.misses.append(f"{where} FN {k}")

    @property
    def p(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def r(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    def __str__(self) -> str:
        return f"P {self.p:.2f} R {self.r:.2f} F1 {self.f1:.2f} (tp {self.tp}, fp {self.fp}, fn {self.fn})"


def _context():
    from policykg.loaders.authority import Authority

    return Authority("https://policykg.org/id/")


def _documents(rel: str):
    from policykg.loaders.parse import parse_source
    from policykg.loaders.read import read_file

    return parse_source(read_file(REAL / rel)).documents


def _bearer(text: str) -> str:
    return text.replace("等", "").strip()


def deontic(label_file: Path, auth=None) -> dict[str, dict[str, Score]]:
    """{group: {"modality": Score, "bearer": Score}} with groups 'all' and each province."""
    from policykg.loaders.knowledge import extract_knowledge

    auth = auth or _context()
    data = json.loads(label_file.read_text(encoding="utf-8"))
    out: dict[str, dict[str, Score]] = defaultdict(lambda: {"modality": Score(), "bearer": Score()})
    for label in data["documents"]:
        rel = label["_doc"]
        province = rel.split("/")[1]
        doc = _documents(rel)[0]
        got_m: dict[str, Counter] = defaultdict(Counter)
        got_b: dict[str, Counter] = defaultdict(Counter)
        for s in extract_knowledge(doc, auth).statements:
            m = re.search(r"(?:^|__)art_(\d+)", s.provision)
            if not m:
                continue
            art = m.group(1)
            got_m[art][s.modality] += 1
            for b in s.bearers:
                got_b[art][(s.modality, _bearer(b.text))] += 1
        for art, statements in label.items():
            if art.startswith("_"):
                continue
            exp_m = Counter(st["m"] for st in statements)
            exp_b = Counter((st["m"], _bearer(b)) for st in statements for b in st["b"])
            where = f"{Path(rel).stem[:18]} art {art}"
            for group in ("all", province):
                out[group]["modality"].add(exp_m, got_m.get(art, Counter()), where)
                out[group]["bearer"].add(exp_b, got_b.get(art, Counter()), where)
    return dict(out)


_RANK = {"lead": 3, "responsible": 2, "co": 1}


def _norm_key(key: str) -> str:
    return "/".join(part.strip("（）()、. ") for part in key.split("/"))


def responsibility(label_file: Path, auth=None) -> dict[str, dict[str, Score]]:
    """{group: {"unit": Score, "role": Score}} with groups 'all' and each document id."""
    from policykg.loaders.knowledge import extract_knowledge

    auth = auth or _context()
    data = json.loads(label_file.read_text(encoding="utf-8"))
    out: dict[str, dict[str, Score]] = defaultdict(lambda: {"unit": Score(), "role": Score()})
    for doc_id, label in data.items():
        if doc_id.startswith("_"):
            continue
        got: dict[str, dict[str, str]] = defaultdict(dict)
        for doc in _documents(label["_doc"]):
            parents = {}
            for p in doc.walk():
                for c in p.children:
                    parents[c.path] = p
            by_path = {p.path: p for p in doc.walk()}
            for r in extract_knowledge(doc, auth).responsibilities:
                if r.method == "default":
                    continue
                node, chain = by_path.get(r.provision), []
                while node is not None:
                    if node.kind == "article":
                        chain = [f"第{node.number}条"]
                        break
                    if node.number:
                        chain.insert(0, node.number)
                    node = parents.get(node.path)
                key = _norm_key("/".join(chain))
                name = _bearer(r.unit.text)
                if _RANK[r.role] > _RANK.get(got[key].get(name, ""), 0):
                    got[key][name] = r.role
        for key, units in label.items():
            if key.startswith("_"):
                continue
            k = _norm_key(key)
            exp_u = Counter({(k, _bearer(u)): 1 for u, _ in units})
            exp_r = Counter({(k, _bearer(u), role): 1 for u, role in units})
            g = got.pop(k, {})
            got_u = Counter({(k, u): 1 for u in g})
            got_r = Counter({(k, u, role): 1 for u, role in g.items()})
            for group in ("all", doc_id):
                out[group]["unit"].add(exp_u, got_u, doc_id)
                out[group]["role"].add(exp_r, got_r, doc_id)
        for k, g in got.items():  # units found on items the labels say designate nobody
            for group in ("all", doc_id):
                out[group]["unit"].add(Counter(), Counter({(k, u): 1 for u in g}), doc_id)
                out[group]["role"].add(Counter(), Counter({(k, u, role): 1 for u, role in g.items()}), doc_id)
    return dict(out)


def evaluate(label_file: Path, auth=None) -> dict[str, dict[str, Score]]:
    return responsibility(label_file, auth) if label_file.name.startswith("responsibility") else deontic(label_file, auth)


def table(scores: dict[str, dict[str, Score]]) -> str:
    lines = []
    for group in ["all"] + sorted(g for g in scores if g != "all"):
        for field, s in scores[group].items():
            lines.append(f"  {group:<12} {field:<9} {s}")
    return "\n".join(lines)


if __name__ == "__main__":
    files = [Path(a) for a in sys.argv[1:] if not a.startswith("-")] or [LABELS / f for f in DEV]
    auth = _context()
    for f in files:
        scores = evaluate(f if f.is_absolute() or f.exists() else LABELS / f, auth)
        print(f"{f.name}\n{table(scores)}")
        if "-v" in sys.argv:
            for field, s in scores["all"].items():
                for miss in s.misses:
                    print(f"    {field}: {miss}")
