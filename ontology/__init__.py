"""The policykg OWL ontology (``policykg.ttl``) and its namespaces.

>>> from policykg.ontology import PKG, ontology_path
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

PKG = "https://policykg.org/ontology#"
PKGDT = "https://policykg.org/ontology/doctype#"
ELI = "http://data.europa.eu/eli/ontology#"
DCT = "http://purl.org/dc/terms/"
ORG = "http://www.w3.org/ns/org#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
PROV = "http://www.w3.org/ns/prov#"
OA = "http://www.w3.org/ns/oa#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"

PREFIXES = {
    "pkg": PKG, "pkgdt": PKGDT, "eli": ELI, "dct": DCT, "org": ORG, "skos": SKOS,
    "prov": PROV, "oa": OA, "rdf": RDF, "rdfs": RDFS, "xsd": XSD, "owl": OWL,
}

#: Provision kinds (loader vocabulary) → ontology class local names.
PROVISION_CLASS = {
    "book": "Book", "chapter": "Chapter", "division": "Division", "part": "Part", "section": "Section",
    "item": "Item", "subitem": "SubItem", "point": "Point", "article": "Article",
    "paragraph": "Paragraph", "measure": "Measure", "intro": "Intro", "preamble": "Preamble",
}


def ontology_path() -> Path:
    """Path of the ontology's Turtle file (works in editable and wheel installs)."""
    return Path(str(resources.files(__name__).joinpath("policykg.ttl")))


def ontology_text() -> str:
    return ontology_path().read_text(encoding="utf-8")
