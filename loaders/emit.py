"""Stage 7, emit: documents → RDF quads in the document's own named graph.

Pure and deterministic: the quads of a document depend only on the parsed
document, its source text and the base IRI — never on the time, the path the
file was given under, or the order of files. Build metadata (paths, times) goes
to the metadata graph, written by :mod:`policykg.loaders.build`.
"""
from __future__ import annotations

from pyoxigraph import Literal, NamedNode, Quad

from policykg.iri import Minter
from policykg.ontology import DCT, ELI, OA, PKG, PKGDT, PROV, PROVISION_CLASS, RDF, SKOS, XSD

from .model import Document, NormalText, ParsedSource, Provision

_TYPE = NamedNode(RDF + "type")
_DATE = NamedNode(XSD + "date")
_INT = NamedNode(XSD + "integer")
_CONTEXT = 16


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


def _zh(text: str) -> Literal:
    return Literal(text, language="zh")


class Emitter:
    def __init__(self, base: str) -> None:
        self.mint = Minter(base)

    def _span(self, quads: list, graph: NamedNode, node: str, normal: NormalText, raw: str,
              source: str, start: int, end: int, quote: bool) -> None:
        """Web Annotation selectors: where in the raw source text the node was read."""
        rs, re_ = normal.raw_span(start, end)
        spec = _n(node + "#source")
        pos = _n(node + "#position")
        add = quads.append
        add(Quad(_n(node), _n(PKG + "sourceSpan"), spec, graph))
        add(Quad(spec, _TYPE, _n(OA + "SpecificResource"), graph))
        add(Quad(spec, _n(OA + "hasSource"), _n(source), graph))
        add(Quad(spec, _n(OA + "hasSelector"), pos, graph))
        add(Quad(pos, _TYPE, _n(OA + "TextPositionSelector"), graph))
        add(Quad(pos, _n(OA + "start"), Literal(str(rs), datatype=_INT), graph))
        add(Quad(pos, _n(OA + "end"), Literal(str(re_), datatype=_INT), graph))
        if quote:
            q = _n(node + "#quote")
            add(Quad(spec, _n(OA + "hasSelector"), q, graph))
            add(Quad(q, _TYPE, _n(OA + "TextQuoteSelector"), graph))
            add(Quad(q, _n(OA + "exact"), Literal(raw[rs:re_]), graph))
            add(Quad(q, _n(OA + "prefix"), Literal(raw[max(0, rs - _CONTEXT):rs]), graph))
            add(Quad(q, _n(OA + "suffix"), Literal(raw[re_:re_ + _CONTEXT]), graph))

    def agency_quads(self, doc: Document) -> list[Quad]:
        """Quads describing the document's issuer, for the shared agencies graph.

        They live in one graph only: a triple repeated in several named graphs is
        repeated in the union default graph too, and would multiply query rows.
        """
        if not doc.issuer:
            return []
        from .agencies import agency_level

        g = _n(self.mint.agencies_graph)
        agency = _n(self.mint.agency(doc.issuer))
        quads = [
            Quad(agency, _TYPE, _n(PKG + "Agency"), g),
            Quad(agency, _n(SKOS + "prefLabel"), _zh(doc.issuer), g),
        ]
        level = agency_level(doc.issuer)
        if level:
            quads.append(Quad(agency, _n(PKG + "level"), Literal(level), g))
        return quads

    def document_quads(self, parsed: ParsedSource, doc: Document, source_iri: str | None = None) -> list[Quad]:
        """All quads of one document's named graph."""
        m = self.mint
        graph = _n(m.graph(doc.key))
        d = m.document(doc.key)
        dn = _n(d)
        src = source_iri or m.source(parsed.source.sha256)
        raw = parsed.source.text
        q: list[Quad] = []
        add = q.append
        add(Quad(dn, _TYPE, _n(PKG + "Document"), graph))
        add(Quad(dn, _TYPE, _n(ELI + "LegalResource"), graph))
        add(Quad(dn, _n(DCT + "title"), _zh(doc.title), graph))
        add(Quad(dn, _n(PKG + "documentType"), _n(PKGDT + doc.doc_type), graph))
        add(Quad(dn, _n(PROV + "wasDerivedFrom"), _n(src), graph))
        if doc.number:
            add(Quad(dn, _n(ELI + "id_local"), Literal(doc.number), graph))
        if doc.issuer:
            agency = _n(m.agency(doc.issuer))
            add(Quad(dn, _n(ELI + "passed_by"), agency, graph))
            add(Quad(dn, _n(PKG + "issuerMethod"), Literal(doc.issuer_method or "unknown"), graph))
        for prop, value in (
            ("date_document", doc.date_signed),
            ("first_date_entry_in_force", doc.in_force),
            ("date_no_longer_in_force", doc.expiry),
        ):
            if value:
                add(Quad(dn, _n(ELI + prop), Literal(value, datatype=_DATE), graph))
        for r in doc.recipients:
            add(Quad(dn, _n(PKG + "recipient"), _zh(r), graph))
        if doc.release_marking:
            add(Quad(dn, _n(PKG + "releaseMarking"), _zh(doc.release_marking), graph))
        for key in doc.promulgates:
            add(Quad(dn, _n(PKG + "promulgates"), _n(m.document(key)), graph))
        if doc.promulgated_by:
            add(Quad(dn, _n(PKG + "promulgatedBy"), _n(m.document(doc.promulgated_by)), graph))
        self._span(q, graph, d, parsed.normal, raw, src, doc.start, doc.end, quote=True)
        for p in doc.provisions:
            self._provision(q, graph, parsed, doc, p, d, src)
        return q

    def _provision(self, q: list, graph: NamedNode, parsed: ParsedSource, doc: Document,
                   p: Provision, parent: str, src: str) -> None:
        m = self.mint
        node = m.provision(doc.key, p.path)
        nn = _n(node)
        add = q.append
        add(Quad(nn, _TYPE, _n(PKG + PROVISION_CLASS[p.kind]), graph))
        add(Quad(nn, _TYPE, _n(ELI + "LegalResourceSubdivision"), graph))
        add(Quad(nn, _n(ELI + "is_part_of"), _n(parent), graph))
        add(Quad(nn, _n(PKG + "inDocument"), _n(m.document(doc.key)), graph))
        add(Quad(nn, _n(PKG + "path"), Literal(p.path), graph))
        if p.number is not None:
            add(Quad(nn, _n(PKG + "number"), Literal(p.number), graph))
        if p.ordinal is not None:
            add(Quad(nn, _n(PKG + "ordinal"), Literal(str(p.ordinal), datatype=_INT), graph))
        if p.heading:
            add(Quad(nn, _n(PKG + "heading"), _zh(p.heading), graph))
        if p.text:
            add(Quad(nn, _n(PKG + "text"), _zh(p.text), graph))
        self._span(q, graph, node, parsed.normal, parsed.source.text, src, p.start, p.end, quote=True)
        for c in p.children:
            self._provision(q, graph, parsed, doc, c, node, src)
