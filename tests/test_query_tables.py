"""Named queries as HTML tables (server/tables.py): over HTTP and in Chromium."""
from __future__ import annotations

import csv
import io
import json
import urllib.parse
from urllib.parse import quote

import pytest

from helpers import CORPUS, run_cli
from server_helpers import http, serving

CITY_NOTICE = "沪府办发〔2024〕1号"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
#: a document whose title holds markup: it must show as text
MARKUP_TITLE = "上海市测试区人民政府关于<b>加强</b>管理的通知"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    store = tmp_path_factory.mktemp("tables")
    extra = tmp_path_factory.mktemp("tables-extra") / "markup.txt"
    extra.write_text(f"{MARKUP_TITLE}\n\n各委办局：\n\n一、总体要求\n\n（一）加强管理。各部门应当加强管理。\n\n"
                     "上海市测试区人民政府\n2024年3月1日\n", encoding="utf-8")
    assert run_cli("build", "--no-reason", str(CORPUS), str(extra), "--store", str(store)).returncode == 0
    with serving(store) as url:
        yield url


def _measures_url(site, **extra):
    args = "&".join(f"{k}={quote(str(v))}" for k, v in {"docNumber": CITY_NOTICE, **extra}.items())
    return f"{site}/queries/measures?{args}"


def test_format_html_is_a_table_with_links_to_entity_pages(site):
    status, headers, body = http(_measures_url(site, format="html", limit=10))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode("utf-8")
    assert "<h1>Measures and articles</h1>" in page  # the query's title
    assert "<th>measure</th><th>doc</th><th>docNumber</th><th>path</th><th>text</th>" in page
    assert page.count("<tr>") == 1 + 10  # header and one page of rows
    # the city plan's first measure links to its entity page under /id/
    plan = quote("doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案", safe="/")
    assert f'<a href="/id/{plan}/sec_1__subsec_1__meas_1">' in page
    assert 'name="docNumber" value="沪府办发〔2024〕1号"' in page  # its parameters, in a form
    assert "Content-Security-Policy" in headers


def test_csv_and_json_links_give_the_same_page(site):
    import re
    from html import unescape

    page = http(_measures_url(site, format="html", limit=7, offset=3))[2].decode("utf-8")
    links = {m[1]: unescape(m[0]) for m in re.findall(r'<a class="fmt" href="([^"]+)">(\w+)</a>', page)}
    assert set(links) == {"CSV", "JSON", "TSV", "XML"}
    status, headers, body = http(site + links["CSV"])
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    status, headers, body = http(site + links["JSON"])
    bindings = json.loads(body)["results"]["bindings"]
    assert len(rows) == len(bindings) == 7
    whole = json.loads(http(_measures_url(site, format="json"))[2])["results"]["bindings"]
    assert [b["measure"]["value"] for b in bindings] == [b["measure"]["value"] for b in whole[3:10]]
    assert [r["measure"] for r in rows] == [b["measure"]["value"] for b in bindings]


def test_literals_are_escaped(site):
    page = http(f"{site}/queries/documents?format=html")[2].decode("utf-8")
    assert "&lt;b&gt;加强&lt;/b&gt;" in page and "<b>加强</b>" not in page


def test_html_is_never_silently_json(site):
    # a browser's Accept without format: the table; a SPARQL client's or none: the JSON results as before
    status, headers, _ = http(f"{site}/queries/documents", accept=BROWSER_ACCEPT)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "Accept" in headers["Vary"]
    for accept in (None, "*/*", "application/sparql-results+json", "application/sparql-results+json,text/html;q=0.5"):
        status, headers, body = http(f"{site}/queries/documents", accept=accept)
        assert status == 200 and headers["Content-Type"].startswith("application/sparql-results+json"), accept
        assert len(json.loads(body)["results"]["bindings"]) == 17
    # format=html wins over any Accept; an unknown format is a 400, not JSON results
    status, headers, _ = http(f"{site}/queries/documents?format=html", accept="application/sparql-results+json")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    status, headers, body = http(f"{site}/queries/documents?format=xlsx")
    assert status == 400 and json.loads(body)["error"] == "bad-request" and "html" in json.loads(body)["message"]
    # errors stay JSON errors
    status, _, body = http(f"{site}/queries/documents?format=html&nope=1")
    assert status == 400 and "unknown parameter(s) nope" in json.loads(body)["message"]
    status, _, body = http(f"{site}/queries/documents?format=html&limit=x")
    assert status == 400


def test_the_query_list_as_a_table(site):
    status, headers, body = http(f"{site}/queries?format=html")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode("utf-8")
    names = [q["name"] for q in json.loads(http(f"{site}/queries")[2])]
    assert all(f'<a href="/queries/{n}?format=html">{n}</a>' in page for n in names)




def test_in_chromium_the_table_pages_and_links(site, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(site + "/queries?format=html")
    page.locator("a", has_text="measures").first.click()
    page.wait_for_selector("table.rows tbody tr")
    # the parameter form: the city plan's notice
    page.fill("input[name=docNumber]", CITY_NOTICE)
    page.locator("form.params button").click()
    page.wait_for_selector("table.rows tbody tr")
    first = page.locator("table.rows tbody tr").all_inner_texts()
    assert len(first) == 100 and all(CITY_NOTICE in r for r in first)  # the default page: 100 rows of 157
    assert page.locator("#shown").inner_text() == "rows 1–100"
    page.locator("nav.pages a[rel=next]").first.click()
    page.wait_for_selector("table.rows tbody tr")
    second = page.locator("table.rows tbody tr").all_inner_texts()
    assert len(second) == 57 and not set(second) & set(first)  # 157 = 100 + 57
    assert page.locator("#shown").inner_text() == "rows 101–157"
    assert page.locator("nav.pages a[rel=next]").count() == 0 and page.locator("nav.pages a[rel=prev]").count() == 2
    # a measure's link opens its entity page
    row = page.locator("table.rows tbody tr").first
    cells = row.locator("td").all_inner_texts()
    link = row.locator("td").first.locator("a")
    target = link.inner_text()
    link.click()
    page.wait_for_selector("h1")
    # a measure's page is titled by its text (the row's text column)
    assert page.locator("h1").inner_text() in cells[1:] and page.locator("h1").inner_text() != target
    assert "/id/doc/" in page.url and urllib.parse.unquote(page.url).endswith(target.rsplit("/", 1)[-1])
    assert errors == []


def test_in_chromium_markup_in_a_value_is_text(site, browser):
    page = browser.new_page()
    page.goto(site + "/queries/documents?format=html")
    cell = page.locator("table.rows td:not(:has(a))", has_text="加强").first
    assert MARKUP_TITLE in cell.inner_text()
    assert page.locator("table.rows b").count() == 0
