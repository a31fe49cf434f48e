"""The Python API (policykg/api.py) on a real built store, and the notebook walk-through docs/notebook.md run
as it is written (its asserts are in the doc)."""
from __future__ import annotations

import datetime
import json
import os
import re

import pytest

import policykg
from helpers import CORPUS, ROOT, run_cli
from policykg.errors import PolicyKGError, QueryError, StoreError
from server_helpers import serving

CITY_NOTICE = "沪府办发〔2024〕1号"
FOREST = "https://policykg.org/id/doc/2024/上海市森林管理规定"


def notebook_blocks() -> list[str]:
    text = (ROOT / "docs" / "notebook.md").read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.M | re.S)


def test_the_notebook_walkthrough_runs_as_written(tmp_path, monkeypatch):
    blocks = notebook_blocks()
    assert len(blocks) >= 8  # build, queries, documents, measures, pages, rows, sparql, audit, gaps, close, errors
    (tmp_path / "corpus").symlink_to(ROOT / "corpus")  # the doc runs from the repository root: corpus/…
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/notebook.md block {i + 1}", "exec"), namespace)
    # what the walk-through left behind is what it says
    assert namespace["summary"].documents == 16
    yangpu = namespace["yangpu"]
    assert len(namespace["gaps"]) == yangpu["total"] - yangpu["followed"] - len(yangpu["notApplicable"]) > 0


@pytest.fixture(scope="module")
def kg(tmp_path_factory):
    path = tmp_path_factory.mktemp("api")
    with policykg.open(path) as kg:
        summary = kg.build([str(CORPUS)], reason=False)
        assert summary.errors == [] and summary.documents == 16
        yield kg


def test_open_is_exported_and_the_version_is_still_there():
    assert policykg.open is policykg.api.open and policykg.__version__ == "0.1.0"
    assert run_cli("--version").stdout.strip() == f"policykg {policykg.__version__}"


def test_a_named_query_gives_a_frame_with_the_query_columns_and_typed_values(kg):
    import pandas as pd

    docs = kg.query("documents")
    assert isinstance(docs, pd.DataFrame)
    assert list(docs.columns) == ["doc", "docNumber", "title", "type", "issuer", "issuerLabel", "publisher", "publisherLabel",
                                    "date", "inForce"]
    forest = docs.set_index("doc").loc[FOREST]
    # 003: the decree promulgating it is signed ２０２４年１月２２日, in force from ２０２４年５月１日 (past)
    assert forest["date"] == datetime.date(2024, 1, 22) and type(forest["date"]) is datetime.date
    assert forest["inForce"] is True or forest["inForce"] == True  # noqa: E712 (numpy bool in a frame)
    assert forest["title"] == "上海市森林管理规定" and forest["type"] == "regulation"


def test_rows_and_frame_hold_the_same_values(kg):
    frame = kg.query("measures", docNumber=CITY_NOTICE)
    rows = kg.query("measures", docNumber=CITY_NOTICE, as_frame=False)
    assert isinstance(rows, list) and len(rows) == len(frame) == 157
    assert list(rows[0]) == list(frame.columns)
    assert [r["text"] for r in rows] == list(frame["text"])


def test_typed_values_by_datatype(kg):
    [row] = kg.sparql("""SELECT ?i ?dec ?dbl ?b ?d ?dt ?bad ?s ?lang ?iri ?none WHERE {
        BIND(42 AS ?i) BIND(2.5 AS ?dec) BIND("1e3"^^xsd:double AS ?dbl) BIND(true AS ?b)
        BIND("2024-05-01"^^xsd:date AS ?d) BIND("2024-05-01T08:30:00"^^xsd:dateTime AS ?dt)
        BIND("2024-13-45"^^xsd:date AS ?bad) BIND("text" AS ?s) BIND("文本"@zh AS ?lang) BIND(<https://x.org/a> AS ?iri)
        OPTIONAL { ?nothing a pkg:NoSuchClass } BIND(?nothing AS ?none) }""", as_frame=False)
    assert row["i"] == 42 and type(row["i"]) is int
    assert row["dec"] == 2.5 and type(row["dec"]) is float
    assert row["dbl"] == 1000.0 and type(row["dbl"]) is float
    assert row["b"] is True
    assert row["d"] == datetime.date(2024, 5, 1)
    assert row["dt"] == datetime.datetime(2024, 5, 1, 8, 30)
    assert row["bad"] == "2024-13-45"  # not a date: the lexical form, unchanged
    assert row["s"] == "text" and row["lang"] == "文本" and row["iri"] == "https://x.org/a"
    assert row["none"] is None


def test_follow_up_scores_are_floats(kg):
    rows = kg.query("followups", district="杨浦区", limit=5, as_frame=False)
    assert rows and all(type(r["score"]) is float and 0 < r["score"] <= 1 for r in rows)


def test_ask_and_construct(kg):
    assert kg.sparql('ASK { ?d dct:title "上海市森林管理规定"@zh }') is True
    assert kg.sparql('ASK { ?d dct:title "no such title"@zh }') is False
    triples = kg.sparql(f"CONSTRUCT {{ <{FOREST}> dct:title ?t }} WHERE {{ <{FOREST}> dct:title ?t }}", as_frame=False)
    assert triples == [{"subject": FOREST, "predicate": "http://purl.org/dc/terms/title", "object": "上海市森林管理规定"}]


def test_parameters_are_bound_as_terms(kg):
    # a value that would end the literal and add a pattern, were it pasted into the text, is just a string
    assert kg.query("measures", docNumber='x" } UNION { ?measure ?p ?o', as_frame=False) == []
    by_iri = kg.query("measures", doc=f"<{FOREST}>", as_frame=False)
    assert len(by_iri) == 32 and {r["doc"] for r in by_iri} == {FOREST}  # 第一条 … 第三十二条
    with pytest.raises(QueryError, match="absolute IRI"):
        kg.query("measures", doc="<not an iri>")
    with pytest.raises(QueryError, match="must be a string"):
        kg.query("measures", docNumber=["a list"])


def test_pages_concatenate_to_the_whole_answer(kg):
    whole = kg.query("documents", as_frame=False)
    pages = [kg.query("documents", limit=5, offset=k, as_frame=False) for k in range(0, 20, 5)]
    assert [len(p) for p in pages] == [5, 5, 5, 1]
    assert [r["doc"] for p in pages for r in p] == [r["doc"] for r in whole]


def test_errors_are_policykg_errors_with_clear_messages(kg, tmp_path):
    with pytest.raises(QueryError, match=r"no such named query; known: .*documents.*measures"):
        kg.query("no-such-query")
    with pytest.raises(QueryError, match=r"unknown parameter\(s\) place; this query takes: doc, docNumber"):
        kg.query("measures", place="杨浦区")
    with pytest.raises(QueryError, match="malformed SPARQL"):
        kg.sparql("SELECT WHERE {")
    with pytest.raises(StoreError, match="is not a policykg store"):
        policykg.open(tmp_path / "nothing-here").query("documents")
    with pytest.raises(PolicyKGError, match="not both"):
        policykg.open(tmp_path, endpoint="http://127.0.0.1:1/sparql")


def test_queries_list_names_and_parameters(kg):
    listed = {q["name"]: q for q in kg.queries(as_frame=False)}
    assert listed.keys() == {p.stem for p in (ROOT / "queries").glob("*.rq")}
    assert set(listed["measures"]["params"]) == {"doc", "docNumber"}
    assert listed["documents"]["columns"][:3] == ["doc", "docNumber", "title"]


def test_stats_and_audit_are_those_of_the_cli(kg):
    cli = run_cli("stats", "--json", "--store", str(kg.path))
    assert cli.returncode == 0
    assert kg.stats() == json.loads(cli.stdout)
    cli = run_cli("audit", "--district", "杨浦", "--format", "json", "--store", str(kg.path))
    assert cli.returncode == 0
    assert kg.audit(district="杨浦") == json.loads(cli.stdout)


def test_a_build_after_reads_is_seen_by_the_next_read(tmp_path):
    kg = policykg.open(tmp_path / "store")
    kg.build([str(CORPUS / "003_cebf7cb3adb8ea3e.txt")], reason=False)
    first = len(kg.query("documents", as_frame=False))
    kg.build([str(CORPUS / "001_a0901fd0bdd4d3da.txt")], reason=False)
    second = kg.query("documents", as_frame=False)
    assert 0 < first < len(second)
    assert any(r["title"] == "上海市徐汇区持续优化提升营商环境行动方案" for r in second)  # 001 is 徐汇区's plan
    # the store is not locked by the API between builds: the CLI can build into it too
    assert run_cli("build", "--no-reason", str(CORPUS / "002_350f9eb0b21ba905.txt"), "--store",
                   str(tmp_path / "store")).returncode == 0
    kg.refresh()
    assert len(kg.query("documents", as_frame=False)) > len(second)


def test_a_remote_store_answers_like_the_embedded_one(kg):
    with serving(kg.path) as url:
        remote = policykg.open(endpoint=url + "/sparql")
        assert remote.query("documents", as_frame=False) == kg.query("documents", as_frame=False)
        assert remote.query("measures", docNumber=CITY_NOTICE, as_frame=False) == \
            kg.query("measures", docNumber=CITY_NOTICE, as_frame=False)
