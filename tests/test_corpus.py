"""The bundled corpus, built into a real store: documents, structure and metadata.

Expected values were taken by reading the files (corpus/shanghai-2024, see
corpus/README.md), not from policykg's output:

* 000 holds notice 沪府办发〔2024〕1号 (上海市人民政府办公厅, 2024年1月13日, “此件公开发布”,
  three recipient groups) and the city action plan it issues; 003 holds the same two
  documents again. Five parts 一…五 with 10, 4, 5, 4 and 5 sections (一)….
* 001 is Xuhui's plan: no notice, no number, “本行动方案自 2023 年 4 月 3 日起施行”.
* 002 is notice 杨府发〔2024〕3号 (上海市杨浦区人民政府, 2024年3月4日) and its 实施方案.
* 003 holds decree 上海市人民政府令第9号 (2024年1月22日) issuing the forest regulation
  (第一条…第三十二条, in force 2024年5月1日); notice 沪府规〔2024〕1号 (2024年1月23日, in force
  2024年5月1日, 有效期至2029年4月30日); notice 沪府发〔2024〕1号 (2024年2月3日) issuing the
  free-trade-zone plan (items １．…１１７．); the copy of 沪府办发〔2024〕1号; notice
  沪府办发〔2024〕2号 (2024年1月4日) issuing the 一网通办 plan; two 政策解读.
* 004 is notice 嘉府办发〔2024〕2号 (上海市嘉定区人民政府办公室, no date printed) and its
  plan of 24 numbered measures.
"""
from __future__ import annotations

import re

import pytest

from helpers import BASE, FILES, PKG, select

DOC = BASE + "doc/"
CITY_PLAN = DOC + "2024/上海市坚持对标改革持续打造国际一流营商环境行动方案"
FOREST = DOC + "2024/上海市森林管理规定"
FTZ = DOC + "2024/上海市落实-全面对接国际高标准经贸规则推进中国-上海-自由贸易试验区高水平制度型开放总体方案-的实施方案"


def docs(store) -> dict[str, dict]:
    rows = select(store, """
        SELECT ?doc ?number ?title ?type ?issuer ?date ?force ?expiry WHERE {
          ?doc a pkg:Document ; dct:title ?title ; pkg:documentType ?t .
          BIND(STRAFTER(STR(?t), "#") AS ?type)
          OPTIONAL { ?doc eli:id_local ?number }
          OPTIONAL { ?doc eli:passed_by/skos:prefLabel ?issuer }
          OPTIONAL { ?doc eli:date_document ?date }
          OPTIONAL { ?doc eli:first_date_entry_in_force ?force }
          OPTIONAL { ?doc eli:date_no_longer_in_force ?expiry } }""")
    return {r["doc"]: r for r in rows}


def test_build_reports_no_error(built):
    store, summary = built
    assert summary.errors == []
    assert [f.ok for f in summary.files] == [True] * 5


def test_sixteen_documents_and_the_shared_notice_exactly_once(built):
    store, _ = built
    d = docs(store)
    assert len(d) == 16
    numbered = [r for r in d.values() if r["number"] == "沪府办发〔2024〕1号"]
    assert len(numbered) == 1
    city_plans = [r for r in d.values() if r["title"] == "上海市坚持对标改革持续打造国际一流营商环境行动方案"]
    assert len(city_plans) == 1


@pytest.mark.parametrize(
    "number, issuer, date, type_",
    [
        ("沪府办发〔2024〕1号", "上海市人民政府办公厅", "2024-01-13", "notice"),
        ("杨府发〔2024〕3号", "上海市杨浦区人民政府", "2024-03-04", "notice"),
        ("上海市人民政府令第9号", "上海市人民政府", "2024-01-22", "decree"),
        ("沪府规〔2024〕1号", "上海市人民政府", "2024-01-23", "notice"),
        ("沪府发〔2024〕1号", "上海市人民政府", "2024-02-03", "notice"),
        ("沪府办发〔2024〕2号", "上海市人民政府办公厅", "2024-01-04", "notice"),
        ("嘉府办发〔2024〕2号", "上海市嘉定区人民政府办公室", None, "notice"),
    ],
)
def test_numbered_documents_have_their_issuer_date_and_type(built, number, issuer, date, type_):
    store, _ = built
    [row] = [r for r in docs(store).values() if r["number"] == number]
    assert (row["issuer"], row["date"], row["type"]) == (issuer, date, type_)


def test_dates_of_entry_into_force_and_expiry(built):
    store, _ = built
    d = docs(store)
    assert d[FOREST]["force"] == "2024-05-01" and d[FOREST]["date"] == "2024-01-22"
    assert d[FOREST]["type"] == "regulation" and d[FOREST]["issuer"] == "上海市人民政府"
    [allowance] = [r for r in d.values() if r["number"] == "沪府规〔2024〕1号"]
    assert (allowance["force"], allowance["expiry"]) == ("2024-05-01", "2029-04-30")
    [xuhui] = [r for r in d.values() if r["title"] == "上海市徐汇区持续优化提升营商环境行动方案"]
    assert (xuhui["force"], xuhui["number"], xuhui["type"]) == ("2023-04-03", None, "action-plan")
    assert xuhui["issuer"] == "上海市徐汇区人民政府"


def test_document_types_of_issued_plans_and_interpretations(built):
    store, _ = built
    types = sorted(r["type"] for r in docs(store).values())
    assert types.count("interpretation") == 2
    assert types.count("action-plan") == 4  # city 营商环境 plan, Xuhui, Jiading, 一网通办
    assert types.count("implementation-plan") == 2  # Yangpu, free-trade zone
    assert types.count("decree") == 1 and types.count("regulation") == 1 and types.count("notice") == 6


def test_recipients_and_release_marking(built):
    store, _ = built
    rows = select(store, f"""SELECT ?r WHERE {{ ?d eli:id_local "沪府办发〔2024〕1号" ; pkg:recipient ?r }}""")
    assert sorted(r["r"] for r in rows) == sorted(["各区人民政府", "市政府各委、办、局", "各有关单位"])
    [row] = select(store, """SELECT ?m WHERE { ?d eli:id_local "沪府办发〔2024〕1号" ; pkg:releaseMarking ?m }""")
    assert row["m"] == "此件公开发布"
    [row] = select(store, """SELECT ?m WHERE { ?d eli:id_local "嘉府办发〔2024〕2号" ; pkg:releaseMarking ?m }""")
    assert row["m"] == "此件正文公开发布，附件不公开"


def test_promulgations_link_notices_and_decree_to_what_they_issue(built):
    store, _ = built
    rows = select(store, """SELECT ?n ?t WHERE { ?notice pkg:promulgates ?doc . ?notice eli:id_local ?n . ?doc dct:title ?t }""")
    pairs = {(r["n"], r["t"]) for r in rows}
    assert ("上海市人民政府令第9号", "上海市森林管理规定") in pairs
    assert ("沪府办发〔2024〕1号", "上海市坚持对标改革持续打造国际一流营商环境行动方案") in pairs
    assert ("嘉府办发〔2024〕2号", "嘉定区坚持对标改革持续打造国际一流营商环境行动方案") in pairs
    assert len(pairs) == 6
    # and the inverse is stated on the issued document
    [row] = select(store, f"""SELECT ?n WHERE {{ <{FOREST}> pkg:promulgatedBy/eli:id_local ?n }}""")
    assert row["n"] == "上海市人民政府令第9号"


FOREST_HEADINGS = {
    1: "目的和依据", 2: "适用范围", 3: "原则和目标", 4: "管理部门", 5: "目标责任制和考核评价", 6: "林长制",
    7: "森林生态效益补偿制度", 8: "宣传教育和科研推广", 9: "表彰奖励", 10: "森林资源保护发展", 11: "规划编制",
    12: "年度计划制定和实施", 13: "行业造林", 14: "科学造林和检查验收", 15: "公益林划定", 16: "公益林分级保护",
    17: "公益林经营", 18: "公益林养护", 19: "商品林经营", 20: "林地占用总量控制", 21: "占用林地许可",
    22: "临时使用林地许可", 23: "林木采伐管理", 24: "施工告示", 25: "森林防灭火职责", 26: "林业有害生物防控",
    27: "森林资源调查监测制度", 28: "禁止行为", 29: "核查工作机制", 30: "信用管理", 31: "法律责任", 32: "施行日期",
}


def test_forest_regulation_has_32_articles_with_their_headings(built):
    store, _ = built
    rows = select(store, f"""SELECT ?path ?n ?h WHERE {{ ?a a pkg:Article ; pkg:inDocument <{FOREST}> ;
                              pkg:path ?path ; pkg:ordinal ?n ; pkg:heading ?h }}""")
    got = {int(r["n"]): r["h"] for r in rows}
    assert got == FOREST_HEADINGS
    assert {r["path"] for r in rows} == {f"art_{i}" for i in range(1, 33)}


@pytest.mark.parametrize("article, paragraphs", [(4, 3), (18, 3), (21, 5), (22, 3), (28, 4), (2, 0)])
def test_forest_article_paragraphs(built, article, paragraphs):
    """Paragraph counts read off the gazette (a single-paragraph article has no paragraph nodes)."""
    store, _ = built
    rows = select(store, f"""SELECT ?p WHERE {{ ?p a pkg:Paragraph ; eli:is_part_of <{FOREST}/art_{article}> }}""")
    assert len(rows) == paragraphs


def test_article_28_text_is_the_four_prohibitions(built):
    store, _ = built
    [row] = select(store, f"""SELECT ?t WHERE {{ <{FOREST}/art_28> pkg:text ?t }}""")
    paras = row["t"].split("\n")
    assert [p[:6] for p in paras] == ["禁止毁林开垦", "禁止向林地排", "禁止在幼林地", "禁止擅自移动"]


def test_free_trade_zone_plan_has_117_numbered_measures(built):
    store, _ = built
    rows = select(store, f"""SELECT ?n WHERE {{ ?i a pkg:Item ; pkg:inDocument <{FTZ}> ; pkg:ordinal ?n }}""")
    assert sorted(int(r["n"]) for r in rows) == list(range(1, 118))
    # item 5 has two sentences, so two measures; the responsible-unit list is not a measure
    rows = select(store, f"""SELECT ?t WHERE {{ ?m a pkg:Measure ; eli:is_part_of <{FTZ}/sec_2__subsec_2__item_5> ; pkg:text ?t }}""")
    assert sorted(r["t"][:8] for r in rows) == ["在国家数据跨境传", "金融机构开展数据"]
    assert all("责任单位" not in r["t"] for r in rows)
    [row] = select(store, f"""SELECT ?h WHERE {{ <{FTZ}/sec_8__item_107> pkg:heading ?h }}""")
    assert row["h"] == "健全风险评估机制"


def test_every_city_plan_measure_sentence(built):
    """The raw city plan writes 。 as '.'; after 一、 the full stops minus the 28 section headings are the measures."""
    store, _ = built
    raw = FILES["000"].read_text(encoding="utf-8")
    body = raw[raw.index("一、对标改革提升行动"):]
    headings = re.findall(r"\(([一二三四五六七八九十]+)\)[^.\n]{1,30}\.", body)
    assert len(headings) == 28
    expected = body.count(".") - len(headings)
    rows = select(store, f"""SELECT ?m ?t WHERE {{ ?m a pkg:Measure ; pkg:inDocument <{CITY_PLAN}> ; pkg:text ?t }}""")
    assert len(rows) == expected == 157
    assert all(r["t"].endswith("。") for r in rows)


@pytest.mark.parametrize(
    "path, heading, measures",
    [  # counted by hand in 000
        ("sec_1__subsec_1", "市场准入", 8),
        ("sec_1__subsec_2", "获取经营场所", 7),
        ("sec_1__subsec_3", "公用设施服务", 7),
        ("sec_1__subsec_4", "劳动就业", 6),
        ("sec_3__subsec_2", "智慧监管", 3),
        ("sec_4__subsec_4", "各区打造“一区一品”特色营商环境", 2),
    ],
)
def test_city_plan_sections(built, path, heading, measures):
    store, _ = built
    [row] = select(store, f"""SELECT ?h WHERE {{ <{CITY_PLAN}/{path}> pkg:heading ?h }}""")
    assert row["h"] == heading
    rows = select(store, f"""SELECT ?m WHERE {{ ?m a pkg:Measure ; eli:is_part_of <{CITY_PLAN}/{path}> }}""")
    assert len(rows) == measures


def test_jiading_plan_has_24_numbered_items(built):
    store, _ = built
    rows = select(store, """SELECT ?n ?h WHERE { ?d dct:title "嘉定区坚持对标改革持续打造国际一流营商环境行动方案"@zh .
                             ?i a pkg:Item ; pkg:inDocument ?d ; pkg:ordinal ?n . OPTIONAL { ?i pkg:heading ?h } }""")
    assert sorted(int(r["n"]) for r in rows) == list(range(1, 25))
    headings = {int(r["n"]): r["h"] for r in rows}
    assert headings[11] == "政策服务友好普惠"  # printed as **政策服务友好普惠** (markdown debris)
    assert headings[18] == "打造北虹桥特色营商环境"


def test_interpretations_are_documents_of_their_own(built):
    store, _ = built
    rows = select(store, """SELECT ?t WHERE { ?d pkg:documentType pkgdt:interpretation ; dct:title ?t }""")
    assert sorted(r["t"] for r in rows) == sorted([
        "关于《上海市森林管理规定》的政策解读",
        "关于《上海市人民政府关于完善老年综合津贴制度的通知》的政策解读",
    ])


def test_provision_paths_are_unique_within_each_document(built):
    store, _ = built
    rows = select(store, """SELECT ?d ?path (COUNT(?p) AS ?n) WHERE { ?p pkg:inDocument ?d ; pkg:path ?path }
                            GROUP BY ?d ?path HAVING (COUNT(?p) > 1)""")
    assert rows == []


def test_every_quote_selector_normalises_to_the_node_text(built):
    """The offset map is exact: the raw characters a measure was read from normalise to its text."""
    from policykg.loaders.normalise import normalise

    store, _ = built
    rows = select(store, """SELECT ?m ?text ?exact WHERE {
        { ?m a pkg:Measure } UNION { ?m a pkg:Paragraph }
        ?m pkg:text ?text ; pkg:sourceSpan/oa:hasSelector ?q . ?q a oa:TextQuoteSelector ; oa:exact ?exact }""")
    assert len(rows) > 900
    bad = [r["m"] for r in rows if normalise(r["exact"]).text.replace("\n", "") != r["text"].replace("\n", "")]
    assert bad == []


def test_position_selectors_index_the_canonical_source_file(built):
    """The shared notice's graph is built from 000 (its own file) rather than from the gazette."""
    import hashlib

    store, _ = built
    sha000 = hashlib.sha256(FILES["000"].read_bytes()).hexdigest()
    [row] = select(store, f"""SELECT ?src ?s ?e WHERE {{ <{CITY_PLAN}/sec_1__subsec_1__meas_1> pkg:sourceSpan ?sp .
        ?sp oa:hasSource ?src ; oa:hasSelector ?p . ?p a oa:TextPositionSelector ; oa:start ?s ; oa:end ?e }}""")
    assert row["src"] == BASE + "source/" + sha000[:16]
    raw = FILES["000"].read_text(encoding="utf-8")
    assert raw[int(row["s"]):int(row["e"])].startswith("系统提升“上海企业登记在线”服务品质,同")
    # and both files are recorded as holding it
    rows = select(store, f"""SELECT ?src WHERE {{ GRAPH <{BASE}graph/meta> {{ ?src pkg:containsDocument <{CITY_PLAN}> }} }}""")
    assert len(rows) == 2
