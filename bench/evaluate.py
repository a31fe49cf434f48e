"""Compare a store built from a synthetic corpus with the generator's ground truth.

Every comparison goes through what a user sees — SPARQL over the store — and through names and texts, never
through IRIs the generator cannot know:

* **documents**: generated documents found in the store (by number, else by title);
* **measures**: generated plan measures found as ``pkg:Measure`` with the same ``pkg:text`` in the document of
  the same title (so a sentence split wrongly, or lost in PDF debris, counts as missed);
* **follow-ups**: (district plan title, district measure text, city plan title, city measure text) pairs linked by
  ``eli:ensures_implementation_of`` against the generated ones — precision and recall;
* **responsible units**: (plan title, measure text, unit preferred name) for the units printed in ``（责任单位：…）``
  lists, against the links the store found by the ``explicit`` method — precision and recall.

Titles are compared by their key (Chinese characters, letters and digits only, as the citation linker compares
them): the loaders normalise punctuation — the generator's （2022—2024年） is stored as （2022-2024年） — and that
is not an extraction error. Measure texts are compared exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

from policykg.loaders.patterns import title_key


@dataclass
class Score:
    expected: int
    found: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 1.0

    def as_dict(self) -> dict:
        return {"expected": self.expected, "found": self.found, "correct": self.correct,
                "precision": round(self.precision, 4), "recall": round(self.recall, 4)}


def _score(expected: set, found: set) -> Score:
    return Score(len(expected), len(found), len(expected & found))


def measure_texts(store) -> dict[str, tuple[str, str]]:
    """Measure IRI → (document title, text)."""
    out = {}
    for r in store.query("SELECT ?m ?title ?text WHERE { ?m a pkg:Measure ; pkg:inDocument ?d ; pkg:text ?text . ?d dct:title ?title }"):
        out[r["m"].value] = (title_key(r["title"].value), r["text"].value)
    return out


def compare(store, truth: dict) -> dict[str, Score]:
    """Scores of a built store against ``truth`` (see the module docstring)."""
    numbers, titles = set(), set()
    for r in store.query("SELECT ?n ?t WHERE { ?d a pkg:Document ; dct:title ?t . OPTIONAL { ?d eli:id_local ?n } }"):
        titles.add(title_key(r["t"].value))
        if r["n"] is not None:
            numbers.add(r["n"].value)
    docs_expected = {(d["number"] or title_key(d["title"])) for d in truth["docs"]}
    docs_found = numbers | titles
    scores = {"documents": Score(len(docs_expected), len(docs_expected & docs_found) , len(docs_expected & docs_found))}

    texts = measure_texts(store)
    plan_titles = {title_key(d["title"]) for d in truth["docs"] if d["kind"] in ("city-plan", "district-plan")}
    found_measures = {v for v in texts.values() if v[0] in plan_titles}
    expected_measures = {(title_key(m["doc"]), m["text"]) for m in truth["measures"]}
    scores["measures"] = _score(expected_measures, found_measures)

    links = set()
    for r in store.query("SELECT ?d ?c WHERE { GRAPH ?g { ?d eli:ensures_implementation_of ?c } }"):
        d, c = texts.get(r["d"].value), texts.get(r["c"].value)
        if d and c:
            links.add((*d, *c))
    expected_links = {(title_key(m["doc"]), m["text"], title_key(m["followsUp"]["doc"]), m["followsUp"]["text"])
                      for m in truth["measures"] if "followsUp" in m}
    scores["follow-ups"] = _score(expected_links, links)

    units = set()
    for r in store.query("""SELECT ?m ?label WHERE { ?m a pkg:Measure ; pkg:hasResponsibility ?r .
                              ?r pkg:method "explicit" ; pkg:responsibleUnit/skos:prefLabel ?label }"""):
        if r["m"].value in texts:
            units.add((*texts[r["m"].value], r["label"].value))
    expected_units = {(title_key(m["doc"]), m["text"], u) for m in truth["measures"] for u in m.get("units", [])}
    unit_docs = {title_key(m["doc"]) for m in truth["measures"] if m.get("units")}
    scores["responsible-units"] = _score(expected_units, {u for u in units if u[0] in unit_docs})
    return scores
