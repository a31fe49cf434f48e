"""Every SHACL shape: a passing example (a real build that conforms) and a failing one, with the
expected severity and message. The failing examples are SPARQL updates applied to the passing data."""
from __future__ import annotations

import pytest
import rdflib

from policykg.loaders.build import build
from policykg.shapes import shapes_graph
from policykg.shapes.validate import data_graph, validate_graph
from policykg.store import Store

from helpers import BASE, run_cli

NOTICE = """某市人民政府办公厅关于印发《某市优化营商环境行动方案》的通知
某府办发〔2024〕12号
各区人民政府，市政府各委、办、局：
《某市优化营商环境行动方案》已经市政府同意，现印发给你们，请认真贯彻执行。
某市人民政府办公厅
2024年3月5日
某市优化营商环境行动方案
一、重点任务
（一）深化改革。在临港新片区全面推行告知承诺制。推进“一网通办”。
（二）提升效能。2025年，网办率达到90%。
"""
REGULATION = """某市森林管理规定
第一条（目的和依据）
为了保护森林资源，根据《中华人民共和国森林法》，制定本规定。
第二条（管理部门）
市林业部门应当加强森林资源管理。林业部门应当做好监督工作。禁止毁林开垦。
第三条（施行日期）
本规定自2024年5月1日起施行。
某市人民政府
2024年1月22日
"""
DISTRICT = """上海市杨浦区优化营商环境行动方案
以《某市优化营商环境行动方案》为依据，制定本方案。
一、重点任务
（一）深化改革。在临港新片区全面推行告知承诺制。推进“一网通办”。
（二）提升效能。2025年，网办率达到90%。
"""
P = "PREFIX pkg: <https://policykg.org/ontology#> PREFIX eli: <http://data.europa.eu/eli/ontology#> " \
    "PREFIX dct: <http://purl.org/dc/terms/> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> " \
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX oa: <http://www.w3.org/ns/oa#> " \
    "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX pkgdt: <https://policykg.org/ontology/doctype#> "
NOTICE_IRI = f"<{BASE}doc/某府办发-2024-12>"
PLAN_IRI = f"<{BASE}doc/2024/某市优化营商环境行动方案>"
MEASURE = f"<{BASE}doc/2024/某市优化营商环境行动方案/sec_1__subsec_1__meas_1>"
ART1 = f"<{BASE}doc/2024/某市森林管理规定/art_1>"
AGENCY = f"<{BASE}agency/某市人民政府办公厅>"
POS = f"<{BASE}doc/2024/某市优化营商环境行动方案/sec_1__subsec_1__meas_1#position>"
SPAN = f"<{BASE}doc/2024/某市优化营商环境行动方案/sec_1__subsec_1__meas_1#source>"
QUOTE = f"<{BASE}doc/2024/某市优化营商环境行动方案/sec_1__subsec_1__meas_1#quote>"
SRC = "?src"  # bound by the updates below
RESP = f"<{BASE}doc/2024/某市优化营商环境行动方案/sec_1__subsec_1__meas_1#resp-1>"
STMT = f"<{BASE}doc/2024/某市森林管理规定/art_2#stmt-1>"
STMT3 = f"<{BASE}doc/2024/某市森林管理规定/art_2#stmt-3>"
TARGET = f"<{BASE}doc/2024/某市优化营商环境行动方案/sec_1__subsec_2__meas_1#target-1>"
ACT = f"<{BASE}act/中华人民共和国森林法>"
ROLE = f"<{BASE}role/林业部门>"
DPLAN = f"<{BASE}doc/上海市杨浦区优化营商环境行动方案>"
FU = f"<{BASE}doc/上海市杨浦区优化营商环境行动方案/sec_1__subsec_1__meas_1#followup-1>"
DM1 = "上海市杨浦区优化营商环境行动方案 sec_1__subsec_1__meas_1"
PUDONG = f"<{BASE}place/310115>"
DM = f"<{BASE}doc/上海市杨浦区优化营商环境行动方案/sec_1__subsec_1__meas_1>"


def _review_iri() -> str:
    from policykg.iri import Minter
    from policykg.review import about

    return Minter(BASE).review(about(MEASURE[1:-1], f"{BASE}place/310110", DM[1:-1]))


REV = f"<{_review_iri()}>"  # the review the passing example records: 杨浦's link to the city plan's first measure
M1 = "某市优化营商环境行动方案 sec_1__subsec_1__meas_1"
A2 = "某市森林管理规定 art_2"
T2 = "某市优化营商环境行动方案 sec_1__subsec_2__meas_1"

# (message as the validator prints it, severity, SPARQL update that breaks exactly that rule)
CASES = [
    ("document 某府办发〔2024〕12号 has no title", "Violation", f"DELETE WHERE {{ {NOTICE_IRI} dct:title ?t }}"),
    ("document 某府办发〔2024〕12号 has more than one title", "Violation", f"INSERT DATA {{ {NOTICE_IRI} dct:title \"另一个标题\"@zh }}"),
    ("document 某府办发〔2024〕12号 has more than one document number", "Violation", f"INSERT DATA {{ {NOTICE_IRI} eli:id_local \"某府办发〔2024〕13号\" }}"),
    ("document 第十二号 has a number that is neither a 发文字号 like 沪府办发〔2024〕1号 nor a decree number like 上海市人民政府令第9号",
     "Violation", f"DELETE {{ {NOTICE_IRI} eli:id_local ?n }} INSERT {{ {NOTICE_IRI} eli:id_local \"第十二号\" }} WHERE {{ {NOTICE_IRI} eli:id_local ?n }}"),
    ("document 某府办发〔2024〕12号 has no issuer", "Warning", f"DELETE WHERE {{ {NOTICE_IRI} eli:passed_by ?a }}"),
    ("the issuer of document 某府办发〔2024〕12号 is not an agency", "Violation", f"INSERT DATA {{ {NOTICE_IRI} eli:passed_by <{BASE}agency/unknown> }}"),
    ("document 某府办发〔2024〕12号 does not have exactly one document type", "Violation", f"DELETE WHERE {{ {NOTICE_IRI} pkg:documentType ?t }}"),
    ("document 某府办发〔2024〕12号 has a type outside the document-type scheme", "Violation",
     f"DELETE {{ {NOTICE_IRI} pkg:documentType ?t }} INSERT {{ {NOTICE_IRI} pkg:documentType pkgdt:memo }} WHERE {{ {NOTICE_IRI} pkg:documentType ?t }}"),
    ("document 某府办发〔2024〕12号: the date signed must be one xsd:date", "Violation",
     f"DELETE {{ {NOTICE_IRI} eli:date_document ?d }} INSERT {{ {NOTICE_IRI} eli:date_document \"2024年3月5日\" }} WHERE {{ {NOTICE_IRI} eli:date_document ?d }}"),
    ("document 某府办发〔2024〕12号: the date of entry into force must be one xsd:date", "Violation",
     f"INSERT DATA {{ {NOTICE_IRI} eli:first_date_entry_in_force \"2024-04-01\"^^xsd:date , \"2024-05-01\"^^xsd:date }}"),
    ("document 某府办发〔2024〕12号: the expiry date must be one xsd:date", "Violation", f"INSERT DATA {{ {NOTICE_IRI} eli:date_no_longer_in_force \"长期有效\" }}"),
    ("document 某府办发〔2024〕12号 enters into force before it was signed", "Violation", f"INSERT DATA {{ {NOTICE_IRI} eli:first_date_entry_in_force \"2024-01-01\"^^xsd:date }}"),
    ("document 某府办发〔2024〕12号 expires before it enters into force", "Violation",
     f"INSERT DATA {{ {NOTICE_IRI} eli:first_date_entry_in_force \"2024-04-01\"^^xsd:date ; eli:date_no_longer_in_force \"2024-03-31\"^^xsd:date }}"),
    ("document 某府办发〔2024〕12号 does not say where in its source file it was read", "Violation", f"DELETE WHERE {{ {NOTICE_IRI} pkg:sourceSpan ?s }}"),
    ("document 某府办发〔2024〕12号 does not name the file it was read from", "Violation", f"DELETE WHERE {{ {NOTICE_IRI} prov:wasDerivedFrom ?s }}"),
    ("document 某市优化营商环境行动方案 is a plan but no measure was found in it", "Warning",
     f"DELETE {{ ?m a pkg:Measure }} INSERT {{ ?m a pkg:Paragraph }} WHERE {{ ?m a pkg:Measure ; pkg:inDocument {PLAN_IRI} }} ; "
     "DELETE WHERE { ?f a pkg:FollowUp ; ?p ?o }"),
    ("provision 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 belongs to no document", "Violation", f"DELETE WHERE {{ {MEASURE} pkg:inDocument ?d }}"),
    ("provision 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 belongs to more than one document", "Violation", f"INSERT DATA {{ {MEASURE} pkg:inDocument {NOTICE_IRI} }}"),
    ("provision 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 does not have exactly one parent", "Violation", f"INSERT DATA {{ {MEASURE} eli:is_part_of {PLAN_IRI} }}"),
    ("provision 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 does not have exactly one id path", "Violation", f"INSERT DATA {{ {MEASURE} pkg:path \"sec_1__subsec_1__meas_9\" }}"),
    ("provision 某市优化营商环境行动方案 Measure 1 has an id path not in the form sec_1__subsec_2__item_3", "Violation",
     f"DELETE {{ {MEASURE} pkg:path ?p }} INSERT {{ {MEASURE} pkg:path \"Measure 1\" }} WHERE {{ {MEASURE} pkg:path ?p }}"),
    ("provision 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 does not say where in its source file it was read", "Violation", f"DELETE WHERE {{ {MEASURE} pkg:sourceSpan ?s }}"),
    ("provision 某市优化营商环境行动方案 sec_1__subsec_1__meas_1: its ordinal must be one positive integer", "Violation",
     f"DELETE {{ {MEASURE} pkg:ordinal ?o }} INSERT {{ {MEASURE} pkg:ordinal 0 }} WHERE {{ {MEASURE} pkg:ordinal ?o }}"),
    ("document 某市优化营商环境行动方案 has more than one provision with id path sec_1__subsec_1__meas_1", "Violation",
     f"DELETE {{ ?m pkg:path \"sec_1__subsec_1__meas_2\" }} INSERT {{ ?m pkg:path \"sec_1__subsec_1__meas_1\" }} WHERE {{ ?m pkg:path \"sec_1__subsec_1__meas_2\" }}"),
    ("provision 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 has no text, or more than one", "Violation", f"DELETE WHERE {{ {MEASURE} pkg:text ?t }}"),
    ("measure 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 does not end like a sentence", "Info",
     f"DELETE {{ {MEASURE} pkg:text ?t }} INSERT {{ {MEASURE} pkg:text \"全面推行告知承诺制\"@zh }} WHERE {{ {MEASURE} pkg:text ?t }}"),
    ("article 某市森林管理规定 art_1 has no number", "Violation", f"DELETE WHERE {{ {ART1} pkg:ordinal ?o }}"),
    ("article 某市森林管理规定 art_1 has more than one heading", "Violation", f"INSERT DATA {{ {ART1} pkg:heading \"另一个标题\"@zh }}"),
    (f"agency {BASE}agency/某市人民政府办公厅 has no name", "Violation", f"DELETE WHERE {{ {AGENCY} skos:prefLabel ?l }}"),
    ("agency 某市人民政府办公厅 has no level (national, province, city, district, town)", "Warning", f"DELETE WHERE {{ {AGENCY} pkg:level ?l }}"),
    ("agency 某市人民政府办公厅 has a level outside national, province, city, district, town", "Violation",
     f"DELETE {{ {AGENCY} pkg:level ?l }} INSERT {{ {AGENCY} pkg:level \"planet\" }} WHERE {{ {AGENCY} pkg:level ?l }}"),
    ("the source span of 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 does not name exactly one source file", "Violation", f"DELETE WHERE {{ {SPAN} oa:hasSource ?s }}"),
    ("the source span of 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 has no selector", "Violation", f"DELETE WHERE {{ {SPAN} oa:hasSelector ?s }}"),
    ("the text position of 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 has no valid start offset", "Violation", f"DELETE WHERE {{ {POS} oa:start ?s }}"),
    ("the text position of 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 has no valid end offset", "Violation",
     f"DELETE {{ {POS} oa:end ?e }} INSERT {{ {POS} oa:end \"end\" }} WHERE {{ {POS} oa:end ?e }}"),
    ("the text position of 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 ends before it starts", "Violation",
     f"DELETE {{ {POS} oa:end ?e }} INSERT {{ {POS} oa:end 1 }} WHERE {{ {POS} oa:end ?e }}"),
    ("the text quote of 某市优化营商环境行动方案 sec_1__subsec_1__meas_1 has no exact text", "Violation", f"DELETE WHERE {{ {QUOTE} oa:exact ?x }}"),
    ("source file notice.txt does not have one SHA-256 checksum", "Violation",
     "DELETE { ?s pkg:sha256 ?h } INSERT { ?s pkg:sha256 \"not-a-checksum\" } WHERE { ?s pkg:filePath \"notice.txt\" ; pkg:sha256 ?h }"),
    (f"source file {BASE}source/SRC has no path", "Violation", "DELETE WHERE { ?s pkg:filePath \"notice.txt\" }"),
    (f"a responsibility link of {M1} does not name exactly one agency or role", "Violation", f"DELETE WHERE {{ {RESP} pkg:responsibleUnit ?u }}"),
    (f"a responsibility link of {M1} has a role other than lead, co or responsible", "Violation",
     f"DELETE {{ {RESP} pkg:role ?r }} INSERT {{ {RESP} pkg:role \"owner\" }} WHERE {{ {RESP} pkg:role ?r }}"),
    (f"a responsibility link of {M1} was found by a method other than explicit, section, table, subject or default", "Violation",
     f"DELETE {{ {RESP} pkg:method ?r }} INSERT {{ {RESP} pkg:method \"guess\" }} WHERE {{ {RESP} pkg:method ?r }}"),
    (f"a responsibility link of {M1} does not keep the unit's name as printed", "Violation", f"DELETE WHERE {{ {RESP} pkg:unitText ?t }}"),
    (f"measure {M1} has no responsible unit", "Warning", f"DELETE WHERE {{ {MEASURE} pkg:hasResponsibility ?r }}"),
    (f"a statement of {A2} does not have exactly one modality among obligation, prohibition, permission, right, exemption, cap, encouragement", "Violation",
     f"DELETE {{ {STMT} pkg:modality ?m }} INSERT {{ {STMT} pkg:modality \"duty\" }} WHERE {{ {STMT} pkg:modality ?m }}"),
    (f"a statement of {A2} is not in exactly one provision", "Violation",
     f"DELETE WHERE {{ {STMT} pkg:statedIn ?p }}"),
    (f"a bearer of a statement of {A2} is neither an agency nor a role", "Violation",
     f"INSERT DATA {{ {STMT} pkg:bearer <{BASE}doc/2024/某市森林管理规定> }}"),
    (f"a statement of {A2} does not say whether its text names a bearer", "Violation", f"DELETE WHERE {{ {STMT} pkg:bearerStated ?b }}"),
    (f"a statement of {A2} does not keep the clause it was read from", "Violation", f"DELETE WHERE {{ {STMT} pkg:clause ?c }}"),
    (f"a statement of {A2} says whether it names a bearer, and the bearers it has disagree", "Violation",
     f"DELETE {{ {STMT3} pkg:bearerStated ?b }} INSERT {{ {STMT3} pkg:bearerStated true }} WHERE {{ {STMT3} pkg:bearerStated ?b }}"),
    (f"a target of {T2} has no numeric value", "Violation", f"DELETE WHERE {{ {TARGET} pkg:value ?v }}"),
    (f"a target of {T2} has no unit", "Violation", f"DELETE WHERE {{ {TARGET} pkg:unit ?v }}"),
    (f"a target of {T2} does not say what it measures", "Violation", f"DELETE WHERE {{ {TARGET} pkg:metric ?v }}"),
    (f"a target of {T2} has a comparator other than =, >=, >, <=", "Violation",
     f"DELETE {{ {TARGET} pkg:comparator ?c }} INSERT {{ {TARGET} pkg:comparator \"≈\" }} WHERE {{ {TARGET} pkg:comparator ?c }}"),
    (f"a target of {T2} has an implausible year", "Warning",
     f"DELETE {{ {TARGET} pkg:targetYear ?y }} INSERT {{ {TARGET} pkg:targetYear 1800 }} WHERE {{ {TARGET} pkg:targetYear ?y }}"),
    ("district 浦东新区 does not have one six-digit GB/T 2260 code", "Violation", f"DELETE WHERE {{ {PUDONG} pkg:gbCode ?c }}"),
    (f"district {BASE}place/310115 has no name", "Violation", f"DELETE WHERE {{ {PUDONG} skos:prefLabel ?c }}"),
    ("document 某府办发〔2024〕12号 is not linked to exactly one district", "Violation",
     f"INSERT DATA {{ {NOTICE_IRI} pkg:district <{BASE}place/310104> , <{BASE}place/310105> }}"),
    (f"cited act {BASE}act/中华人民共和国森林法 does not have exactly one title", "Violation", f"DELETE WHERE {{ {ACT} dct:title ?t }}"),
    ("cited act 第一号 has a number in no known form", "Violation", f"INSERT DATA {{ {ACT} eli:id_local \"第一号\" }}"),
    ("cited act 中华人民共和国森林法 resolves to something that is not a document", "Violation", f"INSERT DATA {{ {ACT} pkg:resolvesTo {AGENCY} }}"),
    (f"role {BASE}role/林业部门 does not have exactly one name", "Violation", f"DELETE WHERE {{ {ROLE} skos:prefLabel ?l }}"),
    ("role 林业部门 has a level outside national, province, city, district, town", "Violation", f"INSERT DATA {{ {ROLE} pkg:level \"planet\" }}"),
    (f"the follow-up link of {DM1} does not have one score in [0, 1]", "Violation",
     f"DELETE {{ {FU} pkg:score ?s }} INSERT {{ {FU} pkg:score 1.5 }} WHERE {{ {FU} pkg:score ?s }}"),
    (f"the follow-up link of {DM1} does not start at one measure", "Violation", f"DELETE WHERE {{ {FU} pkg:districtMeasure ?m }}"),
    (f"the follow-up link of {DM1} does not end at one measure", "Violation",
     f"DELETE {{ {FU} pkg:cityMeasure ?m }} INSERT {{ {FU} pkg:cityMeasure {ART1} }} WHERE {{ {FU} pkg:cityMeasure ?m }}"),
    (f"the follow-up link of {DM1} does not say how it was found", "Violation", f"DELETE WHERE {{ {FU} pkg:method ?m }}"),
    (f"the follow-up link of {DM1} does not start in a district's document", "Violation", f"DELETE WHERE {{ {DPLAN} pkg:district ?d }}"),
    ("measure 某市优化营商环境行动方案 sec_1__subsec_1__meas_2 has no follow-up in 杨浦区, whose plan is based on its city plan", "Info",
     f"DELETE WHERE {{ ?dm eli:ensures_implementation_of <{BASE}doc/2024/某市优化营商环境行动方案/sec_1__subsec_1__meas_2> }}"),
    (f"review {REV[1:-1]} does not have one verdict, accepted or rejected", "Violation",
     f"DELETE {{ {REV} pkg:verdict ?v }} INSERT {{ {REV} pkg:verdict \"maybe\" }} WHERE {{ {REV} pkg:verdict ?v }}"),
    (f"review {REV[1:-1]} does not name one reviewer (1 to 200 characters)", "Violation", f"DELETE WHERE {{ {REV} pkg:reviewer ?r }}"),
    (f"review {REV[1:-1]} does not say when it was given (one xsd:dateTime)", "Violation",
     f"DELETE {{ {REV} dct:created ?c }} INSERT {{ {REV} dct:created \"yesterday\" }} WHERE {{ {REV} dct:created ?c }}"),
    (f"review {REV[1:-1]} has more than one reason, or one longer than 2,000 characters", "Violation",
     f"INSERT DATA {{ {REV} pkg:reason \"another reason\" }}"),
    (f"review {REV[1:-1]} is not about one city measure", "Violation", f"DELETE WHERE {{ {REV} pkg:cityMeasure ?m }}"),
    (f"review {REV[1:-1]} is about more than one district measure", "Violation",
     f"INSERT DATA {{ {REV} pkg:districtMeasure <{BASE}doc/上海市杨浦区优化营商环境行动方案/sec_1__subsec_2__meas_1> }}"),
    (f"review {REV[1:-1]} does not name one district (a pkg:District)", "Violation",
     f"DELETE {{ {REV} pkg:district ?d }} INSERT {{ {REV} pkg:district {AGENCY} }} WHERE {{ {REV} pkg:district ?d }}"),
    (f"review {REV[1:-1]} is about a city measure the store no longer holds", "Warning",
     f"DELETE {{ {REV} pkg:cityMeasure ?m }} INSERT {{ {REV} pkg:cityMeasure <{BASE}doc/2024/某市优化营商环境行动方案/sec_9__meas_1> }} "
     f"WHERE {{ {REV} pkg:cityMeasure ?m }}"),
    (f"review {REV[1:-1]} is about a district measure the store no longer holds", "Warning",
     f"DELETE {{ {REV} pkg:districtMeasure ?m }} INSERT {{ {REV} pkg:districtMeasure <{BASE}doc/上海市杨浦区优化营商环境行动方案/sec_9> }} "
     f"WHERE {{ {REV} pkg:districtMeasure ?m }}"),
    ("source file notice.txt has no known format", "Violation",
     "DELETE { ?s pkg:format ?f } INSERT { ?s pkg:format \"odt\" } WHERE { ?s pkg:filePath \"notice.txt\" ; pkg:format ?f }"),
]


@pytest.fixture(scope="module")
def passing(tmp_path_factory):
    """A real build of a small notice, its plan and a regulation: the passing example of every shape."""
    tmp = tmp_path_factory.mktemp("shapes")
    (tmp / "notice.txt").write_text(NOTICE, encoding="utf-8")
    (tmp / "regulation.txt").write_text(REGULATION, encoding="utf-8")
    (tmp / "district.txt").write_text(DISTRICT, encoding="utf-8")
    store = Store(tmp / "store")
    import os

    cwd = os.getcwd()
    os.chdir(tmp)  # so the metadata records the relative paths notice.txt and regulation.txt
    try:
        build(["notice.txt", "regulation.txt", "district.txt"], store, BASE, progress=False)
    finally:
        os.chdir(cwd)
    from policykg.review import record

    rev, _ = record(store, BASE, "杨浦", MEASURE[1:-1], "accepted", "审计员", "措施原文相同", DM[1:-1])
    assert f"<{rev.iri}>" == REV
    return data_graph(store, BASE)


def test_the_passing_example_conforms_with_no_result(passing):
    report = validate_graph(passing)
    assert report.conforms and report.results == [], report.as_text()


@pytest.mark.parametrize("message, severity, update", CASES, ids=[c[0][:60] for c in CASES])
def test_failing_example(passing, message, severity, update):
    g = rdflib.Graph()
    for t in passing:
        g.add(t)
    g.update(P + update)
    report = validate_graph(g)
    src = next(iter(passing.subjects(rdflib.URIRef("https://policykg.org/ontology#filePath"), rdflib.Literal("notice.txt"))))
    expected = message.replace(f"{BASE}source/SRC", str(src))
    got = [(r.message, r.severity) for r in report.results]
    assert (expected, severity) in got, report.as_text()
    assert report.conforms == (severity != "Violation")


def test_every_shape_message_has_a_failing_example():
    """Adding a shape without a case here fails this test."""
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    templates = {str(m) for m in shapes_graph().objects(None, sh.message)}
    import re

    covered = set()
    for t in templates:
        pattern = "^" + re.escape(t).replace(re.escape("{label}"), ".+").replace(re.escape("{?value}"), ".+") + "$"
        if any(re.match(pattern, c[0]) for c in CASES):
            covered.add(t)
    assert templates - covered == set()


def test_validate_command_exit_statuses(tmp_path):
    store = tmp_path / "s"
    (tmp_path / "n.txt").write_text(NOTICE, encoding="utf-8")
    assert run_cli("build", "--no-reason", str(tmp_path / "n.txt"), "--store", str(store)).returncode == 0
    r = run_cli("validate", "--store", str(store))
    assert r.returncode == 0 and r.stdout.startswith("conforms: 0 violations")
    import json

    assert json.loads(run_cli("validate", "--store", str(store), "--format", "json").stdout)["conforms"] is True
    ttl = run_cli("validate", "--store", str(store), "--format", "turtle").stdout
    assert rdflib.Graph().parse(data=ttl, format="turtle")
    # break it: a second title
    import pyoxigraph as ox

    s = Store(store)
    s.apply({}, inserts={f"{BASE}graph/doc/某府办发-2024-12": [ox.Quad(
        ox.NamedNode(f"{BASE}doc/某府办发-2024-12"), ox.NamedNode("http://purl.org/dc/terms/title"),
        ox.Literal("第二个标题", language="zh"), ox.NamedNode(f"{BASE}graph/doc/某府办发-2024-12"))]})
    del s
    r = run_cli("validate", "--store", str(store))
    assert r.returncode == 1
    assert "Violation — pkgsh:DocumentOneTitle (1)" in r.stdout
    assert "document 某府办发〔2024〕12号 has more than one title" in r.stdout
    assert "n.txt:0-" in r.stdout  # the source position of the focus node
    r = run_cli("build", "--no-reason", "--validate", str(tmp_path / "n.txt"), "--store", str(tmp_path / "s2"))
    assert r.returncode == 0
    r = run_cli("validate", "--store", str(tmp_path / "missing"))
    assert r.returncode == 2


@pytest.mark.parametrize("value, conforms", [("1", True), ("1.0e0", True), ("0.5", True), ('"0.5"', False)])
def test_a_score_is_any_number(passing, value, conforms):
    """A follow-up's score may come back as xsd:integer or xsd:double from a store that re-types numbers (Virtuoso
    answers "1"^^xsd:decimal as xsd:integer): the same value conforms; a string does not."""
    g = rdflib.Graph()
    for t in passing:
        g.add(t)
    g.update(P + f"DELETE {{ {FU} pkg:score ?s }} INSERT {{ {FU} pkg:score {value} }} WHERE {{ {FU} pkg:score ?s }}")
    assert validate_graph(g).conforms == conforms
