"""Settings: where the store lives and which base IRI new resources get.

Each setting has a command-line flag, an environment variable and a default:

===============  ====================  ===============================
setting          environment variable  default
===============  ====================  ===============================
store directory  ``POLICYKG_STORE``    ``./policykg-store``
base IRI         ``POLICYKG_BASE``     ``https://policykg.org/id/``
===============  ====================  ===============================
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_STORE = "policykg-store"
DEFAULT_BASE = "https://policykg.org/id/"

SETTINGS_DOC = {
    "POLICYKG_STORE": "directory of the embedded store (default ./policykg-store)",
    "POLICYKG_BASE": "base IRI of minted resources (default https://policykg.org/id/)",
    "POLICYKG_ENDPOINT": "a remote SPARQL 1.1 store to use instead (query endpoint)",
    "POLICYKG_UPDATE_ENDPOINT": "its update endpoint (default: POLICYKG_ENDPOINT)",
    "POLICYKG_UPDATE_TOKEN": "serve: accept SPARQL Update with Authorization: Bearer <token>",
}


@dataclass(frozen=True)
class Settings:
    store: Path
    base: str

    @classmethod
    def from_env(cls, store: str | os.PathLike | None = None, base: str | None = None) -> "Settings":
        store_path = Path(store or os.environ.get("POLICYKG_STORE") or DEFAULT_STORE)
        base_iri = base or os.environ.get("POLICYKG_BASE") or DEFAULT_BASE
        if not base_iri.endswith(("/", "#")):
            base_iri += "/"
        return cls(store=store_path, base=base_iri)
