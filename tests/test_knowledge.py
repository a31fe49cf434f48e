"""Who must do what, on the real store and on the awkward cases the issue names."""
from __future__ import annotations

import hashlib

import pytest

from policykg.loaders.authority import Authority, split_units
from policykg.loaders.knowledge import document_links, explicit_units, extract_knowledge
from policykg.loaders.model import SourceText
from policykg.loaders.parse import parse_source

from helpers import BASE, FILES, run_cli, select

FTZ = BASE + "doc/2024/上海市落实-全面对接国际高标准经贸规则推进中国-上海-自由贸易试验区高水平制度型开放总体方案-的实施方案"
FOREST = BASE + "doc/2024/上海市森林管理规定"


def parse(text: str):
    return parse_source(SourceText(path="x.txt", format="text", text=text,
                                   sha256=hashlib.sha256(text.encode()).hexdigest(), size=len(text))).documents


@pytest.fixture(scope="module")
def auth():
    return Authority(BASE)


# ------------------------------------------------------------------ awkward cases
def test_nested_parentheses_in_a_unit_list(auth):
    units = explicit_units("开展资产支持证券跨境转让业务。（责任单位：上海证监局、浦东新区政府（上海自贸试验区管委会）、临港新片区管委会）")
    assert units == [("上海证监局", "responsible"), ("浦东新区政府（上海自贸试验区管委会）", "responsible"),
                     ("临港新片区管委会", "responsible")]
    u = auth.resolve("浦东新区政府（上海自贸试验区管委会）")
    assert (u.label, u.kind, u.resolved, u.level) == ("上海市浦东新区人民政府", "agency", True, "district")


def test_a_list_broken_across_lines_in_the_gazette(built):
    """Item 26's list breaks inside 浦东新区 政 府 (上 海 自 贸 试 验 区 管 委 会) over two lines."""
    store, _ = built
    rows = select(store, f"""SELECT ?text ?label WHERE {{ <{FTZ}/sec_3__subsec_2__item_26__meas_1> pkg:hasResponsibility ?r .
                              ?r pkg:unitText ?text ; pkg:responsibleUnit/skos:prefLabel ?label }}""")
    assert {(r["text"], r["label"]) for r in rows} == {
        ("市密码管理局", "上海市密码管理局"), ("市经济信息化委", "上海市经济和信息化委员会"),
        ("市市场监管局", "上海市市场监督管理局"), ("浦东新区政府（上海自贸试验区管委会）", "上海市浦东新区人民政府")}


def test_lead_and_co_roles_are_kept_apart(auth):
    assert explicit_units("推进政务服务标准化。（牵头单位：区政务服务办；责任单位：区市场局、区行政服务中心）") == [
        ("区政务服务办", "lead"), ("区市场局", "co"), ("区行政服务中心", "co")]
    assert explicit_units("加强监管执法。（区市场局、区行政服务中心）") == [("区市场局", "responsible"), ("区行政服务中心", "responsible")]
    assert explicit_units("加强监管执法（试点）") is None  # a parenthesis that names no body
    u = auth.resolve("区市场局", "310110")  # in a 杨浦区 document (its GB/T 2260 code)
    assert (u.label, u.resolved, u.level) == ("上海市杨浦区市场局", False, "district")


def test_a_title_within_a_title():
    [notice, plan] = parse(
        "上海市人民政府关于印发《上海市落实〈全面对接国际高标准经贸规则推进中国（上海）自由贸易试验区高水平制度型开放总体方案〉的实施方案》的通知\n"
        "沪府发〔2024〕1号\n各区人民政府：\n现将《上海市落实〈总体方案〉的实施方案》印发给你们，请认真贯彻执行。\n上海市人民政府\n2024年2月3日\n"
        "上海市落实《全面对接国际高标准经贸规则推进中国（上海）自由贸易试验区高水平制度型开放总体方案》的实施方案\n"
        "为深入贯彻落实《全面对接国际高标准经贸规则推进中国（上海）自由贸易试验区高水平制度型开放总体方案》（以下简称《总体方案》），制定本实施方案。\n"
        "一、主要目标\n稳步扩大制度型开放。\n")
    assert plan.promulgated_by == notice.key
    [basis] = [l for l in document_links(plan) if l.relation == "based-on"]
    assert basis.title == "全面对接国际高标准经贸规则推进中国（上海）自由贸易试验区高水平制度型开放总体方案"
    [basis] = [l for l in document_links(parse("某区行动方案\n根据«上海市落实‹总体方案›的实施方案»，制定本方案。\n一、任务\n推进改革。\n")[0])
               if l.relation == "based-on"]
    assert basis.title == "上海市落实《总体方案》的实施方案"


def test_generic_roles_resolve_to_the_level_the_text_implies(auth):
    # in a Shanghai city regulation (its place: 上海市 310000)
    plain, district, city = (auth.resolve(n, "310000") for n in ("林业部门", "区林业部门", "市林业部门"))
    assert (plain.kind, plain.level, plain.broader) == ("role", None, None)
    assert (district.kind, district.level, district.broader) == ("role", "district", BASE + "role/林业部门")
    assert (city.kind, city.label) == ("agency", "上海市绿化和市容管理局")  # the city's forestry authority
    assert auth.resolve("区人民政府", "310000").kind == "role"  # any district government, in a city regulation
    # a relative name is never read as another city's body: 市林业部门 in a Guangzhou document, or with no place
    assert auth.resolve("市林业部门", "440100").label != "上海市绿化和市容管理局"
    assert auth.resolve("市林业部门").label == "市林业部门"
    assert auth.resolve("区市场监管局", "440106").label == "广州市天河区市场监督管理局"
    assert auth.resolve("市发展改革委", "440106").label == "广州市发展和改革委员会"
    assert auth.resolve("区人民政府", "310114").label == "上海市嘉定区人民政府"  # in a Jiading document
    assert split_units("市、区人民政府") == ["市人民政府", "区人民政府"]
    assert split_units("水务、交通、农业农村等部门") == ["水务部门", "交通部门", "农业农村部门"]


def test_a_statement_with_no_bearer_keeps_a_null_bearer(built):
    store, _ = built
    rows = select(store, f"""SELECT ?stated ?b ?text WHERE {{ ?s pkg:statedIn <{FOREST}/art_28__para_1> ; pkg:modality "prohibition" ;
                              pkg:bearerStated ?stated ; pkg:clause ?text . OPTIONAL {{ ?s pkg:bearer ?b }} }}""")
    assert len(rows) == 1 and rows[0]["stated"] == "false" and rows[0]["b"] is None
    assert rows[0]["text"].startswith("禁止毁林开垦")


def test_an_activity_as_subject_gives_no_bearer_and_bearers_are_carried_by_connectives():
    [doc] = parse("某市管理办法\n第一条　植树造林应当遵守技术规程。\n第二条　区林业部门应当编制规划，并可以编制专项规划；"
                  "确需占用的，应当提出申请。\n")
    k = extract_knowledge(doc, Authority(BASE))
    got = [(s.provision, s.modality, [b.text for b in s.bearers]) for s in k.statements]
    assert got == [("art_1", "obligation", []), ("art_2", "obligation", ["区林业部门"]),
                   ("art_2", "permission", ["区林业部门"]), ("art_2", "obligation", [])]


# ------------------------------------------------------------------ on the real store
def test_every_measure_has_a_responsible_unit_and_says_how(built):
    store, _ = built
    [row] = select(store, "SELECT (COUNT(?m) AS ?n) WHERE { ?m a pkg:Measure FILTER NOT EXISTS { ?m pkg:hasResponsibility ?r } }")
    assert row["n"] == "0"
    rows = select(store, "SELECT ?method (COUNT(?r) AS ?n) WHERE { ?r a pkg:Responsibility ; pkg:method ?method } GROUP BY ?method")
    methods = {r["method"]: int(r["n"]) for r in rows}
    assert set(methods) == {"explicit", "subject", "default"}
    # the city plan lists no units: its measures default to the municipal government, for which its office issued it
    rows = select(store, """SELECT DISTINCT ?label WHERE { ?d dct:title "上海市坚持对标改革持续打造国际一流营商环境行动方案"@zh .
                            ?m pkg:inDocument ?d ; pkg:hasResponsibility ?r . ?r pkg:method "default" ; pkg:responsibleUnit/skos:prefLabel ?label }""")
    assert [r["label"] for r in rows] == ["上海市人民政府"]


def test_subjects_of_the_allowance_notice(built):
    store, _ = built
    rows = select(store, """SELECT ?text WHERE { ?d eli:id_local "沪府规〔2024〕1号" . ?p pkg:inDocument ?d ; pkg:path "sec_5__para_1" ;
                            pkg:hasResponsibility ?r . ?r pkg:unitText ?text ; pkg:method "subject" }""")
    assert [r["text"] for r in rows] == ["市民政局"]  # 市民政局是老年综合津贴制度的主管部门


def test_districts_and_places(built):
    store, _ = built
    rows = select(store, "SELECT ?t ?code WHERE { ?d pkg:district ?p ; dct:title ?t . ?p pkg:gbCode ?code }")
    codes = {r["code"] for r in rows}
    assert codes == {"310104", "310110", "310114"}  # Xuhui, Yangpu (notice and plan), Jiading (notice and plan)
    assert len(rows) == 5
    rows = select(store, "SELECT (COUNT(*) AS ?n) WHERE { ?p a pkg:District }")
    assert rows[0]["n"] == "16"
    rows = select(store, f"""SELECT ?label WHERE {{ <{FTZ}/sec_2__subsec_3__item_11__meas_1> pkg:mentionsPlace/skos:prefLabel ?label }}""")
    assert [r["label"] for r in rows] == ["临港新片区"]
    rows = select(store, f"""SELECT ?label WHERE {{ GRAPH ?g {{ <{BASE}place/临港新片区> pkg:within ?x }} ?x skos:prefLabel ?label }}""")
    assert [r["label"] for r in rows] == ["中国（上海）自由贸易试验区"]


def test_document_links_repeals_interprets_revises(built):
    store, _ = built
    rows = select(store, """SELECT ?from ?to ?title ?number WHERE { ?f ?p ?t .
        VALUES ?p { eli:repeals pkg:interprets pkg:revises } OPTIONAL { ?f pkg:resolvesTo ?fd } OPTIONAL { ?t pkg:resolvesTo ?td }
        BIND(COALESCE(?fd, ?f) AS ?from) BIND(COALESCE(?td, ?t) AS ?to) ?t dct:title ?title OPTIONAL { ?t eli:id_local ?number } }""")
    got = {(r["from"].rsplit("/", 1)[-1], r["title"], r["number"]) for r in rows}
    assert ("上海市森林管理规定", "上海市森林管理规定", "上海市人民政府令第17号") in got  # repeals the 2009 version
    assert ("沪府规-2024-1", "上海市人民政府关于建立老年综合津贴制度的通知", "沪府发〔2016〕24号") in got  # revises
    assert ("关于-上海市森林管理规定-的政策解读", "上海市森林管理规定", None) in got  # interprets
    # the repealed 2009 regulation is not confused with the 2024 one of the same title
    rows = select(store, f"""SELECT ?d WHERE {{ ?a eli:id_local "上海市人民政府令第17号" ; pkg:resolvesTo ?d }}""")
    assert rows == []


def test_a_later_file_resolves_earlier_citations_without_rebuilding_them(tmp_path):
    """Jiading cites the city plan; building Jiading first, then the city plan, links them."""
    store = tmp_path / "s"
    run_cli("build", "--no-reason", str(FILES["004"]), "--store", str(store))
    q = ["query", "legal-bases", "--store", str(store), "--format", "csv"]
    assert ",false" in run_cli(*q).stdout
    run_cli("build", "--no-reason", str(FILES["000"]), "--store", str(store))
    out = run_cli(*q).stdout
    assert f"{BASE}doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案" in out and ",true" in out


def test_unresolved_names_are_listed_not_lost(tmp_path):
    f = tmp_path / "plan.txt"
    f.write_text("上海市某区行动方案\n一、任务\n1.全面推进营商环境改革，提升服务效能。（责任单位：市未来事务局、市商务委）\n", encoding="utf-8")
    store = tmp_path / "s"
    assert run_cli("build", "--no-reason", str(f), "--store", str(store)).returncode == 0
    out = run_cli("agencies", "--unresolved", "--store", str(store), "--format", "csv").stdout
    assert "市未来事务局" in out and "市商务委" not in out and "上海市商务委员会" not in out
    out = run_cli("agencies", "--store", str(store), "--format", "csv").stdout
    assert "上海市商务委员会" in out and "市未来事务局" in out


def test_targets_with_years_and_amounts_with_groups(built):
    store, _ = built
    rows = select(store, """SELECT ?metric ?value ?unit ?year ?group WHERE { ?t a pkg:Target ; pkg:metric ?metric ; pkg:value ?value ;
                            pkg:unit ?unit . OPTIONAL { ?t pkg:targetYear ?year } OPTIONAL { ?t pkg:group ?group } }""")
    got = {(r["metric"], float(r["value"]), r["unit"], r["year"], r["group"]) for r in rows}
    assert ("“一业一证”行业", 40.0, "个", "2025", None) in got  # 2025年，…“一业一证”行业达到40个
    assert ("实际办件网办率", 85.0, "%", "2024", None) in got
    assert ("解决率", 90.0, "%", None, None) in got  # 1分钟响应，90%解决率
    assert ("每人每月金额", 75.0, "元/人/月", None, "65-69周岁") in got
    assert ("每人每月金额", 600.0, "元/人/月", None, "100周岁及以上") in got
    assert not any("之日起" in r["metric"] for r in rows)  # procedural limits are rules, not targets


@pytest.mark.parametrize("printed, place, kind, resolved, level", [
    # the government, congress and courts of any GB/T 2260 division are known without a list
    ("北京市人民政府", None, "agency", True, "city"),
    ("广东省人民代表大会常务委员会", None, "agency", True, "province"),
    ("广州市天河区人民法院", None, "agency", True, "district"),
    # kinds of body, written with bracketed alternatives, level words or within a place, are generic roles
    ("区县（自治县）人民政府", "500000", "role", True, "district"),  # county level, as 重庆市县(自治县)…
    ("重庆市县(自治县)人民政府", "500000", "role", True, "district"),
    ("乡（镇）人民政府", None, "role", True, "town"),
    ("县级以上地方人民政府", None, "role", True, None),
    ("人民法院", None, "role", True, None),
    ("城市管理部门", None, "role", True, None),
    ("行业协会", None, "role", True, None),
    # a body of a place that no list names stays an unresolved agency, at its level
    ("广州市天河区教育局", "440106", "agency", False, "district"),
])
def test_bodies_of_any_place_and_kinds_of_body(printed, place, kind, resolved, level):
    u = Authority(BASE).resolve(printed, place)
    assert (u.kind, u.resolved, u.level, u.label) == (kind, resolved, level, printed)


def test_half_brackets_and_separators_are_not_part_of_a_name():
    auth = Authority(BASE)
    assert auth.resolve("（国务院办公厅").label == auth.resolve("国务院办公厅").label == "国务院办公厅"
    assert auth.resolve("、引导单位").label == "引导单位"


def test_the_state_council_and_its_organs_are_listed_with_their_abbreviations():
    auth = Authority(BASE)
    for printed, full in [("国务院办公厅", "国务院办公厅"), ("国家发展改革委", "国家发展和改革委员会"),
                          ("人力资源社会保障部", "人力资源和社会保障部"), ("住房城乡建设部", "住房和城乡建设部")]:
        u = auth.resolve(printed)
        assert (u.kind, u.resolved, u.level, u.label) == ("agency", True, "national", full)
    # a body since abolished keeps its printed name, flagged unresolved
    assert auth.resolve("国土资源部").resolved is False


NATIONAL_OPINION_WITH_DUTY_NOTES = """国务院关于促进某某工作的若干意见
国发〔2018〕39号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
为促进某某工作，现提出如下意见。
一、支持企业稳定发展
（一）加大稳岗支持力度。对不裁员的企业返还失业保险费。上述资金由失业保险基金列支。
（人力资源社会保障部、财政部负责。列第一位者为牵头单位，下同）
（二）发挥担保机构作用。充分发挥国家融资担保基金作用。（财政部、工业和信息化部、人民银行负责）
（三）鼓励返乡创业。支持返乡人员创业。（教育部牵头，财政部参与）
（四）做好服务。各地要做好就业服务。（人力资源社会保障部等有关部门和单位负责）
国务院
2018年11月16日
"""


def test_duty_notes_of_national_documents_name_who_leads_and_who_assists():
    """（A、B负责。列第一位者为牵头单位，下同）: A leads and B assists in this note and every later one;
    （A牵头，B参与）: A leads, B assists; 等有关部门和单位: the body named."""
    [doc] = parse(NATIONAL_OPINION_WITH_DUTY_NOTES)
    k = extract_knowledge(doc, Authority(BASE))
    by_section: dict[str, set] = {}
    for r in k.responsibilities:
        by_section.setdefault(r.provision.split("__meas_")[0], set()).add((r.unit.label, r.role, r.method))
    assert by_section == {
        "sec_1__subsec_1": {("人力资源和社会保障部", "lead", "explicit"), ("财政部", "co", "explicit")},
        "sec_1__subsec_2": {("财政部", "lead", "explicit"), ("中华人民共和国工业和信息化部", "co", "explicit"),
                            ("中国人民银行", "co", "explicit")},
        "sec_1__subsec_3": {("教育部", "lead", "explicit"), ("财政部", "co", "explicit")},
        "sec_1__subsec_4": {("人力资源和社会保障部", "lead", "explicit")},
    }
