"""Pages in a real browser: Debian's chromium driven by Playwright (never `playwright install`)."""
from __future__ import annotations

import os

import pytest

from helpers import CORPUS, run_cli
from server_helpers import CHROMIUM, page_with_errors, serving



@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is installed by scripts/setup --test (Debian package chromium)")
    store = tmp_path_factory.mktemp("pages")
    assert run_cli("build", "--no-reason", str(CORPUS), "--store", str(store)).returncode == 0
    with serving(store) as url:
        yield url




def test_yasgui_loads_the_named_queries_runs_one_and_shows_rows(site, browser, tmp_path):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site + "/sparql-editor")  # the editor; / is the document list (tests/test_browse.py)
    page.wait_for_function("() => window.policykgReady === true", timeout=20000)
    tabs = page.locator(".tabPanel, [role=tabpanel]").count()
    names = page.evaluate("fetch('/queries').then(r => r.json()).then(q => q.map(x => x.name))")
    tab_labels = page.locator(".tab a, [role=tab]").all_inner_texts()
    assert "documents" in " ".join(tab_labels) and len(names) >= 10
    page.locator(".yasqe_queryButton").first.click()
    page.wait_for_selector(".yasr table tbody tr", timeout=20000)
    rows = page.locator(".yasr table tbody tr").count()
    assert rows == 16  # the documents query: one row per document
    page.screenshot(path=str(tmp_path / "yasgui.png"))
    assert errors == []
    assert tabs >= 1


def test_an_entity_page_shows_its_source_passage(site, browser):
    page = browser.new_page()
    page.goto(site + "/id/doc/2024/上海市森林管理规定/art_28__para_1")
    assert page.locator("h1").inner_text() == "art_28__para_1"
    assert "禁止毁林开垦" in page.locator("mark").inner_text()
    page.locator("a", has_text="上海市森林管理规定").first.click()
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "上海市森林管理规定"


# ---------------------------------------------------------------------- graph, audit and document pages
FOREST = "https://policykg.org/id/doc/2024/上海市森林管理规定"
CITY_PLAN = "https://policykg.org/id/doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案"


_page_with_errors = page_with_errors


def test_the_graph_view_draws_the_export_and_a_click_opens_the_node(site, browser):
    import json
    import urllib.request
    from urllib.parse import quote

    scope = quote(FOREST, safe="")
    with urllib.request.urlopen(f"{site}/export?format=cytoscape&view=responsibility&scope={scope}") as r:
        exported = json.load(r)["elements"]
    page, errors = _page_with_errors(browser)
    page.goto(f"{site}/graph?view=responsibility&scope={scope}")
    page.wait_for_function("() => window.policykgGraphReady === true", timeout=60000)
    drawn = page.evaluate("[cy.nodes().length, cy.edges('[!grouping]').length]")
    assert drawn == [len(exported["nodes"]), len(exported["edges"])] and drawn[0] > 0
    # the regulation's article 4 names 水务 among the departments that implement it: its node is drawn
    labels = page.evaluate("cy.nodes().map(n => n.data('label'))")
    assert "水务部门" in labels and "上海市森林管理规定" in labels
    # click the document's node where it is drawn on the screen
    x, y = page.evaluate("""(() => { const n = cy.nodes().filter(n => n.data('type') === 'Document')[0];
        const p = n.renderedPosition(), box = cy.container().getBoundingClientRect();
        return [box.left + p.x, box.top + p.y]; })()""")
    page.mouse.click(x, y)
    page.wait_for_url("**/id/doc/**", timeout=20000)
    assert page.locator("h1").inner_text() == "上海市森林管理规定"
    assert errors == []


def test_a_large_unscoped_view_is_not_drawn_but_explained(site, browser):
    page, errors = _page_with_errors(browser)
    page.goto(f"{site}/graph?view=full")
    page.wait_for_function("() => window.policykgGraphReady === true", timeout=60000)
    assert "too many to draw" in page.locator("#status").inner_text()
    assert page.evaluate("typeof window.cy") == "undefined" and errors == []


def _labelled_followed(district: str, section: str) -> set[str]:
    import json

    from helpers import ROOT

    labels = json.loads((ROOT / "tests" / "labels" / "followups.json").read_text(encoding="utf-8"))[district]
    return {c for cities in labels.values() for c in cities if c.startswith(section + "__")}


def test_the_audit_matrix_shows_the_hand_labelled_numbers_and_a_cell_lists_its_measures(site, browser):
    page, errors = _page_with_errors(browser)
    page.goto(f"{site}/audit-view")
    page.wait_for_function("() => window.policykgAuditReady === true", timeout=60000)
    # 市场准入 (sec_1__subsec_1) has 8 measures and 获取经营场所 (sec_1__subsec_2) 7, counted in the city plan;
    # which of them each district follows up comes from the hand labels (tests/labels/followups.json)
    for district, label in (("杨浦区", "yangpu"), ("嘉定区", "jiading")):
        for heading, section, total in (("市场准入", "sec_1__subsec_1", 8), ("获取经营场所", "sec_1__subsec_2", 7)):
            cell = page.locator(f"tr[data-district='{district}'] td.cell[data-heading='{heading}']")
            assert cell.inner_text() == f"{len(_labelled_followed(label, section))}/{total}", (district, heading)
    page.locator("tr[data-district='杨浦区'] td.cell[data-heading='市场准入']").click()
    items = page.locator("#measures > li")
    assert items.count() == 8
    gaps = {items.nth(i).get_attribute("data-path") for i in range(8) if "gap" in items.nth(i).get_attribute("class")}
    expected_gaps = {f"sec_1__subsec_1__meas_{k}" for k in range(1, 9)} - _labelled_followed("yangpu", "sec_1__subsec_1")
    assert gaps == expected_gaps
    assert "followed by" in items.first.inner_text() or "gap" in items.first.inner_text()
    # districts without a plan are listed, not shown as zero coverage
    assert "黄浦区" in page.locator("#matrix").inner_text()
    assert page.locator("tr[data-district='黄浦区']").count() == 0
    page.locator("#measures a").first.click()
    page.wait_for_url("**/id/doc/**", timeout=20000)
    assert errors == []


def test_the_audit_matrix_lists_measures_addressed_elsewhere_as_not_applicable(site, browser):
    """临港新片区打造营商环境制度创新高地 (sec_4__subsec_2): measures 1–4 and 6 name 临港新片区 or 临港, which lies in
    浦东新区, 奉贤区 and 闵行区 (ontology/places.ttl); measure 5 names no place, but stands under the section heading
    that names 临港新片区. For 杨浦区 the six are not applicable (measure 5 by its heading)."""
    page, errors = _page_with_errors(browser)
    page.goto(f"{site}/audit-view")
    page.wait_for_function("() => window.policykgAuditReady === true", timeout=60000)
    page.locator("tr[data-district='杨浦区'] td.cell[data-heading='临港新片区打造营商环境制度创新高地']").click()
    items = page.locator("#measures > li")
    assert items.count() == 6
    na = {items.nth(i).get_attribute("data-path") for i in range(6) if items.nth(i).get_attribute("class") == "na"}
    assert na == {f"sec_4__subsec_2__meas_{k}" for k in (1, 2, 3, 4, 5, 6)}
    assert "not applicable here: names 临港新片区 (lies in" in page.locator("#measures").inner_text()
    assert "in its section heading" in page.locator("#measures > li[data-path='sec_4__subsec_2__meas_5']").inner_text()
    assert "6 not applicable here" in page.locator("#detail h2").inner_text()
    assert errors == []


def test_the_document_page_puts_units_and_obligations_beside_the_text(site, browser):
    from urllib.parse import quote

    page, errors = _page_with_errors(browser)
    page.goto(f"{site}/document?iri={quote(FOREST, safe='')}")
    assert page.locator("h1").inner_text() == "上海市森林管理规定"
    # 第四条第三款: 发展改革、规划资源、水务、交通、农业农村、国资、财政、应急管理等部门以及消防救援机构…协同实施本规定
    row = page.locator(".prov[data-path='art_4__para_3']")
    assert "协同实施本规定" in row.locator(".t").inner_text()
    units = row.locator(".ann .role").all_inner_texts()
    for unit in ("水务部门", "财政部门", "消防救援机构"):
        assert any(unit in u for u in units), (unit, units)
    # 第二十八条第一款 begins 禁止毁林开垦: a prohibition, shown with its cue
    assert "prohibition 「禁止」" in page.locator(".prov[data-path='art_28__para_1'] .ann").inner_text()
    # 第七条: 本市建立森林生态效益补偿制度 — a mandate without a modal word, its cue the verb
    assert "obligation 「建立」" in page.locator(".prov[data-path='art_7__para_1'] .ann").inner_text()
    # how each unit was found is in the chip's title
    assert "subject" in row.locator(".ann .role").first.get_attribute("title")
    # the tree: article 28 is a heading over its paragraphs, in document order
    paths = page.locator(".prov").evaluate_all("els => els.map(e => e.dataset.path)")
    assert paths.index("art_28") < paths.index("art_28__para_1") < paths.index("art_28__para_2") < paths.index("art_29")
    page.locator(".prov[data-path='art_4__para_3'] .ann .role a", has_text="水务部门").click()
    page.wait_for_selector("h1")
    assert page.locator("h1").inner_text() == "水务部门" and errors == []


def test_the_screenshot_command_writes_a_png_of_every_page(site, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from policykg.server import screenshots

    # in its own process, as scripts/screenshots runs it (and Playwright allows one sync session per thread)
    done = subprocess.run([sys.executable, "-m", "policykg.server.screenshots", site, str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    written = [Path(line) for line in done.stdout.split()]
    assert [p.name for p in written] == [f"{name}.png" for name, *_ in screenshots.PAGES]
    for p in written:
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, p


def test_the_audit_report_over_http_and_clear_errors_for_bad_page_parameters(site):
    import json
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(f"{site}/audit?format=json&district=杨浦区".replace("杨浦区", "%E6%9D%A8%E6%B5%A6%E5%8C%BA")) as r:
        report = json.load(r)
    [yangpu] = report["districts"]
    assert yangpu["district"] == "杨浦区" and yangpu["total"] == 157 and report["cityPlans"][0]["plan"] == CITY_PLAN
    for path, status, words in (("/audit?plan=nonexistent", 404, "nonexistent"), ("/audit?format=pdf", 400, "format"),
                                ("/document?iri=https://example.org/x", 404, "no document"),
                                ("/graph?view=everything", 400, "view is one of")):
        try:
            urllib.request.urlopen(site + path)
            raise AssertionError(f"{path} answered 200")
        except urllib.error.HTTPError as exc:
            body = json.load(exc)
            assert exc.code == status and words in body["message"], (path, body)


def test_export_over_http_reads_back_with_the_sparql_counts_of_the_same_server(site):
    import csv
    import io
    import urllib.request

    import networkx as nx

    from policykg.queries import export
    from policykg.remote import RemoteStore

    from helpers import BASE

    expected = export.counts(RemoteStore(site + "/sparql"), BASE, "legal")
    with urllib.request.urlopen(f"{site}/export?format=graphml&view=legal") as r:
        assert r.headers["Content-Type"].startswith("application/graphml+xml") or "xml" in r.headers["Content-Type"]
        g = nx.read_graphml(io.BytesIO(r.read()), force_multigraph=True)
    assert (g.number_of_nodes(), g.number_of_edges()) == expected
    with urllib.request.urlopen(f"{site}/export?format=csv&view=legal&part=edges") as r:
        assert len(list(csv.DictReader(io.StringIO(r.read().decode("utf-8"))))) == expected[1]
