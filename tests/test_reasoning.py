"""The OWL reasoner (HermiT, Java) over the ontology and the bundled corpus: consistent, no unsatisfiable
class, entailments materialised in graph/inferred while the asserted graphs stay as loaded."""
from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest

from policykg.loaders.build import build
from policykg.ontology.reasoning import reason
from policykg.store import Store

from helpers import BASE, FILES, run_cli, select

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Java is installed by scripts/setup")

CITY_PLAN = BASE + "doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案"


@pytest.fixture(scope="module")
def reasoned_report(reasoned):
    return reasoned


def test_corpus_is_consistent_with_no_unsatisfiable_class(reasoned_report):
    _, report, _, _ = reasoned_report
    assert report.consistent
    assert report.unsatisfiable == []
    assert report.individuals > 1300


def test_entailments_are_materialised_in_their_own_graph(reasoned_report):
    store, report, before, data = reasoned_report
    assert report.inferred > 5000
    # the asserted graphs are untouched
    assert store.dump_sorted(data) == before
    # transitive has_part (inverse of is_part_of): the plan has every measure, three levels down
    [row] = select(store, f"""SELECT (COUNT(?m) AS ?n) WHERE {{ GRAPH <{BASE}graph/inferred> {{ <{CITY_PLAN}> eli:has_part ?m }}
                               ?m a pkg:Measure }}""")
    assert int(row["n"]) == 157
    # super-classes and the super-property of pkg:inDocument
    m = f"<{CITY_PLAN}/sec_1__subsec_1__meas_1>"
    rows = select(store, f"SELECT ?c WHERE {{ GRAPH <{BASE}graph/inferred> {{ {m} a ?c }} }}")
    assert {r["c"] for r in rows} == {"https://policykg.org/ontology#Provision", "http://data.europa.eu/eli/ontology#LegalResource"}
    rows = select(store, f"SELECT ?p WHERE {{ {m} eli:is_part_of ?p }}")  # union: asserted + inferred
    assert {r["p"] for r in rows} == {f"{CITY_PLAN}/sec_1__subsec_1", f"{CITY_PLAN}/sec_1", CITY_PLAN}
    rows = select(store, f"SELECT ?o WHERE {{ <{BASE}agency/上海市人民政府> a ?o }}")
    assert "http://www.w3.org/ns/org#Organization" in {r["o"] for r in rows}


def test_inconsistent_data_is_reported_and_nothing_is_written(tmp_path):
    store = Store(tmp_path / "s")
    build([FILES["001"]], store, BASE, progress=False)
    g = BASE + "graph/doc/2023/上海市徐汇区持续优化提升营商环境行动方案"
    doc = ox.NamedNode(BASE + "doc/2023/上海市徐汇区持续优化提升营商环境行动方案")
    # a document that is also a measure: the ontology says these are disjoint
    store.apply({}, inserts={g: [ox.Quad(doc, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                         ox.NamedNode("https://policykg.org/ontology#Measure"), ox.NamedNode(g))]})
    report = reason(store, BASE)
    assert not report.consistent
    assert BASE + "graph/inferred" not in store.named_graphs()
    del store
    r = run_cli("reason", "--store", str(tmp_path / "s"))
    assert r.returncode == 1 and "inconsistent" in r.stderr


def test_build_runs_the_reasoner_unless_told_not_to(tmp_path):
    r = run_cli("build", str(FILES["004"]), "--store", str(tmp_path / "s"))
    assert r.returncode == 0, r.stderr
    assert "consistent, no unsatisfiable class" in r.stdout
    r = run_cli("build", "--no-reason", str(FILES["004"]), "--store", str(tmp_path / "s"))
    assert "graph/inferred dropped" in r.stdout
    assert BASE + "graph/inferred" not in Store(tmp_path / "s", read_only=True).named_graphs()
