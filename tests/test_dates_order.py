"""The document-dates list's materialised order (``pkg:datesOrder``, loaders/dates_order.py) gives exactly the rows
of the query as it was written before (LIVE: ``ORDER BY ?placeLabel ?signed ?title ?doc ?place``, the documented
order), computed here by the engine itself: on the bundled corpus, a synthetic store, with the query's
parameters, page by page, and after re-builds of one file — a document given a date (its group ranked again), a
document of a new place (the groups change: everything ranked again) and that place gone again — after each of
which the graph equals a fresh build's. The real corpus is checked in tests/test_real_corpus.py."""
from __future__ import annotations

import shutil

from policykg import queries as Q
from policykg.iri import Minter
from policykg.loaders.build import build
from policykg.loaders.dates_order import dates_order_graph
from policykg.store import Store

from helpers import BASE, CORPUS, rebuilds_missing_graph, values

LIVE = """PREFIX pkg: <https://policykg.org/ontology#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?doc ?title ?type ?place ?placeLabel ?signed ?published ?adopted ?lastAmended ?inForce ?expiry
       (GROUP_CONCAT(DISTINCT ?method; SEPARATOR=" ") AS ?methods)
WHERE {
  ?doc a pkg:Document ;
       dct:title ?title ;
       pkg:documentType ?typeConcept .
  BIND(STRAFTER(STR(?typeConcept), "#") AS ?type)
  FILTER(!BOUND($param_type) || ?type = STR($param_type))
  OPTIONAL { ?doc pkg:place ?place . OPTIONAL { ?place skos:prefLabel ?placeLabel } }
  FILTER(!BOUND($param_place) || EXISTS { ?doc pkg:place ?p . ?p skos:hiddenLabel ?key . FILTER(?key = STR($param_place)) })
  OPTIONAL { ?doc eli:date_document ?signed }
  OPTIONAL { ?doc eli:date_publication ?published }
  OPTIONAL { ?doc pkg:dateAdopted ?adopted }
  OPTIONAL { SELECT ?doc (MAX(?amended) AS ?lastAmended) WHERE { ?doc pkg:dateAmended ?amended } GROUP BY ?doc }
  OPTIONAL { ?doc eli:first_date_entry_in_force ?inForce }
  OPTIONAL { ?doc eli:date_no_longer_in_force ?expiry }
  OPTIONAL { ?doc pkg:dateMethod ?method }
}
GROUP BY ?doc ?title ?type ?place ?placeLabel ?signed ?published ?adopted ?lastAmended ?inForce ?expiry
ORDER BY ?placeLabel ?signed ?title ?doc ?place"""
COLUMNS = "doc title type place placeLabel signed published adopted lastAmended inForce expiry methods".split()


def _rows(store: Store, text: str) -> list[tuple]:
    return values(store.query(text), COLUMNS)


def live(store: Store, values: dict | None = None) -> list[tuple]:
    return _rows(store, Q.bind(LIVE, values or {}))


def listed(store: Store, values: dict | None = None, **page) -> list[tuple]:
    return _rows(store, Q.bind(Q.load("document-dates").text, values or {}, **page))


def check_order(store: Store, places=("上海市",)) -> None:
    everything = live(store)
    assert len(everything) > 10 and listed(store) == everything
    assert listed(store, limit=5, offset=3) == everything[3:8]
    q = Q.load("document-dates")
    for place in places:
        some = live(store, {"place": Q.term(q, "place", place)})
        assert some and listed(store, {"place": Q.term(q, "place", place)}) == some, place
    notices = live(store, {"type": Q.term(q, "type", "notice")})
    assert notices and listed(store, {"type": Q.term(q, "type", "notice")}) == notices
    assert listed(store, {"type": Q.term(q, "type", "notice")}, limit=2, offset=1) == notices[1:3]


def _graph(store: Store) -> str:
    return store.dump_sorted([dates_order_graph(Minter(BASE))])


def test_the_bundled_corpus_is_listed_in_the_documented_order(built):
    store, _ = built
    check_order(store, places=("上海市", "嘉定区", "310110"))


def test_a_synthetic_store_is_listed_in_the_documented_order(synthetic):
    """Many documents share a place and a day there: the rank within the group decides."""
    store, _ = synthetic
    check_order(store)


GUANGZHOU = """广州市古树名木保护规定
第一条 为了保护古树名木，制定本规定。
第二条 市林业园林部门负责古树名木的保护管理工作。
第三条 本规定自2020年3月1日起施行。
广州市人民政府
2020年1月15日
"""


def test_rebuilds_of_one_file_rank_like_a_fresh_build(tmp_path):
    """Jiading's plan (004) given a date (its group, 嘉定区, ranked again); then a document of Guangzhou, a place
    no document had (every group moves); then that document issued by Shanghai instead (广州市 gone again).
    After each, the graph equals a fresh build's and the list is the live order."""
    folder = tmp_path / "c"
    shutil.copytree(CORPUS, folder)
    store = Store(tmp_path / "incremental")
    build([folder], store, BASE, progress=False, reason=False)
    jiading = next(folder.glob("004_*.txt"))
    original = jiading.read_text(encoding="utf-8")
    extra = folder / "guangzhou.txt"
    steps = [(jiading, original.rstrip("\n") + "\n\n上海市嘉定区人民政府办公室\n2024年1月4日\n", ("嘉定区",)),
             (extra, GUANGZHOU, ("广州市", "嘉定区")),
             (extra, GUANGZHOU.replace("广州市", "上海市"), ("上海市",))]
    for i, (path, text, places) in enumerate(steps):
        path.write_text(text, encoding="utf-8")
        build([path], store, BASE, progress=False, reason=False)
        fresh = Store(tmp_path / f"fresh{i}")
        build([folder], fresh, BASE, progress=False, reason=False)
        assert _graph(store) == _graph(fresh), path.name
        check_order(store, places)
    assert live(store, {"place": Q.term(Q.load("document-dates"), "place", "广州市")}) == []


def test_a_store_without_the_graph_gets_it_whole_from_any_build(tmp_path):
    folder = tmp_path / "c"
    shutil.copytree(CORPUS, folder)
    store = rebuilds_missing_graph(tmp_path, folder, next(folder.glob("001_*.txt")), dates_order_graph(Minter(BASE)), listed)
    check_order(store)


def test_keys_fit_a_64_bit_integer_and_keep_the_order_with_many_places_and_far_dates():
    """A national corpus may name more place labels than the key's 13 group bits hold, and a misread date may
    lie in year 9999: the keys still order (label, date signed, title, IRI) and stay below 2^63 (the engine's
    xsd:integer), so the build writes them."""
    import pyoxigraph as ox

    from policykg.loaders.dates_order import _keys

    labels = [f"地{i:05d}" for i in range(9000)]
    by_label = {label: i for i, label in enumerate(labels, start=1)}
    rows = {f"https://x.org/d{i}": (labels[i % 9000], ["2024-01-02", "9999-12-31", None][i % 3], f"t{i % 7}")
            for i in range(27000)}
    rows["https://x.org/none"] = (None, None, "t")
    keyed = _keys(rows, by_label)
    assert max(keyed.values()) < 2**63
    expected = sorted(rows, key=lambda d: (rows[d][0] is not None, rows[d][0] or "", rows[d][1] is not None,
                                           rows[d][1] or "", rows[d][2], d))
    assert sorted(rows, key=keyed.get) == expected
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("https://x.org/a"), ox.NamedNode("https://x.org/k"),
                      ox.Literal(str(max(keyed.values())), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))))
    assert list(store.query("SELECT ?k WHERE { ?a ?p ?k FILTER(?k > 0) }"))
