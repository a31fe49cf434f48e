"""SHACL shapes (one Turtle file per target class) and the validator that runs them.

>>> from policykg.shapes import shapes_graph, validate
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def shape_files() -> list[Path]:
    return sorted(Path(str(f)) for f in resources.files(__name__).iterdir() if str(f).endswith(".ttl"))


def shapes_graph():
    import rdflib

    g = rdflib.Graph()
    for f in shape_files():
        g.parse(f, format="turtle")
    return g


from .validate import ValidationReport, validate  # noqa: E402  (re-export)
