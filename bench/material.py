"""Raw material for the synthetic corpus, harvested from the bundled corpus.

The generator recombines *phrasing and structure* of real documents; this module collects the phrasing:

* **actions** — measure sentences of every plan in the bundled corpus (city, district, FTZ plans), each with the
  heading of the section it stood under. Near-duplicates are dropped (character-bigram Jaccard ≥ 0.30 with an
  action already kept, so a district plan's copy of a city measure is one action, not two): two different actions
  are different things to do, which is what makes "this district measure follows up none of the city plan's
  measures" a true statement in the ground truth.
* **part headings** (一、…) and **section headings** of plans;
* **articles** of the regulation (heading + paragraphs) and **paragraphs** of notices;
* **agencies** of the authority list (``ontology/agencies.ttl``) at city level, with the names documents print.

The loaders are used only to cut the bundled files into sentences; the ground truth of a generated corpus comes
from how the generator put it together, never from the loaders' reading of the generated files.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "shanghai-2024"
_GENERAL = ("习近平", "党的二十大", "总书记", "本方案", "本实施方案", "制定", "指导思想")


def bigram_set(text: str) -> set[str]:
    chars = [c for c in text if "\u4e00" <= c <= "\u9fff" or c.isalnum()]
    return {"".join(chars[i:i + 2]) for i in range(len(chars) - 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass
class Material:
    actions: list[tuple[str, str]] = field(default_factory=list)  # (section heading, sentence)
    part_headings: list[str] = field(default_factory=list)
    section_headings: list[str] = field(default_factory=list)
    articles: list[tuple[str, list[str]]] = field(default_factory=list)  # (heading, paragraphs)
    notice_paragraphs: list[str] = field(default_factory=list)
    agencies: list[tuple[str, list[str]]] = field(default_factory=list)  # (preferred name, printed names)


def _agencies() -> list[tuple[str, list[str]]]:
    import pyoxigraph as ox

    text = (ROOT / "ontology" / "agencies.ttl").read_text(encoding="utf-8")
    pref: dict[str, str] = {}
    alt: dict[str, list[str]] = {}
    level: dict[str, str] = {}
    for t in ox.parse(text, format=ox.RdfFormat.TURTLE, base_iri="https://example.org/"):
        s, p, o = t.subject.value, t.predicate.value, t.object.value
        if p.endswith("#prefLabel"):
            pref[s] = o
        elif p.endswith("#altLabel"):
            alt.setdefault(s, []).append(o)
        elif p.endswith("#level"):
            level[s] = o
    out = []
    for s in sorted(pref):
        name = pref[s]
        # bodies a plan would list as responsible units: city departments, not the government itself
        if level.get(s) == "city" and name.startswith("上海市") and not name.endswith(("人民政府", "办公厅")) and "人民代表大会" not in name:
            out.append((name, sorted(set(alt.get(s, [])) | {name})))
    return out


def harvest(corpus: Path = CORPUS) -> Material:
    from policykg.loaders.parse import parse_source
    from policykg.loaders.read import read_file

    m = Material()
    seen_actions: list[set[str]] = []
    seen_titles: set[str] = set()
    for f in sorted(corpus.glob("*.txt")):
        for doc in parse_source(read_file(f)).documents:
            if doc.title in seen_titles:  # the gazette repeats a plan
                continue
            seen_titles.add(doc.title)
            if doc.doc_type in ("action-plan", "implementation-plan", "plan"):
                heading = ""
                for p in doc.walk():
                    if p.kind in ("part",) and p.heading and 2 <= len(p.heading) <= 16:
                        if p.heading not in m.part_headings and not any(g in p.heading for g in ("总体", "保障", "目标")):
                            m.part_headings.append(p.heading)
                    if p.kind in ("section", "item", "part") and p.heading:
                        heading = p.heading
                        if p.kind == "section" and 2 <= len(p.heading) <= 12 and p.heading not in m.section_headings:
                            m.section_headings.append(p.heading)
                    if p.kind != "measure" or not p.text:
                        continue
                    text = p.text.strip()
                    if not (16 <= len(text) <= 150) or not text.endswith("。") or "。" in text[:-1]:
                        continue
                    # not the plan's own closing sentences (本行动方案自…起施行): recombined into another plan,
                    # they would give it a wrong date of entry into force
                    if any(g in text for g in _GENERAL) or re.search(r"[（(]责任单位|[A-Za-z]{3}|施行|有效期|^本", text):
                        continue
                    bs = bigram_set(text)
                    if any(jaccard(bs, other) >= 0.30 for other in seen_actions):
                        continue
                    seen_actions.append(bs)
                    m.actions.append((heading if 2 <= len(heading) <= 12 else "", text))
            elif doc.doc_type == "regulation":
                for p in doc.provisions:
                    if p.kind == "article" and p.heading:
                        paras = [c.text for c in p.children if c.kind == "paragraph" and c.text] or ([p.text] if p.text else [])
                        if paras:
                            m.articles.append((p.heading, paras))
            elif doc.doc_type == "notice":
                for p in doc.walk():
                    # not the notice's own dates (本通知自…起施行, 有效期至…): they would contradict a new notice's date
                    if (p.kind == "paragraph" and p.text and 20 <= len(p.text) <= 200 and p.text.endswith("。")
                            and not re.search(r"施行|有效期|\d{4}年\d{1,2}月", p.text)):
                        m.notice_paragraphs.append(p.text)
    m.agencies = _agencies()
    return m
