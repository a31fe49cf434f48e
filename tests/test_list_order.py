"""The documents list's materialised order (``pkg:listOrder``, loaders/order.py) is the order the ``documents``
query documents — date signed, then number, then title, then IRI, a missing date or number first — computed
here by the engine itself with the ``ORDER BY`` the query used before the order was materialised: on the bundled
corpus, on a synthetic store, with the query's parameters, page by page, and after re-builds that move a document
from one day to another (only those days are ranked again; the graph equals a fresh build's). The real corpus,
where many documents have no date or no number, is checked in tests/test_real_corpus.py."""
from __future__ import annotations

import shutil

from policykg import queries as Q
from policykg.iri import Minter
from policykg.loaders.build import build
from policykg.loaders.order import order_graph
from policykg.store import Store

from helpers import BASE, CORPUS, rebuilds_missing_graph

# the list as the engine orders it live: the ORDER BY of queries/documents.rq before pkg:listOrder
LIVE = """PREFIX pkg: <https://policykg.org/ontology#> PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?doc WHERE {
  ?doc a pkg:Document ; dct:title ?title ; pkg:documentType ?typeConcept .
  %s
  OPTIONAL { ?doc eli:date_document ?date }
  OPTIONAL { ?doc eli:id_local ?docNumber }
} ORDER BY ?date ?docNumber ?title ?doc"""


def live(store: Store, where: str = "") -> list[str]:
    return [r["doc"].value for r in store.query(LIVE % where)]


def listed(store: Store, values: dict | None = None, **page) -> list[str]:
    q = Q.load("documents")
    return [r["doc"].value for r in store.query(Q.bind(q.text, values or {}, **page))]


def check_order(store: Store) -> None:
    everything = live(store)
    assert len(everything) > 10 and listed(store) == everything
    assert listed(store, limit=5, offset=3) == everything[3:8]
    notices = live(store, 'FILTER(STRAFTER(STR(?typeConcept), "#") = "notice")')
    q = Q.load("documents")
    assert notices and listed(store, {"type": Q.term(q, "type", "notice")}) == notices
    in_force = listed(store, {"on": Q.term(q, "on", "2030-01-01")})  # which ones: tests/test_queries.py
    assert in_force and in_force == [d for d in everything if d in set(in_force)]


def test_the_bundled_corpus_is_listed_in_the_documented_order(built):
    store, _ = built
    check_order(store)


def test_a_synthetic_store_is_listed_in_the_documented_order(synthetic):
    """Documents share a day there (120 documents over a few months): the rank within a day decides."""
    store, _ = synthetic
    check_order(store)
    days = [r["n"].value for r in store.query(
        "SELECT (COUNT(?d) AS ?n) WHERE { ?d <http://data.europa.eu/eli/ontology#date_document> ?x } GROUP BY ?x "
        "HAVING (COUNT(?d) > 1)")]
    assert days  # the case the rank is for


def _order(store: Store) -> str:
    return store.dump_sorted([order_graph(Minter(BASE))])


def test_a_rebuild_that_moves_a_document_to_another_day_reranks_like_a_fresh_build(tmp_path):
    """Jiading's plan (004) has no date; given the date of two Shanghai documents (2024-01-04), it leaves the
    undated documents and joins that day. Re-built alone, then given its old text back, the order graph equals a
    fresh build's each time, and the list is the live order."""
    folder = tmp_path / "c"
    shutil.copytree(CORPUS, folder)
    store = Store(tmp_path / "incremental")
    build([folder], store, BASE, progress=False, reason=False)
    jiading = next(folder.glob("004_*.txt"))
    original = jiading.read_text(encoding="utf-8")
    jiading.write_text(original.rstrip("\n") + "\n\n上海市嘉定区人民政府办公室\n2024年1月4日\n", encoding="utf-8")
    build([jiading], store, BASE, progress=False, reason=False)
    day = [r["d"].value for r in store.query(
        'SELECT ?d WHERE { ?d <http://data.europa.eu/eli/ontology#date_document> "2024-01-04"^^<http://www.w3.org/2001/XMLSchema#date> }')]
    assert len(day) == 3 and any("嘉定" in d for d in day)  # it joined the day
    fresh = Store(tmp_path / "fresh")
    build([folder], fresh, BASE, progress=False, reason=False)
    assert _order(store) == _order(fresh)
    check_order(store)
    jiading.write_text(original, encoding="utf-8")
    build([jiading], store, BASE, progress=False, reason=False)
    again = Store(tmp_path / "again")
    build([folder], again, BASE, progress=False, reason=False)
    assert _order(store) == _order(again)
    check_order(store)


def test_a_store_without_the_order_graph_gets_it_whole_from_any_build(tmp_path):
    """A store built by a version before the order (no graph): a one-file build ranks every document."""
    folder = tmp_path / "c"
    shutil.copytree(CORPUS, folder)
    check_order(rebuilds_missing_graph(tmp_path, folder, next(folder.glob("001_*.txt")), order_graph(Minter(BASE)), listed))
