"""The named query library: documented headers, exact columns, and answers on the real store."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest

from policykg import queries
from policykg.cli import run_query

from helpers import CORPUS, run_cli

REQUIRED = {
    "documents": ["doc", "docNumber", "title", "type", "issuer", "issuerLabel", "publisher", "publisherLabel", "date",
                  "inForce"],
    "measures": ["measure", "doc", "docNumber", "path", "text"],
    "promulgations": ["notice", "noticeNumber", "issued", "issuedTitle"],
    "responsible-units": ["measure", "doc", "path", "unit", "unitLabel", "unitText", "role", "method", "deadline"],
    "obligations": ["statement", "provision", "doc", "path", "modality", "cue", "bearer", "bearerLabel", "bearerText", "text"],
    "legal-bases": ["doc", "basis", "basisTitle", "basisNumber", "inCorpus"],
    "document-links": ["from", "relation", "to", "toTitle"],
    "targets": ["measure", "doc", "metric", "value", "unit", "year", "group", "text"],
    "followups": ["districtMeasure", "districtMeasureText", "district", "districtCode", "cityMeasure", "cityMeasureText", "score", "method"],
    "measures-without-followup": ["cityMeasure", "cityMeasureText", "path", "district", "districtCode"],
}


@pytest.mark.parametrize("name", queries.names())
def test_every_query_is_documented_and_its_columns_are_its_projection(name, built):
    q = queries.load(name)
    assert q.title and q.description, f"{name}.rq needs a title and a description"
    assert q.columns, f"{name}.rq needs a columns line"
    for p, desc in q.params.items():
        assert desc, f"{name}.rq: parameter {p} is not documented in the header"
    store, _ = built
    res = run_query(store, q.text, {}, name)
    assert [v.value for v in res.variables] == q.columns


@pytest.mark.parametrize("name, columns", REQUIRED.items())
def test_required_queries_have_exactly_these_columns(name, columns):
    assert queries.load(name).columns == columns


def test_documents_one_row_per_document_with_type_codes(built):
    store, _ = built
    rows = list(run_query(store, queries.load("documents").text, {}, "documents"))
    docs = [r["doc"].value for r in rows]
    assert len(docs) == len(set(docs)) == 16
    allowed = {"decree", "regulation", "notice", "action-plan", "implementation-plan", "interpretation", "plan"}
    assert {r["type"].value for r in rows} <= allowed


def test_measures_filtered_by_the_issuing_notice_number(built):
    import pyoxigraph as ox

    store, _ = built
    rows = list(run_query(store, queries.load("measures").text, {"docNumber": ox.Literal("沪府办发〔2024〕1号")}, "measures"))
    assert len(rows) == 157  # the city plan's measures, issued under that number
    assert rows[0]["path"].value == "sec_1__subsec_1__meas_1"  # document order
    assert rows[0]["text"].value.startswith("系统提升“上海企业登记在线”服务品质")


def test_query_cli_formats(tmp_path):
    store = tmp_path / "s"
    assert run_cli("build", "--no-reason", str(CORPUS), "--store", str(store)).returncode == 0
    r = run_cli("query", "promulgations", "--store", str(store), "--format", "json")
    data = json.loads(r.stdout)
    assert data["head"]["vars"] == REQUIRED["promulgations"] and len(data["results"]["bindings"]) == 6
    r = run_cli("query", "documents", "--param", "type=regulation", "--store", str(store), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["title"] for row in rows] == ["上海市森林管理规定"]
    r = run_cli("query", "measures", "--param", "docNumber=上海市人民政府令第9号", "--store", str(store), "--format", "tsv")
    assert len(r.stdout.strip().splitlines()) == 1 + 32  # header + the 32 articles of the regulation it issued
    r = run_cli("query", "documents", "--store", str(store))
    assert "(16 rows)" in r.stdout
    q = tmp_path / "count.rq"
    q.write_text("# title: count\nSELECT (COUNT(*) AS ?n) WHERE { ?m a pkg:Measure }\n", encoding="utf-8")
    r = run_cli("query", str(q), "--store", str(store), "--format", "csv")
    assert r.stdout.splitlines()[1] == "831"
    r = run_cli("query", "-e", "CONSTRUCT { ?d dct:title ?t } WHERE { ?d eli:id_local \"沪府规〔2024〕1号\" ; dct:title ?t }",
                "--store", str(store))
    assert "上海市人民政府关于完善老年综合津贴制度的通知" in r.stdout and "@prefix" in r.stdout


def test_scope_lines_become_query_text_only_when_their_parameter_is_given(built):
    """measures.rq carries its docNumber scope as a comment: the file alone (as pasted into YASGUI) means
    every document; bound, the scope pattern leads, and the rows are those the filter alone selects."""
    import pyoxigraph as ox

    q = queries.load("measures")
    scope = "{ ?doc eli:id_local $param_docNumber }"
    assert "#with docNumber: " + scope in q.text
    assert queries.bind(q.text, {}) == q.text
    bound = queries.bind(q.text, {"docNumber": ox.Literal("沪府办发〔2024〕1号")})
    assert re.search(r"(?m)^\s*" + re.escape(scope), bound) and "#with docNumber" not in bound
    # without the scope line, the FILTER alone selects the same rows
    store = built[0]
    unscoped = re.sub(r"(?m)^\s*#with .*$", "", q.text)
    value = {"docNumber": ox.Literal("沪府办发〔2024〕1号")}
    rows = [tuple(map(str, r)) for r in store.query(bound)]
    assert len(rows) == 157
    assert rows == [tuple(map(str, r)) for r in store.query(queries.bind(unscoped, value))]
