"""Time: documents in force on a date (named query in-force, documents --param on), editions linked as versions,
and `policykg diff` / `/diff` between two editions — on small regulations written here, whose dates, repeals and
article changes are known because they are written so, built through the real CLI into a real store."""
from __future__ import annotations

import json
import os
from urllib.parse import quote, urlencode

import pytest

from helpers import BASE, PKG, run_cli, select
from server_helpers import http, serving

# two editions of one regulation: 第一条 kept, 第二条 changed, 第三条 removed, two articles inserted (B 第三条,
# 第四条), A 第四条 kept word for word as B 第五条 (renumbered), the final article changed (new date, a repeal)
FOREST_2009 = """某市森林管理规定
第一条（目的和依据）
为了保护森林资源，根据《中华人民共和国森林法》，制定本规定。
第二条（管理部门）
市林业部门应当加强森林资源管理。
第三条（森林防火）
各区人民政府应当做好森林防火工作，加强火源管理。
第四条（采伐管理）
采伐林木应当申请采伐许可证，并按照许可证的规定进行采伐。
第五条（施行日期）
本规定自2009年5月1日起施行。
某市人民政府
2009年3月2日
"""
FOREST_2024 = """某市森林管理规定
第一条（目的和依据）
为了保护森林资源，根据《中华人民共和国森林法》，制定本规定。
第二条（管理部门）
市林业部门应当加强森林资源管理。区林业部门应当做好监督检查工作。
第三条（林长制）
本市实行林长制，各级林长负责本区域森林资源保护发展。
第四条（古树名木）
古树名木实行挂牌保护，禁止擅自移植。
第五条（采伐管理）
采伐林木应当申请采伐许可证，并按照许可证的规定进行采伐。
第六条（施行日期）
本规定自2024年5月1日起施行。2009年3月2日发布的《某市森林管理规定》同时废止。
某市人民政府
2024年1月22日
"""
# a different title, repealed (not replaced by an edition), and a regulation with an expiry date
OLD_TREES = """某市古树保护暂行规定
第一条（目的）
为了保护古树，制定本规定。
第二条（施行日期）
本规定自2001年7月1日起施行。
某市人民政府
2001年6月1日
"""
TREES = """某市古树名木保护办法
第一条（目的）
为了保护古树名木，制定本办法。
第二条（施行日期）
本办法自2015年3月1日起施行，有效期至2020年12月31日。《某市古树保护暂行规定》同时废止。
某市人民政府
2015年2月1日
"""
F09, F24 = f"{BASE}doc/2009/某市森林管理规定", f"{BASE}doc/2024/某市森林管理规定"
T01, T15 = f"{BASE}doc/2001/某市古树保护暂行规定", f"{BASE}doc/2015/某市古树名木保护办法"


def write(folder, **texts):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def kg(tmp_path_factory):
    root = tmp_path_factory.mktemp("time")
    src = write(root / "src", forest2009=FOREST_2009, forest2024=FOREST_2024, oldtrees=OLD_TREES, trees=TREES)
    store = root / "store"
    r = run_cli("build", "--no-reason", str(src), "--store", str(store))
    assert r.returncode == 0, r.stderr
    return store


def cli_json(*args):
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def in_force(store, on: str, query: str = "in-force") -> list[str]:
    data = cli_json("query", query, "--param", f"on={on}", "--format", "json", "--store", str(store))
    return sorted(b["doc"]["value"] for b in data["results"]["bindings"])


# ---------------------------------------------------------------------- editions
def test_two_editions_of_one_title_are_linked_as_versions_and_nothing_else_is(kg):
    from policykg.store import Store

    store = Store(kg, read_only=True)
    links = select(store, f"""SELECT ?a ?p ?b WHERE {{ GRAPH <{BASE}graph/links> {{ ?a ?p ?b }}
                              FILTER(?p IN (pkg:previousEdition, pkg:nextEdition)) }} ORDER BY ?p""")
    assert [(r["a"], r["p"], r["b"]) for r in links] == [(F09, PKG + "nextEdition", F24), (F24, PKG + "previousEdition", F09)]


def test_a_targeted_rebuild_links_editions_as_a_whole_store_resolution_does(tmp_path):
    """The 2024 edition built first, then the 2009 one (targeted links); then the 2009 file re-built under another
    title: the links follow, and each state equals the links resolved over the whole store."""
    from policykg.iri import Minter
    from policykg.loaders.build import build, resolve_links
    from policykg.store import Store

    src = write(tmp_path / "src", forest2009=FOREST_2009, forest2024=FOREST_2024)
    store = Store(tmp_path / "s")
    links = f"{BASE}graph/links"
    edition = f"SELECT ?a ?b WHERE {{ ?a pkg:nextEdition ?b }}"
    build([src / "forest2024.txt"], store, BASE, progress=False, reason=False)
    assert select(store, edition) == []
    build([src / "forest2009.txt"], store, BASE, progress=False, reason=False)
    assert select(store, edition) == [{"a": F09, "b": F24}]
    targeted = store.dump_sorted([links])
    resolve_links(store, Minter(BASE))
    assert store.dump_sorted([links]) == targeted
    (src / "forest2009.txt").write_text(FOREST_2009.replace("某市森林管理规定\n", "某市林地管理规定\n", 1), encoding="utf-8")
    build([src / "forest2009.txt"], store, BASE, progress=False, reason=False)
    assert select(store, edition) == []  # another title: no edition any more, and no link left to the dropped document
    assert F09 not in store.dump_sorted([links])
    targeted = store.dump_sorted([links])
    resolve_links(store, Minter(BASE))
    assert store.dump_sorted([links]) == targeted


# ---------------------------------------------------------------------- in force
EXPECTED = {
    "2001-06-30": [],
    "2001-07-01": [T01],  # in force from its entry-into-force day
    "2009-04-30": [T01],  # the 2009 edition signed, not yet in force
    "2009-05-01": [T01, F09],
    "2015-02-28": [T01, F09],
    "2015-03-01": [F09, T15],  # 2015's 办法 in force, and it repeals the 2001 规定 (同时废止)
    "2020-12-31": [F09, T15],  # 有效期至2020年12月31日: its last day in force
    "2021-01-01": [F09],
    "2024-04-30": [F09],  # the 2024 edition is signed (2024-01-22) but not in force: the 2009 one still is
    "2024-05-01": [F24],  # the next edition in force (and it repeals the 2009 one)
}


@pytest.mark.parametrize("on", sorted(EXPECTED))
def test_in_force_on_a_date_follows_entry_expiry_repeal_and_editions(kg, on):
    assert in_force(kg, on) == sorted(EXPECTED[on])


def test_documents_takes_on_and_without_it_lists_every_document(kg):
    for on in ("2009-04-30", "2015-03-01", "2024-05-01"):
        assert in_force(kg, on, "documents") == sorted(EXPECTED[on])
    data = cli_json("query", "documents", "--format", "json", "--store", str(kg))
    assert sorted(b["doc"]["value"] for b in data["results"]["bindings"]) == sorted([F09, F24, T01, T15])


def test_search_and_the_document_list_apply_the_same_rule(kg):
    """One rule for in force: `policykg search --in-force-on` and the list at / give the named query's documents."""
    import re

    for on in sorted(EXPECTED):
        hits = cli_json("search", "某市", "--kind", "document", "--in-force-on", on, "--format", "json",
                        "--limit", "50", "--store", str(kg))
        assert sorted(h["iri"] for h in hits["hits"]) == sorted(EXPECTED[on]), on
    with serving(kg) as url:
        for on in ("2009-04-30", "2015-03-01", "2021-01-01", "2024-05-01"):
            status, _, body = http(f"{url}/?{urlencode({'in_force': 'yes', 'on': on})}", "text/html")
            assert status == 200
            assert sorted(re.findall(r'<tr data-doc="([^"]+)"', body.decode("utf-8"))) == sorted(EXPECTED[on]), on


@pytest.mark.parametrize("bad", ["2024-02-30", "2024-6-1", "yesterday", "2024-06-01T00:00:00", "<https://x.org/d>", ""])
def test_a_bad_date_is_a_clear_error_exit_2(kg, bad):
    for query in ("in-force", "documents"):
        r = run_cli("query", query, "--param", f"on={bad}", "--store", str(kg))
        assert r.returncode == 2
        assert "must be a date written YYYY-MM-DD" in r.stderr and "Traceback" not in r.stderr


def test_in_force_over_http_binds_the_date_and_refuses_a_bad_one(kg):
    with serving(kg) as url:
        for on in ("2015-03-01", "2024-04-30"):
            status, _, body = http(f"{url}/queries/in-force?{urlencode({'on': on, 'format': 'json'})}")
            assert status == 200
            assert sorted(b["doc"]["value"] for b in json.loads(body)["results"]["bindings"]) == sorted(EXPECTED[on])
        for query, bad in (("in-force", "2024-13-01"), ("documents", "2024-06-01\" } FILTER(false) {"), ("in-force", "")):
            status, headers, body = http(f"{url}/queries/{query}?{urlencode({'on': bad})}")
            assert status == 400 and headers["Content-Type"].startswith("application/json")
            err = json.loads(body)
            assert err["error"] == "bad-request" and "YYYY-MM-DD" in err["message"]


# ---------------------------------------------------------------------- diff
def _numbers(report, status, side):
    return [e[side]["number"] for e in report["entries"] if e["status"] == status]


def test_diff_finds_exactly_the_articles_added_removed_and_changed(kg):
    report = cli_json("diff", F09, F24, "--format", "json", "--store", str(kg))
    assert report["editions"] == "b-is-next-edition-of-a"
    assert report["articles"] == {"a": 5, "b": 6}
    assert _numbers(report, "added", "b") == ["三", "四"]
    assert _numbers(report, "removed", "a") == ["三"]
    assert [(e["a"]["number"], e["b"]["number"]) for e in report["entries"] if e["status"] == "changed"] == [("二", "二"), ("五", "六")]
    unchanged = [(e["a"]["number"], e["b"]["number"], e["renumbered"]) for e in report["entries"] if e["status"] == "unchanged"]
    assert unchanged == [("一", "一", False), ("四", "五", True)]
    # renumbered: 第四条 → 第五条 (unchanged) and 第五条 → 第六条 (changed)
    assert report["summary"] == {"added": 2, "removed": 1, "changed": 2, "unchanged": 2, "renumbered": 2}
    second = next(e for e in report["entries"] if e["status"] == "changed")
    assert second["diff"] == [["equal", "市林业部门应当加强森林资源管理。"], ["insert", "区林业部门应当做好监督检查工作。"]]
    last = [e for e in report["entries"] if e["status"] == "changed"][1]
    inserted = "".join(t for op, t in last["diff"] if op == "insert")
    deleted = "".join(t for op, t in last["diff"] if op == "delete")
    assert deleted == "09" and inserted == "24" + "2009年3月2日发布的《某市森林管理规定》同时废止。"
    # B's order: the removed 第三条 right after 第二条, before the inserted ones
    assert [e["status"] for e in report["entries"]] == ["unchanged", "changed", "removed", "added", "added", "unchanged", "changed"]


def test_diff_as_text_and_by_title_or_number(kg):
    r = run_cli("diff", F09, F24, "--store", str(kg))
    assert r.returncode == 0, r.stderr
    assert "1 removed" in r.stdout and "2 added" in r.stdout and "B is the next edition of A" in r.stdout
    assert "市林业部门应当加强森林资源管理。{+区林业部门应当做好监督检查工作。+}" in r.stdout
    assert "= renumbered 第四条（采伐管理） → 第五条（采伐管理）" in r.stdout
    # a title both editions bear is ambiguous; a title one document bears names it
    r = run_cli("diff", "某市森林管理规定", F24, "--store", str(kg))
    assert r.returncode == 2 and F09 in r.stderr and F24 in r.stderr
    report = cli_json("diff", "某市古树保护暂行规定", "某市古树名木保护办法", "--format", "json", "--store", str(kg))
    assert report["a"]["iri"] == T01 and report["b"]["iri"] == T15 and report["editions"] is None
    r = run_cli("diff", "某市没有的规定", F24, "--store", str(kg))
    assert r.returncode == 2 and "no document" in r.stderr


def test_diff_page_and_json_over_http_in_chromium(kg, tmp_path):
    from server_helpers import ARGS, CHROMIUM

    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is installed by scripts/setup (Debian package chromium)")
    cli = cli_json("diff", F09, F24, "--format", "json", "--store", str(kg))
    with serving(kg) as url:
        status, _, body = http(f"{url}/diff?{urlencode({'a': F09, 'b': F24, 'format': 'json'})}")
        assert status == 200 and json.loads(body) == cli
        for query, code in (({"a": "not an iri", "b": F24}, 400), ({"a": F09}, 400), ({"a": F09 + "x", "b": F24}, 404),
                            ({"a": F09, "b": F24, "format": "pdf"}, 400)):
            status, headers, body = http(f"{url}/diff?{urlencode(query)}")
            assert status == code and "error" in json.loads(body), query
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{url}/diff?a={quote(F09, safe='')}&b={quote(F24, safe='')}")
            assert page.locator("tr.added").count() == 2 and page.locator("tr.removed").count() == 1
            assert page.locator("tr.changed").count() == 2 and page.locator("tr.unchanged").count() == 2
            assert page.locator("tr.changed ins").first.inner_text() == "区林业部门应当做好监督检查工作。"
            assert page.locator("tr.removed td").first.inner_text().startswith("第三条（森林防火）")
            assert "B is the next edition of A" in page.locator(".summary").inner_text()
            page.locator("a", has_text="某市森林管理规定").last.click()  # the B document's own page
            page.wait_for_load_state()
            assert page.url.endswith(quote("doc/2024/某市森林管理规定", safe="/"))
            page.goto(f"{url}/diff?a={quote(F09, safe='')}&b={quote(F24, safe='')}")
            page.screenshot(path=str(tmp_path / "diff.png"), full_page=True)
            if os.environ.get("POLICYKG_SCREENSHOTS"):  # refresh docs/screenshots/diff.png
                page.screenshot(path=os.environ["POLICYKG_SCREENSHOTS"] + "/diff.png", full_page=True)
            browser.close()
            assert errors == []
