"""Reasoning over the ontology and the bundled corpus: OWL 2 RL rules per module (documents, shared graphs),
consistent, entailments materialised in graph/inferred/… while the asserted graphs stay as loaded — and
HermiT (OWL 2 DL, Java) entails exactly the same."""
from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest

from policykg.loaders.build import build
from policykg.ontology.reasoning import reason
from policykg.store import Store

from helpers import BASE, FILES, run_cli, select

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="Java is installed by scripts/setup")
INFERRED = f'FILTER(STRSTARTS(STR(?g), "{BASE}graph/inferred/"))'

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
    [row] = select(store, f"""SELECT (COUNT(?m) AS ?n) WHERE {{ GRAPH ?g {{ <{CITY_PLAN}> eli:has_part ?m }} {INFERRED}
                               ?m a pkg:Measure }}""")
    assert int(row["n"]) == 157
    # super-classes and the super-property of pkg:inDocument
    m = f"<{CITY_PLAN}/sec_1__subsec_1__meas_1>"
    rows = select(store, f"SELECT ?c WHERE {{ GRAPH ?g {{ {m} a ?c }} {INFERRED} }}")
    assert {r["c"] for r in rows} == {"https://policykg.org/ontology#Provision", "http://data.europa.eu/eli/ontology#LegalResource"}
    rows = select(store, f"SELECT ?p WHERE {{ {m} eli:is_part_of ?p }}")  # union: asserted + inferred
    assert {r["p"] for r in rows} == {f"{CITY_PLAN}/sec_1__subsec_1", f"{CITY_PLAN}/sec_1", CITY_PLAN}
    rows = select(store, f"SELECT ?o WHERE {{ <{BASE}agency/上海市人民政府> a ?o }}")
    assert "http://www.w3.org/ns/org#Organization" in {r["o"] for r in rows}


def test_each_document_has_its_own_inferred_graph(reasoned_report):
    store, _, _, data = reasoned_report
    graphs = [g for g in store.named_graphs() if g.startswith(BASE + "graph/inferred/")]
    assert BASE + "graph/inferred/doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案" in graphs
    assert BASE + "graph/inferred/shared" in graphs
    # a promulgation's inverse, entailed from the notice's graph about the plan, is written once
    rows = select(store, f"""SELECT ?g WHERE {{ GRAPH ?g {{ <{CITY_PLAN}> pkg:promulgatedBy ?n }} }}""")
    assert len(rows) == 1


def test_build_reasons_per_document_like_the_reason_command(tmp_path):
    """The entailments `build` writes document by document are those `policykg reason` writes for the store."""
    store = Store(tmp_path / "s")
    build([FILES["000"], FILES["004"]], store, BASE, progress=False, reason=True)
    graphs = lambda: sorted(g for g in store.named_graphs() if g.startswith(BASE + "graph/inferred/"))  # noqa: E731
    built = store.dump_sorted(graphs())
    report = reason(store, BASE)
    assert report.consistent and store.dump_sorted(graphs()) == built


def _typed(path, file: str, graph_key: str, subject: str, cls: str) -> Store:
    """A store built from one bundled file, with one extra rdf:type written into a document graph."""
    store = Store(path)
    build([FILES[file]], store, BASE, progress=False)
    g = BASE + "graph/doc/" + graph_key
    store.apply({}, inserts={g: [ox.Quad(ox.NamedNode(BASE + subject),
                                         ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                         ox.NamedNode("https://policykg.org/ontology#" + cls), ox.NamedNode(g))]})
    return store


def test_inconsistent_data_is_reported_and_nothing_is_written(tmp_path):
    # a document that is also a measure: the ontology says these are disjoint
    key = "2023/上海市徐汇区持续优化提升营商环境行动方案"
    store = _typed(tmp_path / "s", "001", key, "doc/" + key, "Measure")
    report = reason(store, BASE)
    assert not report.consistent
    assert any("disjoint" in p and "#Document" in p and "#Provision" in p for p in report.problems)  # Measure ⊑ Provision
    assert not [g for g in store.named_graphs() if g.startswith(BASE + "graph/inferred")]
    del store
    r = run_cli("reason", "--store", str(tmp_path / "s"))
    assert r.returncode == 1 and "inconsistent" in r.stderr and "disjoint" in r.stderr


def test_inconsistency_across_modules_is_found(tmp_path):
    """An agency of the authority list typed as a document in a document's graph: only the cross-module check
    sees both types."""
    store = _typed(tmp_path / "s", "004", "嘉府办发-2024-2", "agency/上海市人民政府", "Document")
    report = reason(store, BASE)
    assert not report.consistent and any("上海市人民政府" in p for p in report.problems)


def test_build_runs_the_reasoner_unless_told_not_to(tmp_path):
    r = run_cli("build", str(FILES["004"]), "--store", str(tmp_path / "s"))
    assert r.returncode == 0, r.stderr
    assert "reasoner: OWL 2 RL rules, per document: consistent" in r.stdout
    assert BASE + "graph/inferred/doc/嘉府办发-2024-2" in Store(tmp_path / "s", read_only=True).named_graphs()
    r = run_cli("build", "--no-reason", str(FILES["004"]), "--store", str(tmp_path / "s"))
    assert "entailments of the documents written were dropped" in r.stdout
    assert BASE + "graph/inferred/doc/嘉府办发-2024-2" not in Store(tmp_path / "s", read_only=True).named_graphs()


@needs_java
def test_hermit_entails_exactly_what_the_rules_do(tmp_path):
    store = Store(tmp_path / "s")
    build([FILES["000"], FILES["003"]], store, BASE, progress=False)
    report = reason(store, BASE, use_hermit=True)
    assert report.hermit is not None and report.hermit.consistent and report.hermit.unsatisfiable == []
    assert report.inferred > 5000
    assert report.hermit_only == [] and report.rules_only == []
