"""Shared fixtures: the bundled corpus and a store built from it (real pyoxigraph on disk)."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import BASE, CORPUS


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
