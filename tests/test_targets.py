"""Quantified targets (issue 18): years stated in the sentence, Chinese numerals, exact provenance of the value,
and the targets query's ?group — on hand labels, a real store built from files, and the named query."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from policykg import queries
from policykg.cli import run_query
from policykg.loaders.numerals import cn_number, plan_periods, year_of

from helpers import BASE, select
from knowledge_eval import LABELS, REAL
from targets_eval import evaluate


# ------------------------------------------------------------------ against the hand labels
# Figures of the reader before this change (the state of main, `python tests/targets_eval.py`): real F1 value 0.54,
# year 0.22, metric 0.40; constructed F1 value 0.21, year 0.11, metric 0.21. Every floor below fails on it.
@pytest.mark.skipif(not REAL.is_dir(), reason="needs ../shared/corpus/china-real")
def test_real_sentences_labelled_before_the_reader():
    s = evaluate(LABELS / "targets-real.json")
    assert s["value"].p >= 0.9 and s["value"].r >= 0.9, s["value"]
    assert s["year"].p >= 0.9 and s["year"].r >= 0.9, s["year"]
    assert s["metric"].f1 >= 0.85, s["metric"]


def test_constructed_year_forms_and_chinese_numerals():
    s = evaluate(LABELS / "targets-constructed.json")
    for field in ("value", "year", "metric"):
        assert s[field].f1 >= 0.9, (field, s[field])


# ------------------------------------------------------------------ the pieces
@pytest.mark.parametrize("printed, value", [
    ("90", 90), ("1.5", 1.5), ("九十", 90), ("五千", 5000), ("一百二十", 120), ("三十五点五", 35.5), ("两万", 20000),
    ("两万五千", 25000), ("十万", 100000), ("一千二百", 1200), ("一百零五", 105), ("百", 100), ("二〇二五", 2025),
    ("一亿二千万", 120_000_000),
])
def test_chinese_numerals(printed, value):
    assert cn_number(printed) == value


@pytest.mark.parametrize("printed", ["", "万", "五点", "abc", "两两"])
def test_what_is_not_a_numeral(printed):
    assert cn_number(printed) is None


def test_plan_periods_are_data_with_a_source():
    text = (Path(__file__).resolve().parent.parent / "ontology" / "plan_periods.tsv").read_text(encoding="utf-8")
    assert "# source:" in text
    assert plan_periods()["十四五"] == (2021, 2025) and plan_periods()["十五五"] == (2026, 2030)


@pytest.mark.parametrize("paragraph, value, year", [
    # the nearest year before the value in its sentence wins over the year leading the paragraph
    ("2024年，启动试点工作，力争到2026年试点企业达到五十家。", "五十家", 2026),
    ("2024年，老旧小区改造达到100个；到2026年，改造总数达到三百个。", "三百个", 2026),
    ("2024年，老旧小区改造达到100个；到2026年，改造总数达到三百个。", "100个", 2024),
    # a year leading an earlier sentence of the paragraph dates the sentences after it
    ("2025年，持续拓展服务。“一业一证”行业达到40个。", "40个", 2025),
    ("到2020年，问题基本解决。全国农机总动力超过10亿千瓦。", "10亿千瓦", 2020),
    ("“十四五”末，利用率提高到三成。", "三成", 2025),
    ("在2026年前，企业超过一千二百家。", "一千二百家", 2026),
    ("到二〇二五年，专精特新企业达到五千家。", "五千家", 2025),
    # a span of dates is not a target year; a year inside a title is not either
    ("2019年1月1日至2020年12月31日，补贴比例达到50%。", "50%", None),
    ("落实《2024年工作要点》，覆盖率达到90%。", "90%", None),
])
def test_the_year_of_a_value(paragraph, value, year):
    assert year_of(paragraph, paragraph.index(value)) == year


# ------------------------------------------------------------------ provenance in a real store
@pytest.fixture(scope="module")
def plan_store(tmp_path_factory):
    from policykg.loaders.build import build
    from policykg.store import Store

    doc = json.loads((LABELS / "targets-constructed.json").read_text(encoding="utf-8"))["document"]
    # a full-width numeral: the normaliser reads it as 1.5; the span must still select the printed characters
    doc += "（十二）新能源汽车保有量达到１．５万辆。\n"
    folder = tmp_path_factory.mktemp("targets")
    path = folder / "plan.txt"
    path.write_text(doc, encoding="utf-8")
    store = Store(folder / "store")
    build([path], store, BASE, progress=False)
    return store, doc


def test_the_span_of_a_value_selects_the_numeral_as_printed(plan_store):
    store, raw = plan_store
    rows = select(store, """SELECT ?t ?value ?unit ?start ?end ?exact WHERE {
        ?t a pkg:Target ; pkg:value ?value ; pkg:unit ?unit ; pkg:sourceSpan ?span .
        ?span oa:hasSelector ?pos , ?quote . ?pos a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
        ?quote a oa:TextQuoteSelector ; oa:exact ?exact }""")
    got = {(float(r["value"]), r["unit"]): raw[int(r["start"]):int(r["end"])] for r in rows}
    for r in rows:
        assert raw[int(r["start"]):int(r["end"])] == r["exact"]
    assert got[(90.0, "%")] == "百分之九十"
    assert got[(5000.0, "家")] == "五千"
    assert got[(30.0, "%")] == "三成"
    assert got[(120.0, "亿元")] == "一百二十"
    assert got[(35.5, "%")] == "百分之三十五点五"
    assert got[(2.0, "万个")] == "两"
    assert got[(1.5, "万辆")] == "１．５"  # full-width in the file, 1.5 in the normalised text
    n = select(store, "SELECT (COUNT(?t) AS ?n) WHERE { ?t a pkg:Target }")[0]["n"]
    assert len(rows) == int(n) == 16  # every target has its span: the 15 labelled ones and 1.5万辆


def test_a_target_is_read_once(plan_store, built):
    for store in (plan_store[0], built[0]):
        rows = select(store, """SELECT ?m ?clause ?value (COUNT(?t) AS ?n) WHERE {
            ?t a pkg:Target ; pkg:statedIn ?m ; pkg:clause ?clause ; pkg:value ?value }
            GROUP BY ?m ?clause ?value HAVING (COUNT(?t) > 1)""")
        assert rows == []


# ------------------------------------------------------------------ the named query
def test_targets_query_gives_the_group_and_the_sentence_year(built, plan_store):
    store, _ = built
    rows = list(run_query(store, queries.load("targets").text, {}, "targets"))
    amounts = {(r["group"].value, float(r["value"].value)) for r in rows if r["group"] is not None}
    assert ("65-69周岁", 75.0) in amounts and ("100周岁及以上", 600.0) in amounts
    assert all(r["group"] is None for r in rows if r["unit"].value != "元/人/月")
    rows = list(run_query(plan_store[0], queries.load("targets").text, {}, "targets"))
    got = {(r["metric"].value, float(r["value"].value), r["unit"].value, r["year"].value if r["year"] else None)
           for r in rows}
    assert ("专精特新企业", 5000.0, "家", "2025") in got
    assert ("试点企业", 50.0, "家", "2026") in got
    assert ("累计培训技能人才", 10.0, "万人", "2030") in got
