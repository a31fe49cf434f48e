"""Pages in a real browser: Debian's chromium driven by Playwright (never `playwright install`)."""
from __future__ import annotations

import os

import pytest

from helpers import CORPUS, run_cli
from server_helpers import serving

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is installed by scripts/setup (Debian package chromium)")
    store = tmp_path_factory.mktemp("pages")
    assert run_cli("build", "--no-reason", str(CORPUS), "--store", str(store)).returncode == 0
    with serving(store) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_yasgui_loads_the_named_queries_runs_one_and_shows_rows(site, browser, tmp_path):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site + "/")
    page.wait_for_function("window.policykgReady === true", timeout=20000)
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
