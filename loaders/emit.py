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

from .authority import Authority, Unit
from .knowledge import Knowledge, extract_knowledge
from .model import Document, NormalText, ParsedSource, Provision
from .patterns import title_key

_BOOL = NamedNode(XSD + "boolean")
_DEC = NamedNode(XSD + "decimal")
_MODALITY_CLASS = {"obligation": "Obligation", "prohibition": "Prohibition", "permission": "Permission",
                   "right": "Right", "exemption": "Exemption", "cap": "Cap", "encouragement": "Encouragement"}
_LINK_PROPERTY = {"based-on": ELI + "based_on", "repeals": ELI + "repeals", "interprets": PKG + "interprets",
                  "revises": PKG + "revises"}

_TYPE = NamedNode(RDF + "type")
_DATE = NamedNode(XSD + "date")
_INT = NamedNode(XSD + "integer")


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


def _value_span(normal: str, p, t) -> tuple[int, int] | None:
    """Normalised-text span of a target's numeral. A provision's text is its lines joined (line breaks and
    leading spaces dropped), so its characters are a subsequence of the normalised span [p.start, p.end):
    walk both to map the numeral's offsets in the text to offsets in the normalised text."""
    if p is None or t.value_start is None or not p.text:
        return None
    want = {t.value_start, t.value_end - 1}
    found: dict[int, int] = {}
    i = 0
    for j in range(p.start, min(p.end, len(normal))):
        if i < len(p.text) and normal[j] == p.text[i]:
            if i in want:
                found[i] = j
            i += 1
            if i >= t.value_end:
                break
    if len(found) != len(want):
        return None
    start, end = found[t.value_start], found[t.value_end - 1] + 1
    return (start, end) if normal[start:end] == t.value_text else None


def _decimal(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


def _zh(text: str) -> Literal:
    return Literal(text, language="zh")


class Emitter:
    def __init__(self, base: str, authority: Authority | None = None) -> None:
        self.mint = Minter(base)
        self.authority = authority or Authority(base)

    def knowledge(self, doc: Document) -> Knowledge:
        return extract_knowledge(doc, self.authority)

    def unit_quads(self, unit: Unit) -> list[Quad]:
        """Description of an agency or role not in the authority list, for the shared agencies graph."""
        if unit.kind == "agency" and unit.resolved and self.authority.is_listed(unit.iri):
            return []  # described by the authority list (graph/authority)
        g = _n(self.mint.agencies_graph)
        node = _n(unit.iri)
        quads = [Quad(node, _TYPE, _n(PKG + ("Agency" if unit.kind == "agency" else "GenericRole")), g),
                 Quad(node, _n(SKOS + "prefLabel"), _zh(unit.label), g)]
        if unit.kind == "agency" and not unit.resolved:
            quads.append(Quad(node, _n(PKG + "resolved"), Literal("false", datatype=_BOOL), g))
        if unit.level:
            quads.append(Quad(node, _n(PKG + "level"), Literal(unit.level), g))
        if unit.broader:
            quads.append(Quad(node, _n(SKOS + "broader"), _n(unit.broader), g))
            broader_label = unit.broader.rsplit("/", 1)[-1]
            quads += [Quad(_n(unit.broader), _TYPE, _n(PKG + "GenericRole"), g),
                      Quad(_n(unit.broader), _n(SKOS + "prefLabel"), _zh(broader_label), g)]
        return quads

    def act_quads(self, title: str, number: str | None) -> list[Quad]:
        g = _n(self.mint.acts_graph)
        node = _n(self.mint.act(title, number))
        quads = [Quad(node, _TYPE, _n(PKG + "ExternalAct"), g), Quad(node, _n(DCT + "title"), _zh(title), g),
                 Quad(node, _n(PKG + "titleKey"), Literal(title_key(title)), g)]
        if number:
            quads.append(Quad(node, _n(ELI + "id_local"), Literal(number), g))
        return quads

    def shared_quads(self, doc: Document, k: Knowledge) -> dict[str, list[Quad]]:
        """Quads for the shared graphs (agencies not in the list, roles, cited acts): one graph each."""
        units = [r.unit for r in k.responsibilities] + [b for s in k.statements for b in s.bearers]
        issuer = self.issuer(doc)
        if issuer:
            units.append(issuer)
            units.extend(self.co_issuers(doc))
        units.extend(self.publishers(doc))
        agencies = [q for u in units for q in self.unit_quads(u)]
        acts = [q for link in k.links for q in self.act_quads(link.title, link.number)]
        interpreted = next((l for l in k.links if l.relation == "interprets"), None)
        if interpreted and any(l.relation == "revises" for l in k.links):
            acts += self.act_quads(interpreted.title, interpreted.number)
        places = [Quad(t.subject, t.predicate, t.object, _n(self.mint.places_graph))
                  for pl in [k.place] + [p for ps in k.places.values() for p in ps]
                  for t in self.authority.place_quads_of(pl)]
        return {self.mint.agencies_graph: agencies, self.mint.acts_graph: acts, self.mint.places_graph: places}

    def co_issuers(self, doc: Document) -> list[Unit]:
        """The further bodies that issued the document jointly (after the first)."""
        place = self.authority.document_place(doc)
        return [self.authority.resolve(name, place) for name in doc.issuers[1:]]

    def publishers(self, doc: Document) -> list[Unit]:
        """The bodies the page names as its source (信息来源): who published it. A relative name (市人社局) is read in
        the place of the site that published the page (广州市人民政府门户网站 → 广州市), else of the document; one
        that neither anchors is left out (it would name a body of no place)."""
        place = self.authority.place_of(doc.site) or self.authority.document_place(doc)
        out = []
        for name in doc.publishers:
            if place is None and self.authority.is_relative(name):
                continue
            out.append(self.authority.resolve(name, place))
        return out

    def issuer(self, doc: Document) -> Unit | None:
        if not doc.issuer:
            return None
        return self.authority.resolve(doc.issuer, self.authority.document_place(doc))

    def _span(self, quads: list, graph: NamedNode, node: str, normal: NormalText, raw: str,
              source: str, start: int, end: int, quote: bool, sep: str = "#") -> None:
        """Web Annotation selectors: where in the raw source text the node was read — the position, and for
        provisions the exact quote. No ``oa:prefix``/``oa:suffix``: a reader derives them from the position and
        the source file (``oa:hasSource``); they were 2 of 31 quads per provision (docs/scaling.md). ``sep``
        joins the node's IRI and the selector names (``-`` for nodes whose IRI has a fragment already)."""
        rs, re_ = normal.raw_span(start, end)
        spec = _n(node + sep + "source")
        pos = _n(node + sep + "position")
        add = quads.append
        add(Quad(_n(node), _n(PKG + "sourceSpan"), spec, graph))
        add(Quad(spec, _TYPE, _n(OA + "SpecificResource"), graph))
        add(Quad(spec, _n(OA + "hasSource"), _n(source), graph))
        add(Quad(spec, _n(OA + "hasSelector"), pos, graph))
        add(Quad(pos, _TYPE, _n(OA + "TextPositionSelector"), graph))
        add(Quad(pos, _n(OA + "start"), Literal(str(rs), datatype=_INT), graph))
        add(Quad(pos, _n(OA + "end"), Literal(str(re_), datatype=_INT), graph))
        if quote:
            q = _n(node + sep + "quote")
            add(Quad(spec, _n(OA + "hasSelector"), q, graph))
            add(Quad(q, _TYPE, _n(OA + "TextQuoteSelector"), graph))
            add(Quad(q, _n(OA + "exact"), Literal(raw[rs:re_]), graph))

    def document_quads(self, parsed: ParsedSource, doc: Document, source_iri: str | None = None,
                       knowledge: Knowledge | None = None) -> list[Quad]:
        """All quads of one document's named graph."""
        k = knowledge if knowledge is not None else self.knowledge(doc)
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
        add(Quad(dn, _n(PKG + "titleKey"), Literal(title_key(doc.title)), graph))
        add(Quad(dn, _n(PKG + "documentType"), _n(PKGDT + doc.doc_type), graph))
        add(Quad(dn, _n(PROV + "wasDerivedFrom"), _n(src), graph))
        if doc.number:
            add(Quad(dn, _n(ELI + "id_local"), Literal(doc.number), graph))
        issuer = self.issuer(doc)
        if issuer:
            add(Quad(dn, _n(ELI + "passed_by"), _n(issuer.iri), graph))
            add(Quad(dn, _n(PKG + "issuerMethod"), Literal(doc.issuer_method or "unknown"), graph))
            for co in self.co_issuers(doc):
                if co.iri != issuer.iri:
                    add(Quad(dn, _n(PKG + "coIssuedBy"), _n(co.iri), graph))
        publishers = self.publishers(doc)
        if publishers:  # the first as printed, the others after it (as eli:passed_by / pkg:coIssuedBy)
            add(Quad(dn, _n(DCT + "publisher"), _n(publishers[0].iri), graph))
            for co in publishers[1:]:
                if co.iri != publishers[0].iri:
                    add(Quad(dn, _n(PKG + "coPublishedBy"), _n(co.iri), graph))
        if k.district is not None:
            add(Quad(dn, _n(PKG + "district"), _n(k.district.iri), graph))
        if k.place is not None:
            add(Quad(dn, _n(PKG + "place"), _n(k.place.iri), graph))
        for prop, value in (
            ("date_document", doc.date_signed),
            ("date_publication", doc.date_published),
            ("first_date_entry_in_force", doc.in_force),
            ("date_no_longer_in_force", doc.expiry),
        ):
            if value:
                add(Quad(dn, _n(ELI + prop), Literal(value, datatype=_DATE), graph))
        for kind, method in sorted(doc.date_methods.items()):
            add(Quad(dn, _n(PKG + "dateMethod"), Literal(f"{kind}={method}"), graph))
        adopted = next((e.date for e in doc.events if e.kind == "adopted"), None)
        if adopted:
            add(Quad(dn, _n(PKG + "dateAdopted"), Literal(adopted, datatype=_DATE), graph))
        for i, e in enumerate(doc.events, start=1):
            if e.kind in ("amended", "revised"):
                add(Quad(dn, _n(PKG + "dateAmended"), Literal(e.date, datatype=_DATE), graph))
            ev = _n(f"{d}#event-{i}")
            add(Quad(dn, _n(PKG + "hasEvent"), ev, graph))
            add(Quad(ev, _TYPE, _n(PKG + "HistoryEvent"), graph))
            add(Quad(ev, _n(PKG + "eventKind"), Literal(e.kind), graph))
            add(Quad(ev, _n(PKG + "eventDate"), Literal(e.date, datatype=_DATE), graph))
            if e.body:
                add(Quad(ev, _n(PKG + "actingBody"), _zh(e.body), graph))
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
        self._knowledge(q, graph, doc, k, parsed, src)
        return q

    def _knowledge(self, q: list, graph: NamedNode, doc: Document, k: Knowledge, parsed: ParsedSource,
                   src: str) -> None:
        m = self.mint
        add = q.append
        d = _n(m.document(doc.key))
        counters: dict[str, int] = {}
        for r in k.responsibilities:
            prov = m.provision(doc.key, r.provision)
            counters[prov] = counters.get(prov, 0) + 1
            node = _n(f"{prov}#resp-{counters[prov]}")
            add(Quad(_n(prov), _n(PKG + "hasResponsibility"), node, graph))
            add(Quad(node, _TYPE, _n(PKG + "Responsibility"), graph))
            add(Quad(node, _n(PKG + "responsibleUnit"), _n(r.unit.iri), graph))
            add(Quad(node, _n(PKG + "unitText"), _zh(r.unit.text), graph))
            add(Quad(node, _n(PKG + "role"), Literal(r.role), graph))
            add(Quad(node, _n(PKG + "method"), Literal(r.method), graph))
        for path, deadline in sorted(k.deadlines.items()):
            add(Quad(_n(m.provision(doc.key, path)), _n(PKG + "deadline"), _zh(deadline), graph))
        for s in k.statements:
            prov = m.provision(doc.key, s.provision)
            node = _n(f"{prov}#stmt-{s.ordinal}")
            add(Quad(node, _TYPE, _n(PKG + _MODALITY_CLASS[s.modality]), graph))
            add(Quad(node, _TYPE, _n(PKG + "DeonticStatement"), graph))
            add(Quad(node, _n(PKG + "statedIn"), _n(prov), graph))
            add(Quad(node, _n(PKG + "modality"), Literal(s.modality), graph))
            add(Quad(node, _n(PKG + "keyword"), _zh(s.keyword), graph))
            add(Quad(node, _n(PKG + "clause"), _zh(s.text), graph))
            if s.action:
                add(Quad(node, _n(PKG + "action"), _zh(s.action), graph))
            add(Quad(node, _n(PKG + "bearerStated"), Literal("true" if s.bearers else "false", datatype=_BOOL), graph))
            for i, b in enumerate(s.bearers, start=1):
                add(Quad(node, _n(PKG + "bearer"), _n(b.iri), graph))
                # the printed name, paired with its bearer (a statement may have several)
                mention = _n(f"{prov}#stmt-{s.ordinal}-bearer-{i}")
                add(Quad(node, _n(PKG + "bearerMention"), mention, graph))
                add(Quad(mention, _TYPE, _n(PKG + "BearerMention"), graph))
                add(Quad(mention, _n(PKG + "bearer"), _n(b.iri), graph))
                add(Quad(mention, _n(PKG + "bearerText"), _zh(b.text), graph))
        provisions = {p.path: p for p in doc.walk()} if k.targets else {}
        for t in k.targets:
            prov = m.provision(doc.key, t.provision)
            node = _n(f"{prov}#target-{t.ordinal}")
            span = _value_span(parsed.normal.text, provisions.get(t.provision), t)
            if span is not None:
                # where the value is printed: the numeral as in the source (百分之九十), not a converted string
                self._span(q, graph, f"{prov}#target-{t.ordinal}", parsed.normal, parsed.source.text, src, *span,
                           quote=True, sep="-")
            add(Quad(node, _TYPE, _n(PKG + "Target"), graph))
            add(Quad(node, _n(PKG + "statedIn"), _n(prov), graph))
            add(Quad(node, _n(PKG + "metric"), _zh(t.metric), graph))
            add(Quad(node, _n(PKG + "value"), Literal(_decimal(t.value), datatype=_DEC), graph))
            add(Quad(node, _n(PKG + "unit"), _zh(t.unit), graph))
            add(Quad(node, _n(PKG + "comparator"), Literal(t.comparator), graph))
            add(Quad(node, _n(PKG + "clause"), _zh(t.text), graph))
            if t.year:
                add(Quad(node, _n(PKG + "targetYear"), Literal(str(t.year), datatype=_INT), graph))
            if t.group:
                add(Quad(node, _n(PKG + "group"), _zh(t.group), graph))
        interpreted = next((l for l in k.links if l.relation == "interprets"), None)
        for link in k.links:
            target = _n(m.act(link.title, link.number))
            if link.relation == "revises" and interpreted is not None:
                # the interpretation states that the act it explains revises another
                add(Quad(_n(m.act(interpreted.title, interpreted.number)), _n(PKG + "revises"), target, graph))
            else:
                add(Quad(d, _n(_LINK_PROPERTY[link.relation]), target, graph))
        for path, places in sorted(k.places.items()):
            for place in places:
                add(Quad(_n(m.provision(doc.key, path)), _n(PKG + "mentionsPlace"), _n(place.iri), graph))

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
