"""Identifiers: document numbers (parse and format) and the IRIs policykg mints.

IRIs are deterministic and readable, under a configurable base (see
:mod:`policykg.settings`):

=====================  ==========================================================
resource               IRI (after the base)
=====================  ==========================================================
document with number   ``doc/沪府办发-2024-1``, ``doc/上海市人民政府令-9``
document without one   ``doc/2024/上海市坚持对标改革持续打造国际一流营商环境行动方案``
provision              ``doc/…/sec_2__subsec_1__meas_3`` (its id path)
agency (by name)       ``agency/上海市人民政府办公厅``
source file            ``source/<first 16 hex digits of its SHA-256>``
document's graph       ``graph/doc/…`` (one named graph per document)
build metadata graph   ``graph/meta``
authority list         ``graph/authority`` (agencies.ttl, agencies-national.ttl: named agencies, abbreviations, levels)
places                 ``graph/places`` (places.ttl: city, 16 districts, functional areas)
other agencies, roles  ``graph/agencies`` (names not in the authority list, generic roles)
cited acts             ``graph/acts``; their resolution to documents in ``graph/links``
follow-up links        ``graph/followups`` (district measure → city measure, score, evidence)
auditors' reviews      ``graph/reviews`` (verdicts on follow-up links and gaps; never written by a build)
review                 ``review/<first 20 hex digits of the SHA-256 of what it is about>``
cited act              ``act/<title>`` or ``act/<title>--<number>``
generic role           ``role/<name>``, e.g. ``role/区林业部门``
place                  ``place/<GB/T 2260 code>`` or ``place/<name>`` for functional areas
the ontology           ``graph/ontology``
reasoner entailments   ``graph/inferred/doc/<key>``, ``/shared``, ``/links``
=====================  ==========================================================

Keys never contain a dot (:func:`slug` keeps Chinese characters, letters and digits; paths are ``art_5``-like),
so ``policykg serve`` can serve ``<IRI>.ttl``, ``.jsonld``, ``.nt`` and ``.html`` as that IRI in that format.
Every IRI under the base dereferences there (HTML page, or its triples by ``Accept``; an IRI the store has no
triple about is a 404): README.md, "Linked Data".
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from policykg.loaders.patterns import CJK

_NUMBER = re.compile(
    rf"""
    ^(?P<prefix>[{CJK}]{{1,12}}?)             # issuer abbreviation and series: 沪府办发
    \s*[〔\[［【（(〖]\s*(?P<year>(?:19|20)\d{{2}})\s*[〕\]］】）)〗]\s*   # year, in any bracket
    第?\s*(?P<number>\d{{1,5}})\s*号$        # running number
    """,
    re.X,
)
_DECREE = re.compile(rf"^(?P<prefix>[{CJK}]{{2,30}}?令)\s*第\s*(?P<number>\d{{1,5}})\s*号$")


@dataclass(frozen=True)
class DocumentNumber:
    """A document number (发文字号): 沪府办发〔2024〕1号 or 上海市人民政府令第9号."""

    prefix: str
    number: int
    year: int | None = None

    @classmethod
    def parse(cls, text: str) -> "DocumentNumber | None":
        text = text.strip()
        m = _NUMBER.match(text)
        if m:
            return cls(prefix=m["prefix"], year=int(m["year"]), number=int(m["number"]))
        m = _DECREE.match(text)
        if m:
            return cls(prefix=m["prefix"], number=int(m["number"]))
        return None

    def __str__(self) -> str:
        if self.year is not None:
            return f"{self.prefix}〔{self.year}〕{self.number}号"
        return f"{self.prefix}第{self.number}号"

    @property
    def slug(self) -> str:
        if self.year is not None:
            return f"{self.prefix}-{self.year}-{self.number}"
        return f"{self.prefix}-{self.number}"


def slug(text: str) -> str:
    """Chinese characters, letters and digits kept; anything else becomes one hyphen."""
    s = re.sub(rf"[^{CJK}A-Za-z0-9]+", "-", text).strip("-")
    return s or "untitled"


class Minter:
    """Mints the IRIs of one base."""

    def __init__(self, base: str) -> None:
        self.base = base

    def document(self, key: str) -> str:
        return f"{self.base}doc/{key}"

    def provision(self, doc_key: str, path: str) -> str:
        return f"{self.base}doc/{doc_key}/{path}"

    def graph(self, doc_key: str) -> str:
        return f"{self.base}graph/doc/{doc_key}"

    def agency(self, name: str) -> str:
        return f"{self.base}agency/{slug(name)}"

    def act(self, title: str, number: str | None = None) -> str:
        """A cited act: by title, and by number too when the citation gives one (two acts may share a title)."""
        key = slug(title)
        if number:
            parsed = DocumentNumber.parse(number)
            key += "--" + (parsed.slug if parsed else slug(number))
        return f"{self.base}act/{key}"

    def source(self, sha256: str) -> str:
        return f"{self.base}source/{sha256[:16]}"

    @property
    def authority_graph(self) -> str:
        return f"{self.base}graph/authority"

    @property
    def places_graph(self) -> str:
        return f"{self.base}graph/places"

    @property
    def acts_graph(self) -> str:
        return f"{self.base}graph/acts"

    @property
    def followups_graph(self) -> str:
        """Prefix of the follow-up graphs: one per district plan, ``graph/followups/<doc key>``."""
        return f"{self.base}graph/followups"

    def followups_graph_for(self, doc_iri: str) -> str:
        return f"{self.followups_graph}/{doc_iri[len(self.document('')):]}"

    def is_followups_graph(self, graph: str) -> bool:
        return graph.startswith(self.followups_graph + "/")

    @property
    def reviews_graph(self) -> str:
        """The auditors' verdicts on follow-up links and gaps (policykg/review.py): written only by
        ``policykg review`` and ``POST /audit/review``, so it survives every build."""
        return f"{self.base}graph/reviews"

    def review(self, about: tuple[str, ...]) -> str:
        """A review's IRI, from what it is about (``("link", district measure, city measure)`` or ``("gap", city
        measure, district)``): reviewing the same thing again gives the same IRI, so the new verdict replaces the old."""
        import hashlib

        digest = hashlib.sha256("\n".join(about).encode("utf-8")).hexdigest()
        return f"{self.base}review/{digest[:20]}"

    @property
    def links_graph(self) -> str:
        return f"{self.base}graph/links"

    @property
    def agencies_graph(self) -> str:
        return f"{self.base}graph/agencies"

    @property
    def inferred_graph(self) -> str:
        """Prefix of the reasoner's graphs: ``/doc/<key>`` per document, ``/shared``, ``/links``."""
        return f"{self.base}graph/inferred"

    def inferred_graph_for(self, key: str) -> str:
        return f"{self.inferred_graph}/doc/{key}"

    @property
    def inferred_shared_graph(self) -> str:
        return f"{self.inferred_graph}/shared"

    @property
    def inferred_links_graph(self) -> str:
        return f"{self.inferred_graph}/links"

    @property
    def ontology_graph(self) -> str:
        return f"{self.base}graph/ontology"

    @property
    def meta_graph(self) -> str:
        return f"{self.base}graph/meta"

    def doc_key_of_graph(self, graph: str) -> str | None:
        prefix = f"{self.base}graph/doc/"
        return graph[len(prefix):] if graph.startswith(prefix) else None


def term(iri: str) -> str:
    """An IRI as one SPARQL term, ``<…>``, checked and written by pyoxigraph's serialiser: a value that is not
    an absolute IRI (``>``, spaces, no scheme …) raises ValueError, so no value can become query text."""
    import pyoxigraph as ox

    return str(ox.NamedNode(iri))
