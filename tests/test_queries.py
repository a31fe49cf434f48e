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


def test_page_scope_lines_become_query_text_only_for_a_page():
    import pyoxigraph as ox

    text = ("SELECT ?x WHERE {\n  #with page: { SELECT ?x WHERE {\n  #with !page: ?x a ?whole .\n"
            "  #with v: ?x ?p $param_v .\n  ?x ?p ?o .\n  #with page: } ORDER BY ?x\n  #with page: #page\n"
            "  #with page: }\n}\nORDER BY ?x\n")
    whole = queries.bind(text, {"v": ox.Literal("a")})
    assert "?x a ?whole ." in whole and "#with page:" in whole and "LIMIT" not in whole
    assert whole.index("VALUES ?param_v") < whole.index("?x a ?whole")  # the outer WHERE: no subquery
    paged = queries.bind(text, {"v": ox.Literal("a")}, limit=5, offset=10)
    assert "#with !page: ?x a ?whole" in paged and "#with page" not in paged.replace("#with !page", "")
    # the page's subquery holds the parameters and the LIMIT; the outer query keeps its own ORDER BY
    inner = paged.index("{ SELECT ?x WHERE {")
    assert inner < paged.index("VALUES ?param_v") < paged.index("LIMIT 5 OFFSET 10") < paged.rindex("ORDER BY ?x")
    assert re.search(r"(?m)^\s*\?x \?p \$param_v \.$", paged)
    with pytest.raises(queries.QueryError, match="no parameter may be called 'page'"):
        queries.NamedQuery.parse("bad", "SELECT ?x WHERE { ?x ?p $param_page }")
    with pytest.raises(queries.QueryError, match="may not name parameters too"):
        queries.bind("SELECT ?x WHERE {\n  #with page v: ?x ?p $param_v .\n}\n", {}, limit=1)


FOLLOWUP_SCOPES = [{}, {"district": "杨浦"}, {"district": "310110"}, {"plan": "沪府办发〔2024〕1号"},
                   {"district": "杨浦区", "plan": "沪府办发〔2024〕1号"}]


@pytest.mark.parametrize("scope", FOLLOWUP_SCOPES, ids=lambda s: "+".join(s) or "whole")
def test_followup_pages_concatenate_to_the_whole_answer_in_every_scope(built, scope):
    """The whole answer is computed flat, a page through its ordered keys (the #with page lines): the same rows in
    the same order, page after page, and no row twice."""
    import pyoxigraph as ox

    store, _ = built
    text = queries.load("followups").text
    values = {k: ox.Literal(v) for k, v in scope.items()}
    key = lambda r: tuple(str(r[v]) for v in queries.load("followups").columns)  # noqa: E731
    whole = [key(r) for r in run_query(store, text, values, "followups")]
    assert whole and len(whole) == len(set(whole))
    subquery = re.compile(r"(?m)^\s*SELECT \?f \?d \?districtCode \?order$")
    assert not subquery.search(queries.bind(text, values)) and subquery.search(queries.bind(text, values, limit=7))
    pages, offset = [], 0
    while True:
        page = [key(r) for r in run_query(store, text, values, "followups", limit=40, offset=offset)]
        pages += page
        offset += 40
        if len(page) < 40:
            break
    assert pages == whole


def test_followups_of_a_district_come_plan_by_plan_in_the_order_of_the_plans_text(built):
    """Rows of one district plan are together, in the order of the plan's text: the order is read here from the
    measures' source spans (the characters they were read from), not from the materialised key."""
    import pyoxigraph as ox

    store, _ = built
    rows = list(run_query(store, queries.load("followups").text, {"district": ox.Literal("杨浦")}, "followups"))
    start = {r["m"].value: (r["plan"].value, int(r["start"].value)) for r in store.query(
        """SELECT ?m ?plan ?start WHERE { ?m a pkg:Measure ; pkg:inDocument ?plan ; pkg:sourceSpan/oa:hasSelector ?s .
           ?s a oa:TextPositionSelector ; oa:start ?start . ?plan pkg:district ?d . ?d pkg:gbCode "310110" }""")}
    seen = [start[r["districtMeasure"].value] for r in rows]
    plans = [p for k, (p, _) in enumerate(seen) if k == 0 or seen[k - 1][0] != p]
    assert len(plans) == len(set(plans)) >= 1  # each plan's rows in one run
    for plan in plans:
        starts = [s for p, s in seen if p == plan]
        assert starts == sorted(starts)


def test_a_store_built_before_the_followup_order_gets_it_at_its_next_build(tmp_path):
    """Links written before pkg:followupOrder would drop out of the followups list: the next build of any document
    matches every district plan again."""
    import pyoxigraph as ox

    store = tmp_path / "s"
    assert run_cli("build", "--no-reason", str(CORPUS), "--store", str(store)).returncode == 0
    rows = lambda: run_cli("query", "followups", "--store", str(store), "--format", "tsv").stdout  # noqa: E731
    before = rows()
    assert before.count("\n") > 100
    s = ox.Store(str(store))
    s.update("DELETE WHERE { GRAPH ?g { ?f <https://policykg.org/ontology#followupOrder> ?o ; "
             "<https://policykg.org/ontology#followupPlan> ?p } }")
    s.flush()
    del s
    assert rows().count("\n") == 1  # the header alone: what an earlier layout would show
    regulation = next(p for p in sorted(CORPUS.iterdir()) if "森林" in p.read_text(encoding="utf-8")[:300])
    assert run_cli("build", "--no-reason", str(regulation), "--store", str(store)).returncode == 0  # no plan
    assert rows() == before
