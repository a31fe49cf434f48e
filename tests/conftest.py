"""Shared fixtures: the bundled corpus and a store built from it (real pyoxigraph on disk)."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import BASE, CORPUS, ROOT


@pytest.fixture(scope="session")
def corpus() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The bundled corpus built once into a store on disk: (store, summary)."""
    from policykg.loaders.build import build
    from policykg.store import Store

    path = tmp_path_factory.mktemp("store")
    store = Store(path)
    summary = build([CORPUS], store, BASE, progress=False)
    return store, summary


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    """A synthetic corpus (bench/generate.py: 120 documents, seed 3) built once: (store, corpus folder).
    Read only by the tests that use it."""
    from bench.generate import generate
    from policykg.loaders.build import build
    from policykg.store import Store

    tmp = tmp_path_factory.mktemp("synthetic")
    generate(120, 3, tmp / "data")
    store = Store(tmp / "store")
    build([tmp / "data" / "corpus"], store, BASE, progress=False, reason=False)
    return store, tmp / "data" / "corpus"


@pytest.fixture(scope="session")
def reasoned(tmp_path_factory):
    """The bundled corpus built from the repository root, as scripts/run does, then reasoned over:
    (store, reasoning report, sorted dump of the document graphs before reasoning, their names)."""
    import os
    import shutil

    from policykg.loaders.build import build
    from policykg.ontology.reasoning import reason
    from policykg.store import Store

    store = Store(tmp_path_factory.mktemp("reasoned"))
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        build(["corpus/shanghai-2024"], store, BASE, progress=False)
    finally:
        os.chdir(cwd)
    from policykg.iri import Minter

    data = [g for g in store.named_graphs() if Minter(BASE).doc_key_of_graph(g) is not None]
    before = store.dump_sorted(data)
    report = reason(store, BASE)
    return store, report, before, data


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), through Playwright."""
    import os

    from server_helpers import ARGS, CHROMIUM

    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is installed by scripts/setup --test (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
