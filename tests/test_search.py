"""Keyword search (policykg/search.py): the CLI, the index kept in step by build, /search over HTTP, and the search
box in Chromium — on the bundled corpus, with the expected hits read from its source files."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import pytest

from helpers import CORPUS, FILES, run_cli
from server_helpers import serving

XUHUI = FILES["001"]  # 上海市徐汇区持续优化提升营商环境行动方案 (no document number: keyed by year and title)
XUHUI_DOC = "https://policykg.org/id/doc/2023/上海市徐汇区持续优化提升营商环境行动方案"
PHRASE = "创新虚拟政务服务窗口办理"  # the start of one sentence (one measure) of XUHUI


def flat(path) -> str:
    """A source file's text with its line breaks removed (PDF dumps break lines inside words)."""
    return path.read_text(encoding="utf-8").replace("\n", "")


def search(store, *args: str) -> dict:
    r = run_cli("search", *args, "--store", str(store), "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def marked(hit: dict) -> list[str]:
    return [hit["snippet"][s:e] for s, e in hit["marks"]]


def text_of(hit: dict) -> str:
    return hit["snippet"].replace("…", "")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("search-store")
    r = run_cli("build", "--no-reason", str(CORPUS), "--store", str(path))
    assert r.returncode == 0, r.stderr
    return path


def index_dump(store_path) -> list[tuple]:
    from policykg.search import dump, open_index

    con = open_index(os.path.join(store_path, "search.sqlite"))
    try:
        return dump(con)
    finally:
        con.close()


# ---------------------------------------------------------------------- found, ranked, highlighted
def test_a_phrase_of_one_measure_is_found_once_in_its_document_and_highlighted(store):
    assert flat(XUHUI).count(PHRASE) == 1
    assert all(PHRASE not in flat(f) for k, f in FILES.items() if k != "001")
    out = search(store, PHRASE)
    assert out["total"] == 1
    hit = out["hits"][0]
    assert hit["kind"] == "measure" and hit["document"] == XUHUI_DOC
    assert hit["iri"].startswith(XUHUI_DOC + "/") and hit["documentTitle"] == "上海市徐汇区持续优化提升营商环境行动方案"
    assert marked(hit) == [PHRASE]
    assert "提供与实体大厅" in hit["snippet"]  # the passage goes on with the sentence as printed


def test_a_two_character_term_is_found_as_a_substring_and_marked(store):
    assert "帮办" in flat(XUHUI)
    out = search(store, "帮办", "--limit", "100")
    assert out["total"] >= 1 and out["total"] == len(out["hits"])
    assert XUHUI_DOC in {h["document"] for h in out["hits"]}
    for hit in out["hits"]:
        assert "帮办" in marked(hit), hit
    # a longer term in the same text goes through the full-text index and finds the same measure
    long_out = search(store, "在线帮办服务")
    assert long_out["total"] >= 1 and all("在线帮办服务" in marked(h) for h in long_out["hits"])
    assert {h["iri"] for h in long_out["hits"]} <= {h["iri"] for h in out["hits"]}


@pytest.mark.parametrize("term", ["海绵城市", "海绵", "河长制"])
def test_a_term_absent_from_the_corpus_gives_no_hits(store, term):
    assert all(term not in flat(f) for f in FILES.values())
    assert search(store, term)["hits"] == []


def test_title_hits_rank_above_text_hits(store):
    # 上海市森林管理规定 and its interpretation carry 森林管理 in their titles; articles carry it in their text
    out = search(store, "森林管理", "--limit", "50")
    kinds = [h["kind"] for h in out["hits"]]
    titled = [h for h in out["hits"] if h["kind"] == "document"]
    assert {h["title"] for h in titled} >= {"上海市森林管理规定", "关于《上海市森林管理规定》的政策解读"}
    assert kinds[:len(titled)] == ["document"] * len(titled)  # every document before every part
    assert any(k in ("provision", "measure") for k in kinds)
    scores = [h["score"] for h in out["hits"]]
    assert scores == sorted(scores)  # bm25: lower is better


def test_kind_agency_finds_an_agency_by_the_name_documents_use(store):
    # ontology/agencies.ttl: 上海市绿化和市容管理局 skos:altLabel "市林业部门"
    out = search(store, "市林业部门", "--kind", "agency")
    assert [h["iri"] for h in out["hits"]][:1] == ["https://policykg.org/id/agency/上海市绿化和市容管理局"]
    assert all(h["kind"] == "agency" for h in out["hits"])
    assert "市林业部门" in marked(out["hits"][0])


def test_kind_provision_keeps_articles_of_the_regulation(store):
    # 第二十五条 of 上海市森林管理规定 speaks of 森林防火
    out = search(store, "森林防火", "--kind", "provision", "--limit", "100")
    assert out["hits"] and all(h["kind"] == "provision" for h in out["hits"])
    assert "https://policykg.org/id/doc/2024/上海市森林管理规定/art_25" in {h["iri"] for h in out["hits"]}


def test_place_filter_by_name_code_and_enclosing_place(store):
    all_hits = search(store, "营商环境", "--kind", "document", "--limit", "100")["hits"]
    by_name = search(store, "营商环境", "--kind", "document", "--place", "徐汇区", "--limit", "100")
    by_code = search(store, "营商环境", "--kind", "document", "--place", "310104", "--limit", "100")
    assert [h["iri"] for h in by_name["hits"]] == [XUHUI_DOC] == [h["iri"] for h in by_code["hits"]]
    city = search(store, "营商环境", "--kind", "document", "--place", "上海市", "--limit", "100")["hits"]
    assert XUHUI_DOC in {h["iri"] for h in city}  # 徐汇区 lies within 上海市
    assert {h["place"] for h in city} >= {"上海市", "徐汇区", "杨浦区", "嘉定区"}
    assert len(city) < len(all_hits) or any(h["place"] is None for h in all_hits) is False
    yangpu = search(store, "营商环境", "--place", "杨浦区", "--limit", "100")["hits"]
    assert yangpu and {h["place"] for h in yangpu} == {"杨浦区"}
    assert search(store, "营商环境", "--place", "广州市")["hits"] == []


def test_in_force_on_follows_entry_into_force_and_expiry(store):
    # 003: 上海市人民政府关于完善老年综合津贴制度的通知 — 本通知自2024年5月1日起施行，有效期至2029年4月30日
    text = flat(FILES["003"])
    assert "本通知自２０２４年５月１日起施行,有效期至２０２９年４月３０日" in text
    notice = "https://policykg.org/id/doc/沪府规-2024-1"

    def docs(on: str | None) -> set[str]:
        args = ["老年综合津贴", "--kind", "document"] + (["--in-force-on", on] if on else [])
        return {h["iri"] for h in search(store, *args)["hits"]}

    everything = docs(None)
    assert notice in everything and len(everything) >= 2  # the interpretation too, which states no date
    assert docs("2024-06-01") == {notice}
    assert docs("2024-05-01") == {notice} and docs("2029-04-30") == {notice}
    assert docs("2024-04-30") == set() and docs("2029-05-01") == set()
    parts = search(store, "老年综合津贴", "--kind", "provision", "--in-force-on", "2024-06-01", "--limit", "100")["hits"]
    assert parts and {h["document"] for h in parts} == {notice}
    # 徐汇区's plan: 本行动方案自2023年4月3日起施行
    assert "本行动方案自 2023 年 4 月 3 日起施行" in flat(XUHUI)
    assert search(store, PHRASE, "--in-force-on", "2023-04-03")["total"] == 1
    assert search(store, PHRASE, "--in-force-on", "2023-04-02")["total"] == 0
    # agencies belong to no document: a date filter leaves them out
    assert search(store, "市林业部门", "--kind", "agency", "--in-force-on", "2024-06-01")["hits"] == []


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("query, control", [
    ("森林防火 AND 指挥机构", "森林防火 指挥机构"),  # AND is a word to find, not an operator
    ("森林防火 OR 指挥机构", "森林防火 指挥机构"),
    ("森林*", "森林"),  # * is a character, not a prefix query
    ('"森林防火"', "森林防火"),  # quotes are characters
    ("NEAR(森林防火 指挥机构)", "森林防火 指挥机构"),
    ("森林防火 NOT 指挥", "森林防火 指挥"),
    ("title:森林", "森林"),
    ("^森林", "森林"),
])
def test_fts_syntax_in_the_query_is_literal_text(store, query, control):
    assert all(op not in flat(f) for f in FILES.values() for op in query.split() if op not in control.split())
    assert search(store, control)["total"] > 0
    assert search(store, query)["total"] == 0


@pytest.mark.parametrize("args, message", [
    (["", ], "empty"),
    (["   "], "empty"),
    (["森" * 201], "at most 200"),
    (["森林", "--in-force-on", "2024-02-30"], "not a date"),
    (["森林", "--in-force-on", "June 2024"], "YYYY-MM-DD"),
    (["森林", "--limit", "0"], "limit"),
    (["森林", "--kind", "article"], "invalid choice"),
    (" ".join(f"词{i}" for i in range(9)).split(" ")[:1] + [], None),
])
def test_bad_queries_are_refused_with_a_message(store, args, message):
    if message is None:  # nine terms
        args, message = [" ".join(f"词语{i}" for i in range(9))], "at most 8"
    r = run_cli("search", *args, "--store", str(store))
    assert r.returncode == 2
    assert message in r.stderr


def test_a_store_without_an_index_says_what_to_run(tmp_path):
    r = run_cli("search", "森林", "--store", str(tmp_path / "nothing"))
    assert r.returncode == 2 and "policykg search-index" in r.stderr


# ---------------------------------------------------------------------- in step with the store
def test_search_index_rebuilds_the_same_index_from_the_store(store, tmp_path):
    built = index_dump(store)
    r = run_cli("search-index", "--store", str(store), "--index", str(tmp_path / "again.sqlite"))
    assert r.returncode == 0, r.stderr
    assert "16 documents" in r.stdout
    from policykg.search import dump, open_index

    con = open_index(tmp_path / "again.sqlite")
    assert dump(con) == built
    con.close()
    kinds = {row[1] for row in built if row[0] == "entry"}
    assert kinds == {"document", "measure", "provision", "agency"}


def test_rows_from_a_documents_quads_equal_the_rows_read_from_the_store(store):
    """What a first build writes while loading (policykg.search.entries_of_quads, from each document's quads)
    equals what the index reads back with SPARQL, graph by graph: every measure and every provision row."""
    from policykg.iri import Minter
    from policykg.search import _Q_MEASURES, _Q_PROVISIONS, _part_rows, _rows, entries_of_quads
    from policykg.store import Store

    s = Store(store, read_only=True)
    mint = Minter("https://policykg.org/id/")
    graphs = [g for g in s.named_graphs() if mint.doc_key_of_graph(g) is not None]
    assert len(graphs) == 16
    kinds = set()
    for g in graphs:
        read = sorted(_part_rows(_rows(s, _Q_MEASURES, g), "measure") + _part_rows(_rows(s, _Q_PROVISIONS, g), "provision"))
        assert entries_of_quads(s.quads(g)) == read, g
        kinds.update(r[1] for r in read)
    assert kinds == {"measure", "provision"}


def test_a_rebuild_of_one_changed_file_leaves_the_index_of_a_fresh_build(tmp_path):
    """A changed sentence and a changed title (the document's key changes: the old document is dropped)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    xuhui = corpus / XUHUI.name
    incremental, fresh = tmp_path / "incremental", tmp_path / "fresh"
    assert run_cli("build", "--no-reason", str(corpus), "--store", str(incremental)).returncode == 0
    gen_before = (incremental / "policykg-generation").read_text()
    text = xuhui.read_text(encoding="utf-8")
    assert text.count("上海市徐汇区持续优化提升营商环境行动方案") == 1 and text.count(PHRASE) == 1
    xuhui.write_text(text.replace("上海市徐汇区持续优化提升营商环境行动方案", "上海市徐汇区持续优化提升营商环境工作方案")
                     .replace(PHRASE, "开设元宇宙政务服务窗口办理"), encoding="utf-8")
    r = run_cli("build", "--no-reason", str(xuhui), "--store", str(incremental))
    assert r.returncode == 0, r.stderr
    assert run_cli("build", "--no-reason", str(corpus), "--store", str(fresh)).returncode == 0
    assert index_dump(incremental) == index_dump(fresh)
    # the old rows are gone, the new ones are there
    assert search(incremental, PHRASE)["hits"] == []
    assert search(incremental, "徐汇区持续优化提升营商环境行动方案")["hits"] == []
    new = search(incremental, "开设元宇宙政务服务窗口")["hits"]
    new_doc = "https://policykg.org/id/doc/2023/上海市徐汇区持续优化提升营商环境工作方案"
    assert [h["document"] for h in new] == [new_doc]
    assert all(XUHUI_DOC not in row for row in index_dump(incremental))
    # one generation: the index records the store's new one
    gen_after = (incremental / "policykg-generation").read_text().strip()
    assert gen_after != gen_before.strip()
    con = sqlite3.connect(f"file:{incremental / 'search.sqlite'}?mode=ro", uri=True)
    assert con.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone() == (gen_after,)
    con.close()


# ---------------------------------------------------------------------- HTTP
def get(url: str, accept: str | None = None):
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8")


def q(**params) -> str:
    return "/search?" + urllib.parse.urlencode(params)


@pytest.fixture(scope="module")
def site(store):
    with serving(store) as url:
        yield url


def test_http_json_matches_the_cli(site, store):
    status, headers, body = get(site + q(q=PHRASE, format="json"))
    assert status == 200 and headers.get_content_type() == "application/json"
    data = json.loads(body)
    assert data["hits"] == [dict(h, url=data["hits"][0]["url"], documentUrl=data["hits"][0]["documentUrl"])
                            for h in search(store, PHRASE)["hits"]]
    hit = data["hits"][0]
    assert hit["url"].startswith("/id/doc/2023/")
    status, _, entity = get(site + hit["url"])  # the link is the entity page
    assert status == 200 and PHRASE in entity
    # Accept: application/json, and the filters as parameters
    status, headers, body = get(site + q(q="营商环境", kind="document", place="徐汇区"), accept="application/json")
    assert status == 200 and "Accept" in headers.get("Vary", "")
    assert [h["iri"] for h in json.loads(body)["hits"]] == [XUHUI_DOC]
    status, _, body = get(site + q(q="老年综合津贴", kind="document", **{"in-force-on": "2024-04-30"}, format="json"))
    assert status == 200 and json.loads(body)["hits"] == []


@pytest.mark.parametrize("params, message", [
    ({"q": ""}, "empty"),
    ({"q": "森" * 201}, "at most 200"),
    ({"q": "森林", "kind": "article"}, "kind is one of"),
    ({"q": "森林", "in-force-on": "2024-13-01"}, "not a date"),
    ({"q": "森林", "limit": "-1"}, "limit"),
    ({"q": "森林", "limit": "100000"}, "limit"),
    ({}, "q="),
])
def test_http_bad_parameters_are_a_400_in_json_and_html(site, params, message):
    status, headers, body = get(site + q(**params, format="json"))
    assert status == 400 and headers.get_content_type() == "application/json"
    assert json.loads(body)["error"] == "bad-request" and message in json.loads(body)["message"]
    if params:
        status, headers, body = get(site + q(**params), accept="text/html")
        assert status == 400 and headers.get_content_type() == "text/html"
        assert 'role="alert"' in body and "<form" in body


def test_http_query_text_is_never_sql_or_fts_syntax(site):
    for text in ["森林' OR '1'='1", "森林%", "森林_", '") OR 1=1 --', "森林防火 AND 指挥机构", "fts MATCH '*'"]:
        status, _, body = get(site + q(q=text, format="json"))
        assert status == 200, body
        assert json.loads(body)["total"] == 0, text


def test_http_html_results_link_entities_and_documents(site):
    status, headers, body = get(site + q(q="森林防火", kind="provision"))
    assert status == 200 and headers.get_content_type() == "text/html"
    assert "<mark>森林防火</mark>" in body
    assert 'href="/id/doc/2024/%E4%B8%8A%E6%B5%B7%E5%B8%82%E6%A3%AE%E6%9E%97%E7%AE%A1%E7%90%86%E8%A7%84%E5%AE%9A/art_25"' in body
    assert "/document?iri=" in body
    # no q: the empty form
    status, _, body = get(site + "/search")
    assert status == 200 and 'name="q"' in body and "hit(s)" not in body


@pytest.mark.parametrize("path", ["/", "/graph", "/audit-view", "/audit?format=html", "/search",
                                  "/id/doc/2024/上海市森林管理规定/art_28__para_1",
                                  "/document?iri=https%3A%2F%2Fpolicykg.org%2Fid%2Fdoc%2F2024%2F上海市森林管理规定"])
def test_every_html_page_has_the_search_box(site, path):
    status, headers, body = get(site + urllib.parse.quote(path, safe="/?=&%"), accept="text/html")
    if headers.get_content_type() != "text/html":
        pytest.skip(f"{path} answers {headers.get_content_type()}")
    assert body.count('id="pkg-search"') == 1
    assert '<form id="pkg-search" action="/search" method="get"' in body


def test_the_server_follows_a_new_build(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    kg = tmp_path / "kg"
    assert run_cli("build", "--no-reason", str(corpus), "--store", str(kg)).returncode == 0
    with serving(kg) as url:
        assert json.loads(get(url + q(q=PHRASE, format="json"))[2])["total"] == 1
        xuhui = corpus / XUHUI.name
        xuhui.write_text(xuhui.read_text(encoding="utf-8").replace(PHRASE, "开设元宇宙政务服务窗口办理"), encoding="utf-8")
        assert run_cli("build", "--no-reason", str(xuhui), "--store", str(kg)).returncode == 0
        assert json.loads(get(url + q(q=PHRASE, format="json"))[2])["total"] == 0
        assert json.loads(get(url + q(q="开设元宇宙政务服务窗口", format="json"))[2])["total"] == 1
        # an index rebuilt by search-index (a new file) is picked up too
        assert run_cli("search-index", "--store", str(kg)).returncode == 0
        assert json.loads(get(url + q(q="开设元宇宙政务服务窗口", format="json"))[2])["total"] == 1


# ---------------------------------------------------------------------- Chromium
def test_the_search_box_on_a_page_submits_and_shows_highlighted_results(site, tmp_path):
    from playwright.sync_api import sync_playwright

    from policykg.server.screenshots import ARGS, CHROMIUM

    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is installed by scripts/setup (Debian package chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(site + "/id/doc/2024/上海市森林管理规定/art_28__para_1")
            box = page.locator("#pkg-search input[name=q]")
            box.fill("森林防火")
            box.press("Enter")
            page.wait_for_selector("ol.hits li")
            assert "/search?q=" in page.url
            marks = page.locator("ol.hits mark").all_inner_texts()
            assert marks and set(marks) == {"森林防火"}
            assert page.locator("#summary").inner_text().split()[0].isdigit()
            # the form of the results page: another query, kind filter
            page.locator("form.search-form input[name=q]").fill("森林管理")
            page.select_option("select[name=kind]", "document")
            page.locator("form.search-form button").click()
            page.wait_for_selector("#summary")
            kinds = page.locator("ol.hits .kind").all_inner_texts()
            assert kinds and set(kinds) == {"document"}
            assert set(page.locator("ol.hits mark").all_inner_texts()) == {"森林管理"}
            page.screenshot(path=str(tmp_path / "search.png"))
            page.locator("ol.hits a.title").first.click()
            page.wait_for_load_state()
            assert "/id/doc/" in page.url
            assert errors == []
        finally:
            browser.close()
