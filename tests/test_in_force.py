"""Each document's in-force interval, materialised by the build (``graph/summary/in-force``, loaders/inforce.py),
gives exactly the rows of the in-force rule evaluated live by the engine — the ``in-force`` query as it was
written before the interval was stored (LIVE, below: its text is the rule as documented in the query's header) —
on many days, on the bundled corpus, a synthetic store, the small regulations of tests/test_time.py (entry
into force, expiry, a repeal, two editions; expected documents written there by hand), and after re-builds of
one file that add or drop a repeal or an edition without touching the documents they end: the graph then
equals a fresh build's. The real corpus is checked in tests/test_real_corpus.py."""
from __future__ import annotations

import pytest

from policykg import queries as Q
from policykg.iri import Minter
from policykg.loaders.build import build
from policykg.loaders.inforce import in_force_graph
from policykg.store import Store

from helpers import BASE, rebuilds_missing_graph, values
from test_time import EXPECTED, F09, F24, FOREST_2009, FOREST_2024, OLD_TREES, T01, T15, TREES, write

LIVE = """PREFIX pkg: <https://policykg.org/ontology#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?doc ?docNumber ?title ?type ?from ?fromDate ?expiry
WHERE {
  ?doc a pkg:Document ; dct:title ?title ; pkg:documentType ?typeConcept .
  BIND(STRAFTER(STR(?typeConcept), "#") AS ?type)
  OPTIONAL { ?doc eli:first_date_entry_in_force ?force }
  OPTIONAL { ?doc eli:date_document ?signed }
  OPTIONAL { ?doc eli:date_publication ?published }
  OPTIONAL { ?doc pkg:promulgatedBy ?prom
    OPTIONAL { ?prom eli:first_date_entry_in_force ?promForce }
    OPTIONAL { ?prom eli:date_document ?promSigned }
    OPTIONAL { ?prom eli:date_publication ?promPublished } }
  BIND(COALESCE(?force, ?signed, ?published, ?promForce, ?promSigned, ?promPublished) AS ?from)
  FILTER(BOUND(?from) && ?from <= %(on)s)
  BIND(IF(BOUND(?force), "entry-into-force", IF(BOUND(?signed), "signed", IF(BOUND(?published), "published",
       "promulgating document"))) AS ?fromDate)
  OPTIONAL { ?doc eli:date_no_longer_in_force ?expiry }
  FILTER(!BOUND(?expiry) || ?expiry >= %(on)s)
  OPTIONAL {
    ?act pkg:resolvesTo ?doc . ?by eli:repeals ?act .
    OPTIONAL { ?by eli:first_date_entry_in_force ?byForce }
    OPTIONAL { ?by eli:date_document ?bySigned }
    OPTIONAL { ?by eli:date_publication ?byPublished }
    OPTIONAL { ?by pkg:promulgatedBy ?byProm
      OPTIONAL { ?byProm eli:first_date_entry_in_force ?byPromForce }
      OPTIONAL { ?byProm eli:date_document ?byPromSigned }
      OPTIONAL { ?byProm eli:date_publication ?byPromPublished } }
    BIND(COALESCE(?byForce, ?bySigned, ?byPublished, ?byPromForce, ?byPromSigned, ?byPromPublished) AS ?byFrom)
    FILTER(?by != ?doc && BOUND(?byFrom) && ?byFrom > ?from && ?byFrom <= %(on)s)
  }
  FILTER(!BOUND(?by))
  OPTIONAL {
    ?doc pkg:nextEdition ?next .
    OPTIONAL { ?next eli:first_date_entry_in_force ?nextForce }
    OPTIONAL { ?next eli:date_document ?nextSigned }
    OPTIONAL { ?next eli:date_publication ?nextPublished }
    OPTIONAL { ?next pkg:promulgatedBy ?nextProm
      OPTIONAL { ?nextProm eli:first_date_entry_in_force ?nextPromForce }
      OPTIONAL { ?nextProm eli:date_document ?nextPromSigned }
      OPTIONAL { ?nextProm eli:date_publication ?nextPromPublished } }
    BIND(COALESCE(?nextForce, ?nextSigned, ?nextPublished, ?nextPromForce, ?nextPromSigned, ?nextPromPublished) AS ?nextFrom)
    FILTER(BOUND(?nextFrom) && ?nextFrom <= %(on)s)
  }
  FILTER(!BOUND(?next))
  OPTIONAL { ?doc eli:id_local ?docNumber }
}
ORDER BY ?from ?docNumber ?title ?doc ?expiry"""
COLUMNS = ("doc", "docNumber", "title", "type", "from", "fromDate", "expiry")


def _rows(result) -> list[tuple]:
    return values(result, COLUMNS)


def live(store: Store, on: str) -> list[tuple]:
    return _rows(store.query(LIVE % {"on": f'"{on}"^^xsd:date'}))


def named(store: Store, on: str | None, **page) -> list[tuple]:
    q = Q.load("in-force")
    return _rows(store.query(Q.bind(q.text, {"on": Q.term(q, "on", on)} if on else {}, **page)))


def days(store: Store) -> list[str]:
    """Every day the answer can change on, the day before it and a day long before and after."""
    out = {"1900-01-01", "2100-01-01"}
    import datetime as dt

    for r in store.query("""SELECT DISTINCT ?d WHERE { VALUES ?p { <http://data.europa.eu/eli/ontology#first_date_entry_in_force>
            <http://data.europa.eu/eli/ontology#date_document> <http://data.europa.eu/eli/ontology#date_publication>
            <http://data.europa.eu/eli/ontology#date_no_longer_in_force> } ?x ?p ?d }"""):
        day = dt.date.fromisoformat(r["d"].value[:10])
        out |= {day.isoformat(), (day - dt.timedelta(days=1)).isoformat(), (day + dt.timedelta(days=1)).isoformat()}
    return sorted(out)


def check(store: Store, some: int | None = None) -> int:
    """The named query gives the live rule's rows on every day the answer can change (``some``: that many of
    them, spread); the number of days with documents in force."""
    every = days(store)
    if some and len(every) > some:
        every = every[:: len(every) // some] + every[-1:]
    busy = 0
    for on in every:
        expected = live(store, on)
        assert named(store, on) == expected, on
        busy += bool(expected)
    return busy


def _graph(store: Store) -> str:
    return store.dump_sorted([in_force_graph(Minter(BASE))])


def test_the_bundled_corpus_gives_the_live_rule_on_every_day(built):
    store, _ = built
    assert check(store) > 5
    today = named(store, None)
    assert today and today[:2] == named(store, None, limit=2) and today[1:3] == named(store, None, limit=2, offset=1)


def test_a_synthetic_store_gives_the_live_rule(synthetic):
    store, _ = synthetic
    shared = store.query("ASK { ?a <https://policykg.org/ontology#inForceFrom> ?d . "
                         "?b <https://policykg.org/ontology#inForceFrom> ?d FILTER(?a != ?b) }")
    assert shared  # documents start on one day: the rank within the day decides
    assert check(store, some=60) > 20


def test_the_regulations_written_by_hand_are_in_force_on_the_days_written_down(tmp_path):
    """tests/test_time.py's expected documents (from the texts), by the named query and by the live rule."""
    src = write(tmp_path / "src", forest2009=FOREST_2009, forest2024=FOREST_2024, oldtrees=OLD_TREES, trees=TREES)
    store = Store(tmp_path / "s")
    build([src], store, BASE, progress=False, reason=False)
    for on, docs in EXPECTED.items():
        assert sorted(r[0] for r in named(store, on)) == sorted(docs), on
    check(store)
    ends = dict((r["d"].value, r["e"].value) for r in store.query(
        "SELECT ?d ?e WHERE { ?d <https://policykg.org/ontology#inForceEnd> ?e }"))
    # the 2015 办法 repeals the 2001 规定 and expires after 2020-12-31; the 2024 edition ends the 2009 one
    assert ends == {T01: "2015-03-01", T15: "2021-01-01", F09: "2024-05-01"}


@pytest.mark.parametrize("order", [("oldtrees", "trees", "forest2009", "forest2024"),
                                   ("trees", "forest2024", "oldtrees", "forest2009")])
def test_a_rebuild_of_one_file_updates_the_documents_it_ends(tmp_path, order):
    """Files built one at a time (a targeted re-build each), in two orders: after each the graph equals a fresh
    build's of the same files and the query the live rule. Then the 2015 办法 is re-built without its repeal: the
    2001 规定, not re-built, no longer ends in 2015; and the 2024 edition under another title, without its repeal
    (its document dropped): the 2009 one, not re-built, no longer ends."""
    texts = {"forest2009": FOREST_2009, "forest2024": FOREST_2024, "oldtrees": OLD_TREES, "trees": TREES}
    src = write(tmp_path / "src", **texts)
    store = Store(tmp_path / "s")

    def fresh(names) -> str:
        other = write(tmp_path / f"fresh{len(list(tmp_path.iterdir()))}", **{n: (src / f"{n}.txt").read_text(encoding="utf-8")
                                                                             for n in names})
        s = Store(other / "store")
        build([other / f"{n}.txt" for n in names], s, BASE, progress=False, reason=False)
        return _graph(s)

    for i, name in enumerate(order):
        build([src / f"{name}.txt"], store, BASE, progress=False, reason=False)
        assert _graph(store) == fresh(order[: i + 1]), name
        check(store)
    assert T15 in _graph(store) and "2015-03-01" in _graph(store)
    edits = {"trees": [("《某市古树保护暂行规定》同时废止。", "")],
             "forest2024": [("某市森林管理规定\n", "某市林地管理规定\n"), ("2009年3月2日发布的《某市森林管理规定》同时废止。", "")]}
    for name, changes in edits.items():
        text = texts[name]
        for old, new in changes:
            assert old in text
            text = text.replace(old, new, 1)
        (src / f"{name}.txt").write_text(text, encoding="utf-8")
        build([src / f"{name}.txt"], store, BASE, progress=False, reason=False)
        assert _graph(store) == fresh(order), name
        check(store)
    ends = {r["d"].value for r in store.query("SELECT ?d WHERE { ?d <https://policykg.org/ontology#inForceEnd> ?e }")}
    assert T01 not in ends and F09 not in ends and F24 not in _graph(store)


def test_a_store_without_the_graph_gets_it_whole_from_any_build(tmp_path):
    src = write(tmp_path / "src", forest2009=FOREST_2009, forest2024=FOREST_2024, oldtrees=OLD_TREES, trees=TREES)
    store = rebuilds_missing_graph(tmp_path, src, src / "oldtrees.txt", in_force_graph(Minter(BASE)),
                                   lambda s: named(s, "2024-05-01"))
    check(store)
