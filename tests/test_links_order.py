"""The document-links list's materialised rows (graph/summary/links, loaders/links_order.py) give exactly the
rows of the query evaluated live by the engine — the links with both ends resolved, in the documented order
(relation, the from document's date signed, from, to: LIVE below) — on the bundled corpus, a synthetic store,
with the relation parameter and page by page; and after re-builds of one file that add and drop links (a
repeal, an edition's resolution), the graph equals a fresh build's. The real corpus is checked in
tests/test_real_corpus.py."""
from __future__ import annotations

import pytest

from policykg import queries as Q
from policykg.iri import Minter
from policykg.loaders.build import build
from policykg.loaders.links_order import links_graph
from policykg.store import Store

from helpers import BASE, rebuilds_missing_graph, values
from test_time import FOREST_2009, FOREST_2024, OLD_TREES, T01, T15, TREES, write

LIVE = """PREFIX pkg: <https://policykg.org/ontology#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT DISTINCT ?from ?relation ?to ?toTitle ?fromSigned
WHERE {
  VALUES (?property ?relation) {
    (pkg:promulgates "issues") (eli:based_on "based-on") (eli:repeals "repeals")
    (pkg:interprets "interprets") (pkg:revises "revises")
  }
  ?f ?property ?t .
  OPTIONAL { ?f pkg:resolvesTo ?fromDoc }
  OPTIONAL { ?t pkg:resolvesTo ?toDoc }
  BIND(COALESCE(?fromDoc, ?f) AS ?from)
  BIND(COALESCE(?toDoc, ?t) AS ?to)
  OPTIONAL { ?to dct:title ?toTitle }
  OPTIONAL { SELECT ?from (MIN(?d) AS ?fromSigned) WHERE { ?from eli:date_document ?d } GROUP BY ?from }
  FILTER(!BOUND($param_relation) || ?relation = STR($param_relation))
}
ORDER BY ?relation ?fromSigned ?from ?to ?toTitle"""
COLUMNS = ("from", "relation", "to", "toTitle")


def _rows(store: Store, text: str) -> list[tuple]:
    return values(store.query(text), COLUMNS)


def live(store: Store, values: dict | None = None) -> list[tuple]:
    return _rows(store, Q.bind(LIVE, values or {}))


def listed(store: Store, values: dict | None = None, **page) -> list[tuple]:
    return _rows(store, Q.bind(Q.load("document-links").text, values or {}, **page))


def check_rows(store: Store, relations=("issues", "based-on")) -> None:
    everything = live(store)
    assert everything and listed(store) == everything
    assert listed(store, limit=4, offset=2) == everything[2:6]
    q = Q.load("document-links")
    for relation in relations:
        some = live(store, {"relation": Q.term(q, "relation", relation)})
        assert some and listed(store, {"relation": Q.term(q, "relation", relation)}) == some, relation
        assert listed(store, {"relation": Q.term(q, "relation", relation)}, limit=2, offset=1) == some[1:3]


def _graph(store: Store) -> str:
    return store.dump_sorted([links_graph(Minter(BASE))])


def test_the_bundled_corpus_lists_the_live_rows(built):
    store, _ = built
    check_rows(store, relations=("issues", "based-on", "repeals", "interprets", "revises"))


def test_a_synthetic_store_lists_the_live_rows(synthetic):
    store, _ = synthetic
    check_rows(store)


@pytest.mark.parametrize("order", [("oldtrees", "trees", "forest2009", "forest2024"),
                                   ("trees", "forest2024", "oldtrees", "forest2009")])
def test_rebuilds_of_one_file_give_a_fresh_builds_rows(tmp_path, order):
    """The regulations of tests/test_time.py built one file at a time, in two orders (a repeal stated before or
    after the document it repeals is built: the cited act then resolves to a document of a later build); then the 2001 规定 re-built under another title (the act no longer resolves:
    the row leads to the act) and the 办法 without its repeal (the row is gone). After each build the graph equals a
    fresh build's of the same files, and the list the live rows."""
    texts = {"oldtrees": OLD_TREES, "trees": TREES, "forest2009": FOREST_2009, "forest2024": FOREST_2024}
    src = write(tmp_path / "src", **texts)
    store = Store(tmp_path / "s")
    built: list[str] = []

    def step(name: str, text: str | None = None) -> None:
        if text is not None:
            (src / f"{name}.txt").write_text(text, encoding="utf-8")
        build([src / f"{name}.txt"], store, BASE, progress=False, reason=False)
        if name not in built:
            built.append(name)
        other = write(tmp_path / f"fresh{len(list(tmp_path.iterdir()))}",
                      **{n: (src / f"{n}.txt").read_text(encoding="utf-8") for n in built})
        fresh = Store(other / "store")
        build([other / f"{n}.txt" for n in built], fresh, BASE, progress=False, reason=False)
        assert _graph(store) == _graph(fresh), name
        assert listed(store) == live(store) == live(fresh)

    for name in order:
        step(name)
    assert (T15, "repeals", T01) in {r[:3] for r in listed(store)}
    step("oldtrees", OLD_TREES.replace("某市古树保护暂行规定\n", "某市古树养护暂行规定\n", 1))
    rows = {r[:3] for r in listed(store)}
    assert (T15, "repeals", T01) not in rows and any(r[0] == T15 and r[1] == "repeals" for r in rows)
    step("trees", TREES.replace("《某市古树保护暂行规定》同时废止。", ""))
    assert not any(r[0] == T15 and r[1] == "repeals" for r in listed(store))


def test_a_store_without_the_graph_gets_it_whole_from_any_build(tmp_path):
    src = write(tmp_path / "src", forest2009=FOREST_2009, forest2024=FOREST_2024, oldtrees=OLD_TREES, trees=TREES)
    store = rebuilds_missing_graph(tmp_path, src, src / "oldtrees.txt", links_graph(Minter(BASE)), listed)
    check_rows(store, relations=("based-on", "repeals"))


def test_keys_fit_a_64_bit_integer_and_keep_the_order_with_far_dates():
    """A from document dated in year 9999 (a misread date) sorts after 2024 and before the next relation."""
    from policykg.loaders.links_order import _keys

    rows = {("https://x.org/a", "repeals", "https://x.org/t"), ("https://x.org/b", "repeals", "https://x.org/t"),
            ("https://x.org/c", "repeals", "https://x.org/t"), ("https://x.org/a", "revises", "https://x.org/t")}
    keyed = _keys(rows, {"https://x.org/a": "9999-12-31", "https://x.org/b": "2024-01-01"})
    assert max(keyed.values()) < 2**63
    assert [r[:2] for r in sorted(keyed, key=keyed.get)] == [
        ("https://x.org/c", "repeals"), ("https://x.org/b", "repeals"), ("https://x.org/a", "repeals"),
        ("https://x.org/a", "revises")]
