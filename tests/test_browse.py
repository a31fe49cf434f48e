"""Browsing (server/browse.py): the document list at /, its filters and pages; the page of what an agency or role
bears; entity pages written for people; the graph view's scope outline and its refusal of the unscoped
follow-up tangle. A real server on the bundled corpus; the pages also in Chromium (Playwright, Debian's chromium).

Expected values come from the corpus's documents as printed (the 16 documents of corpus/shanghai-2024, their
types, places, issuers and dates, as `policykg query documents` and the source files show them)."""
from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from helpers import BASE, CORPUS
from server_helpers import corpus_store, http, page_with_errors, serving


# the documents, by the key of their IRI (BASE + "doc/" + key)
FOREST = "2024/上海市森林管理规定"
DECREE = "上海市人民政府令-9"
PENSION = "沪府规-2024-1"  # in force 2024-05-01, 有效期至2029年4月30日
FTZ_PLAN = "2024/上海市落实-全面对接国际高标准经贸规则推进中国-上海-自由贸易试验区高水平制度型开放总体方案-的实施方案"
FTZ_NOTICE = "沪府发-2024-1"
BIZ_PLAN = "2024/上海市坚持对标改革持续打造国际一流营商环境行动方案"
BIZ_NOTICE = "沪府办发-2024-1"
ONE_NET_PLAN = "2024/上海市优化政务服务提升行政效能深化-一网通办-改革行动方案-2024-2026年"
ONE_NET_NOTICE = "沪府办发-2024-2"
YANGPU_PLAN = "2024/聚焦-创新四力-升级-四大服务-杨浦全力打造营商环境最暖城区实施方案"
YANGPU_NOTICE = "杨府发-2024-3"
JIADING_PLAN = "嘉定区坚持对标改革持续打造国际一流营商环境行动方案"
JIADING_NOTICE = "嘉府办发-2024-2"
XUHUI_PLAN = "2023/上海市徐汇区持续优化提升营商环境行动方案"  # no date signed; in force 2023-04-03
FOREST_QA = "关于-上海市森林管理规定-的政策解读"
PENSION_QA = "关于-上海市人民政府关于完善老年综合津贴制度的通知-的政策解读"
ALL = {FOREST, DECREE, PENSION, FTZ_PLAN, FTZ_NOTICE, BIZ_PLAN, BIZ_NOTICE, ONE_NET_PLAN, ONE_NET_NOTICE, YANGPU_PLAN,
       YANGPU_NOTICE, JIADING_PLAN, JIADING_NOTICE, XUHUI_PLAN, FOREST_QA, PENSION_QA}
UNDATED = {JIADING_PLAN, JIADING_NOTICE, FOREST_QA, PENSION_QA}  # no date printed at all
CITY_GOV = BASE + "agency/上海市人民政府"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    store = corpus_store(tmp_path_factory, "browse")
    with serving(store) as url:
        yield url


def q(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def listed(site: str, query: str = "") -> list[str]:
    """The keys of the documents the list shows, in its order."""
    status, headers, body = http(site + "/" + query)
    assert status == 200 and headers.get_content_type() == "text/html", body[:300]
    return [iri[len(BASE + "doc/"):] for iri in re.findall(r'<tr data-doc="([^"]+)"', body.decode("utf-8"))]


def local(iri: str) -> str:
    return "/id/" + urllib.parse.quote(iri[len(BASE):], safe="/")


# ---------------------------------------------------------------------- the document list
def test_the_front_page_lists_every_document_newest_first_and_links_the_editor(site):
    keys = listed(site)
    assert len(keys) == 16 and set(keys) == ALL
    # newest first: 杨府发〔2024〕3号 and its plan were signed 2024-03-04, the latest date printed; ties by title
    assert keys[:2] == [YANGPU_NOTICE, YANGPU_PLAN]
    assert set(keys[-4:]) == UNDATED  # documents without any date come last
    assert keys.index(XUHUI_PLAN) == 11  # 2023, after the eleven documents of 2024
    body = http(site + "/")[2].decode("utf-8")
    assert 'href="/sparql-editor"' in body
    # the editor moved: YASGUI with the named queries is one click away
    status, _, editor = http(site + "/sparql-editor")
    assert status == 200 and b"yasgui.min.js" in editor


NOTICES = {PENSION, FTZ_NOTICE, BIZ_NOTICE, ONE_NET_NOTICE, YANGPU_NOTICE, JIADING_NOTICE}
DATED_2024 = ALL - UNDATED - {XUHUI_PLAN}


@pytest.mark.parametrize("query, expected", [
    ("type=regulation", {FOREST}),
    ("type=decree", {DECREE}),
    ("type=notice", NOTICES),
    ("type=interpretation", {FOREST_QA, PENSION_QA}),
    ("type=action-plan", {BIZ_PLAN, ONE_NET_PLAN, XUHUI_PLAN, JIADING_PLAN}),
    ("type=budget", set()),  # well-formed, matching nothing
    (f"place={q(BASE + 'place/310114')}", {JIADING_PLAN, JIADING_NOTICE}),  # 嘉定区
    (f"place={q(BASE + 'place/310110')}", {YANGPU_PLAN, YANGPU_NOTICE}),  # 杨浦区
    (f"issuer={q(CITY_GOV)}", {FOREST, DECREE, PENSION, FTZ_PLAN, FTZ_NOTICE}),
    (f"issuer={q(BASE + 'agency/上海市人民政府办公厅')}", {BIZ_PLAN, BIZ_NOTICE, ONE_NET_PLAN, ONE_NET_NOTICE}),
    ("year=2023", {XUHUI_PLAN}),
    ("year=2024", DATED_2024),
    # in force: the regulation, its decree and the pension notice from 2024-05-01; the Yangpu plan signed 2024-03-04
    ("in_force=no&on=2024-03-01", {FOREST, DECREE, PENSION, YANGPU_PLAN, YANGPU_NOTICE}),
    ("in_force=yes&on=2024-03-01", {XUHUI_PLAN, BIZ_PLAN, BIZ_NOTICE, ONE_NET_PLAN, ONE_NET_NOTICE, FTZ_PLAN, FTZ_NOTICE}),
    ("in_force=yes&on=2024-06-01", ALL - UNDATED),
    ("in_force=no&on=2029-05-01", {PENSION}),  # expired after 2029-04-30
    ("in_force=yes&on=2029-04-30", ALL - UNDATED),  # the last day is still in force
    ("in_force=unknown", UNDATED),
    (f"type=notice&place={q(BASE + 'place/310000')}&in_force=yes&on=2024-06-01",
     {PENSION, FTZ_NOTICE, BIZ_NOTICE, ONE_NET_NOTICE}),
    ("type=&place=&issuer=&year=&in_force=&on=", ALL),  # an empty field (the form's "any") is no filter
])
def test_each_filter_narrows_the_list(site, query, expected):
    keys = listed(site, "?" + query)
    assert set(keys) == expected and len(keys) == len(expected)


def test_pages_of_the_list_partition_it_in_order(site):
    whole = listed(site)
    pages = [listed(site, f"?size=5&page={n}") for n in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [5, 5, 5, 1]
    assert sum(pages, []) == whole
    body = http(site + "/?size=5&page=2")[2].decode("utf-8")
    assert 'href="/?size=5&amp;page=3"' in body  # the other pages are linked
    status, _, err = http(site + "/?size=5&page=5")
    assert status == 404 and "4 page" in json.loads(err)["message"]
    # filters and pages together
    assert sum((listed(site, f"?type=notice&size=4&page={n}") for n in (1, 2)), []) == listed(site, "?type=notice")



def test_the_list_follows_a_new_build_and_an_update(tmp_path):
    """The list is read once per store generation (server/browse.py): a build into the served store, and an update
    through the server, each show at the next request."""
    from helpers import FILES, run_cli

    store = tmp_path / "kg"
    assert run_cli("build", "--no-reason", *(str(FILES[k]) for k in ("000", "001", "002", "003")), "--store",
                   str(store)).returncode == 0
    with serving(store) as url:  # read-only: a build may write the store meanwhile
        first = set(listed(url))
        assert first == ALL - {JIADING_PLAN, JIADING_NOTICE} and set(listed(url)) == first  # read, then remembered
        assert run_cli("build", "--no-reason", str(FILES["004"]), "--store", str(store)).returncode == 0
        assert set(listed(url)) == ALL
    token = "list-token"
    with serving(store, "--update-token", token) as url:
        assert set(listed(url)) == ALL
        added = BASE + "doc/a-document-added-by-an-update"
        update = (f"INSERT DATA {{ GRAPH <{BASE}graph/test-list> {{ <{added}> a <https://policykg.org/ontology#Document> ; "
                  f"<http://purl.org/dc/terms/title> \"added by an update\" }} }}")
        status, _, body = http(url + "/sparql", data=urllib.parse.urlencode({"update": update}).encode(),
                               headers={"Authorization": f"Bearer {token}",
                                        "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 204, body[:300]
        assert set(listed(url)) == ALL | {"a-document-added-by-an-update"}


@pytest.mark.parametrize("query, words", [
    ("year=24", "year"), ("year=2024-01", "year"), ("place=not-an-iri", "place"), ("issuer=上海市人民政府", "issuer"),
    ("in_force=maybe", "in_force"), ("on=2024-13-01", "on"), ("on=yesterday", "on"), ("page=0", "page"),
    ("page=x", "page"), ("size=101", "size"), ("type=Notice!", "type"), ("sort=title", "unknown parameter"),
])
def test_bad_filter_values_are_a_400_naming_the_parameter(site, query, words):
    status, headers, body = http(site + "/?" + urllib.parse.quote(query, safe="=&"))
    assert status == 400 and headers.get_content_type() == "application/json"
    err = json.loads(body)
    assert err["error"] == "bad-request" and words in err["message"], err


# ---------------------------------------------------------------------- agency and role pages
def _groups(body: str) -> dict[str, list[dict]]:
    """doc IRI → its links on an agency page: kind, path, method."""
    out = {}
    for m in re.finditer(r'<div class="doc-group" data-doc="([^"]+)">(.*?)</ul></div>', body):
        out[m.group(1)] = [dict(zip(("kind", "path", "method"), x)) for x in
                           re.findall(r'<li data-kind="([^"]+)" data-path="([^"]+)" data-method="([^"]+)">', m.group(2))]
    return out


def test_an_agency_page_lists_what_it_bears_by_document_with_methods(site):
    pages = []
    for n in (1, 2):
        status, _, body = http(site + local(CITY_GOV) + f"?page={n}", accept="text/html")
        assert status == 200
        pages.append(body.decode("utf-8"))
    assert "<h1>上海市人民政府</h1>" in pages[0]
    links: dict[str, list[dict]] = {}
    for p in pages:
        for doc, items in _groups(p).items():
            links.setdefault(doc, []).extend(items)
    # the same links through the named query (another path through the store): every responsibility of this unit
    status, _, body = http(site + "/queries/responsible-units?unit=" + q("上海市人民政府") + "&format=json")
    rows = [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]
    expected: dict[str, list] = {}
    for r in rows:
        if r["unit"] == CITY_GOV:
            expected.setdefault(r["doc"], []).append((r["path"], r["method"]))
    got = {doc: sorted((x["path"], x["method"]) for x in items if x["kind"] == "responsibility") for doc, items in links.items()}
    assert {d: v for d, v in got.items() if v} == {d: sorted(v) for d, v in expected.items()}
    # 第十条: 市、区人民政府应当将森林资源保护和林业发展纳入… — the government as the sentence's subject, and the
    # bearer of the obligation read from 应当
    forest = links[BASE + "doc/" + FOREST]
    assert {"kind": "responsibility", "path": "art_10__para_1", "method": "subject"} in forest
    assert {"kind": "statement", "path": "art_10__para_1", "method": "应当"} in forest
    # the city's action plans: the government that issued them, by default (no note names it)
    assert {x["method"] for x in links[BASE + "doc/" + BIZ_PLAN]} == {"default"}
    # 255 measure links and 3 statements, 200 links a page
    assert sum(len(v) for v in links.values()) == 258
    assert len(re.findall(r"<li data-kind=", pages[0])) == 200
    assert "255 measure links" in pages[0] and "3 deontic statements" in pages[0]
    status, _, body = http(site + local(CITY_GOV) + "?page=x", accept="text/html")
    assert status == 400 and "page" in json.loads(body)["message"]


def test_a_role_page_lists_the_statements_it_bears(site):
    # 第二十三条第四款: 非林地上的林木的更新采伐，由水务、交通、农业农村等部门按照有关规定管理 — 水务部门 bears it
    status, _, body = http(site + local(BASE + "role/水务部门"), accept="text/html")
    assert status == 200
    forest = _groups(body.decode("utf-8"))[BASE + "doc/" + FOREST]
    assert {"kind": "statement", "path": "art_23__para_4", "method": "由"} in forest


def test_entity_pages_are_written_for_people_and_their_rdf_is_unchanged(site):
    from rdflib import Graph, URIRef

    measure = BASE + "doc/" + BIZ_PLAN + "/sec_1__subsec_1__meas_1"
    status, _, body = http(site + local(measure), accept="text/html")
    page = body.decode("utf-8")
    h1 = re.search(r"<h1>(.*?)</h1>", page).group(1)
    # the measure's title is its text: the first sentence after 市场准入 in the city plan (000_….txt, line 45)
    source = (CORPUS / "000_5c623842aeda65ec.txt").read_text(encoding="utf-8")
    assert "系统提升“上海企业登记在线”服务品质" in source and h1.startswith("系统提升“上海企业登记在线”服务品质") and h1.endswith("登记业务。")
    # its responsibility is "unit — role — measure", not #resp-1; the link to its section names the document
    assert "上海市人民政府 — responsible — 系统提升" in page and ">" + measure + "#resp-1<" not in page
    part = re.search(r"<th>eli:is_part_of</th><td>(.*?)</td>", page).group(1)
    assert "市场准入" in part and "上海市坚持对标改革持续打造国际一流营商环境行动方案" in part
    # the Turtle is the store's triples, labels or not
    ttl = Graph().parse(data=http(site + local(measure) + ".ttl")[2], format="turtle")
    assert (URIRef(measure), URIRef("https://policykg.org/ontology#path"), None) in ttl
    # a provision lists its statements as "bearers — modality — clause"
    status, _, body = http(site + local(BASE + "doc/" + FOREST + "/art_23__para_4"), accept="text/html")
    assert "交通部门、农业农村部门、水务部门 — obligation — 非林地上的林木的更新采伐" in body.decode("utf-8")


def test_the_unscoped_followup_view_is_refused_with_links_to_the_scoped_views(site):
    status, _, body = http(site + "/graph?view=followup")
    page = body.decode("utf-8")
    assert status == 200 and 'id="refused"' in page and "cytoscape.min.js" not in page
    districts = re.findall(r'<ul id="districts">(.*?)</ul>', page)[0]
    # the districts whose plans follow up the city plan (tests/labels/followups.json: yangpu, jiading)
    assert re.findall(r">([^<>]+)</a>", districts) == ["嘉定区", "杨浦区"]
    for href in re.findall(r'href="([^"]+)"', districts):
        assert http(site + href.replace("&amp;", "&"))[0] == 200
    # a scoped follow-up view is drawn as before
    assert b"cytoscape.min.js" in http(site + "/graph?view=followup&scope=" + q(BASE + "place/310110"))[2]


# ---------------------------------------------------------------------- in Chromium


_page = page_with_errors


def test_the_list_page_filters_in_a_browser(site, browser):
    page, errors = _page(browser)
    page.goto(site + "/")
    assert page.locator("tr[data-doc]").count() == 16
    page.select_option("#f-type", "notice")
    page.select_option("#f-in_force", "yes")
    page.fill("#f-on", "2024-06-01")
    page.locator("form.filters button").click()
    page.wait_for_url("**/?type=notice**")
    # the six notices but 嘉府办发〔2024〕2号, which prints no date
    docs = page.locator("tr[data-doc]").evaluate_all("rows => rows.map(r => r.dataset.doc)")
    assert {d[len(BASE + "doc/"):] for d in docs} == NOTICES - {JIADING_NOTICE}
    assert page.locator("#count").inner_text() == "5 of 16 documents"
    assert page.locator("#f-type").input_value() == "notice"  # the form shows the filter applied
    page.locator("header a", has_text="SPARQL editor").click()
    page.wait_for_function("() => window.policykgReady === true", timeout=20000)
    assert errors == []


def test_an_agency_page_in_a_browser_leads_to_a_measure_titled_by_its_text(site, browser):
    page, errors = _page(browser)
    page.goto(site + local(CITY_GOV))
    assert page.locator("h1").inner_text() == "上海市人民政府"
    groups = page.locator(".doc-group h3").all_inner_texts()
    assert groups[0] == "上海市优化政务服务提升行政效能深化“一网通办”改革行动方案（2024-2026年）"  # by title
    link = page.locator(".doc-group li[data-kind='responsibility'] a").first
    text = link.inner_text()
    link.click()
    page.wait_for_url("**/id/doc/**")
    assert page.locator("h1").inner_text().startswith(text.rstrip("…"))
    assert errors == []


def test_the_graph_view_outlines_and_centres_its_scope(site, browser):
    scope = BASE + "agency/上海市财政局"
    page, errors = _page(browser)
    page.goto(f"{site}/graph?view=responsibility&scope={q(scope)}")
    page.wait_for_function("() => window.policykgGraphReady === true", timeout=60000)
    marked = page.evaluate("cy.nodes('.scope').map(n => n.data('iri'))")
    assert marked == [scope]
    style = page.evaluate("[cy.nodes('.scope').style('border-width'), cy.nodes('.scope').style('border-color'),"
                          " cy.nodes().not('.scope').first().style('border-width')]")
    assert style[0] == "6px" and style[1] == "rgb(0,0,0)" and style[2] != "6px"
    dx, dy = page.evaluate("""(() => { const p = cy.nodes('.scope').renderedPosition();
        return [p.x - cy.width() / 2, p.y - cy.height() / 2]; })()""")
    assert abs(dx) < 2 and abs(dy) < 2
    assert "the scope is outlined" in page.locator("#status").inner_text()
    # the unscoped follow-up view draws nothing and offers the districts
    page.goto(f"{site}/graph?view=followup")
    assert page.evaluate("typeof window.cy") == "undefined"
    page.locator("#districts a", has_text="杨浦区").click()
    page.wait_for_function("() => window.policykgGraphReady === true", timeout=60000)
    assert page.evaluate("cy.nodes().length") > 0 and errors == []
