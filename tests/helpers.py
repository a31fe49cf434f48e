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
