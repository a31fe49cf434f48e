"""Helpers shared by the tests (importable because pytest's pythonpath includes tests/)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "shanghai-2024"
FILES = {
    "000": CORPUS / "000_5c623842aeda65ec.txt",
    "001": CORPUS / "001_a0901fd0bdd4d3da.txt",
    "002": CORPUS / "002_350f9eb0b21ba905.txt",
    "003": CORPUS / "003_cebf7cb3adb8ea3e.txt",
    "004": CORPUS / "004_2a07707d71d5b7e1.txt",
}
BASE = "https://policykg.org/id/"
PKG = "https://policykg.org/ontology#"


def select(store, sparql: str) -> list[dict]:
    """Rows of a SELECT as dicts of plain values (None when unbound)."""
    res = store.query(sparql)
    names = [v.value for v in res.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in res]


def values(result, columns) -> list[tuple]:
    """Rows of a SELECT as tuples of plain values of ``columns`` (None when unbound), in the answer's order."""
    return [tuple(None if r[c] is None else r[c].value for c in columns) for r in result]


def rebuilds_missing_graph(tmp_path: Path, folder: Path, one_file: Path, graph: str, listed):
    """A materialised list's graph dropped from a built store (a store of a version before it): ``listed(store)``
    lists nothing, and a build of ``one_file`` writes the graph whole again, equal to the first build's. The store,
    for further checks."""
    from policykg.loaders.build import build
    from policykg.store import Store

    store = Store(tmp_path / "missing-graph")
    build([folder], store, BASE, progress=False, reason=False)
    whole = store.dump_sorted([graph])
    store.apply({}, drops=[graph])
    assert listed(store) == []
    build([one_file], store, BASE, progress=False, reason=False)
    assert store.dump_sorted([graph]) == whole
    return store


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """Run the real `policykg` command in a subprocess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "policykg.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        cwd=cwd or ROOT,
        timeout=timeout,
    )
