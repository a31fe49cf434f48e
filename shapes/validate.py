"""Validation: the shapes against the asserted graphs of a store (or any rdflib graph).

Exit statuses of ``policykg validate``: 0 the graph conforms (no Violation; Warnings
and Infos are reported but do not break conformance), 1 it does not, 2 validation
could not run. Messages are templates: ``{label}`` becomes the focus node's
readable name (a document's number or title; a provision's document and id path;
an agency's name; a source file's path).

What is validated: every document graph, the agencies graph and the metadata
graph — the asserted data —, the follow-up graphs and the auditors' reviews. The reasoner's ``graph/inferred`` is left out (it adds
transitive ``eli:is_part_of`` links by design) and so is the ontology.
Documents are independent, so a store can also be validated one document graph
at a time (:func:`validate_graphs` with a subset), which is how this scales.
"""
from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field

import rdflib
from rdflib.namespace import RDF, SH

from policykg.errors import PolicyKGError
from policykg.iri import Minter

SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass
class Result:
    severity: str
    shape: str
    focus: str
    label: str
    message: str
    path: str | None = None
    value: str | None = None
    source: str | None = None  # "file:start-end" where the focus node was read

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class ValidationReport:
    conforms: bool
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0
    triples: int = 0
    results_graph: rdflib.Graph | None = None

    def counts(self) -> dict[str, int]:
        c = {"Violation": 0, "Warning": 0, "Info": 0}
        for r in self.results:
            c[r.severity] = c.get(r.severity, 0) + 1
        return c

    def as_json(self) -> str:
        return json.dumps(
            {"conforms": self.conforms, "counts": self.counts(), "seconds": round(self.seconds, 3),
             "triples": self.triples, "results": [r.as_dict() for r in self.results]},
            ensure_ascii=False, indent=2,
        )

    def as_text(self) -> str:
        lines = [f"{'conforms' if self.conforms else 'does not conform'}: "
                 + ", ".join(f"{n} {k.lower()}{'s' if n != 1 else ''}" for k, n in self.counts().items())
                 + f" ({self.triples} triples checked in {self.seconds:.1f} s)"]
        groups: dict[tuple[str, str], list[Result]] = defaultdict(list)
        for r in self.results:
            groups[(r.severity, r.shape)].append(r)
        for (sev, shape), rs in sorted(groups.items(), key=lambda kv: (SEVERITY_ORDER[kv[0][0]], kv[0][1])):
            lines.append(f"\n{sev} — {shape} ({len(rs)})")
            for r in sorted(rs, key=lambda r: (r.label, r.message)):
                where = f"  [{r.source}]" if r.source else ""
                lines.append(f"  {r.message}{where}")
        return "\n".join(lines) + "\n"


def _short(iri: str) -> str:
    for prefix, ns in (("pkgsh:", "https://policykg.org/shapes#"),):
        if iri.startswith(ns):
            return prefix + iri[len(ns):]
    return iri


def data_graph(store, base: str, graphs: list[str] | None = None) -> rdflib.Graph:
    """The asserted graphs of a store as one rdflib graph."""
    mint = Minter(base)
    if graphs is None:
        shared = (mint.agencies_graph, mint.meta_graph, mint.authority_graph, mint.places_graph, mint.acts_graph,
                  mint.links_graph, mint.reviews_graph)
        graphs = [g for g in store.named_graphs()
                  if mint.doc_key_of_graph(g) is not None or g in shared or mint.is_followups_graph(g)]
    from policykg.store import rdflib_term as term

    g = rdflib.Graph()
    for name in graphs:
        for q in store.quads(name):
            g.add((term(q.subject), term(q.predicate), term(q.object)))
    return g


_ELI = rdflib.Namespace("http://data.europa.eu/eli/ontology#")
_PKG = rdflib.Namespace("https://policykg.org/ontology#")
_OA = rdflib.Namespace("http://www.w3.org/ns/oa#")
_DCT = rdflib.Namespace("http://purl.org/dc/terms/")
_SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")


def _label(data: rdflib.Graph, node: rdflib.URIRef) -> str:
    for p in (_ELI.id_local, _DCT.title, _SKOS.prefLabel, _PKG.filePath):
        v = data.value(node, p)
        if v is not None:
            return str(v)
    path, doc = data.value(node, _PKG.path), data.value(node, _PKG.inDocument)
    if doc is None:  # climb the parents to the document
        seen, parent = set(), data.value(node, _ELI.is_part_of)
        while parent is not None and parent not in seen and data.value(parent, _PKG.path) is not None:
            seen.add(parent)
            parent = data.value(parent, _ELI.is_part_of)
        doc = parent
    if path is not None:
        return f"{_label(data, doc) if doc is not None else '?'} {path}"
    return str(node)


def _source(data: rdflib.Graph, node: rdflib.URIRef) -> str | None:
    span = data.value(node, _PKG.sourceSpan)
    if span is None:
        return None
    src = data.value(span, _OA.hasSource)
    file = data.value(src, _PKG.filePath) if src is not None else None
    for sel in data.objects(span, _OA.hasSelector):
        start, end = data.value(sel, _OA.start), data.value(sel, _OA.end)
        if start is not None and end is not None:
            return f"{file or src}:{start}-{end}"
    return None


def _labels(data: rdflib.Graph, nodes: set[str]) -> dict[str, tuple[str, str | None]]:
    """Readable label and source position of each focus node (a selector takes its owner's)."""
    out = {}
    for n in nodes:
        owner = rdflib.URIRef(n.split("#", 1)[0])
        out[n] = (_label(data, owner), _source(data, owner))
    return out


def validate_graph(data: rdflib.Graph) -> ValidationReport:
    """Run every shape against ``data``."""
    import pyshacl

    from . import shapes_graph

    start = time.perf_counter()
    shapes = shapes_graph()
    try:
        conforms, results, _text = pyshacl.validate(
            data, shacl_graph=shapes, inference="none",
            allow_warnings=True, allow_infos=True, advanced=True,  # SHACL-AF: SPARQL targets
        )
    except Exception as exc:  # pySHACL raises its own types for broken shapes
        raise PolicyKGError(f"validation could not run: {exc}", kind="validation-error")
    out: list[Result] = []
    focus_nodes = {str(o) for o in results.objects(None, SH.focusNode)}
    labels = _labels(data, focus_nodes)
    for r in results.subjects(RDF.type, SH.ValidationResult):
        sev = str(results.value(r, SH.resultSeverity)).rsplit("#", 1)[-1]
        focus = str(results.value(r, SH.focusNode))
        shape = results.value(r, SH.sourceShape)
        # a property shape given as a blank node: name it after its node shape
        if isinstance(shape, rdflib.BNode):
            parent = next(iter(shapes.subjects(SH.property, shape)), None)
            shape_name = _short(str(parent)) if parent is not None else "shape"
        else:
            shape_name = _short(str(shape))
        label, source = labels.get(focus, (focus, None))
        message = str(results.value(r, SH.resultMessage) or "constraint violated").replace("{label}", label)
        path = results.value(r, SH.resultPath)
        value = results.value(r, SH.value)
        out.append(Result(severity=sev, shape=shape_name, focus=focus, label=label, message=message,
                          path=str(path) if path is not None else None,
                          value=str(value) if value is not None else None, source=source))
    out.sort(key=lambda r: (SEVERITY_ORDER.get(r.severity, 9), r.shape, r.label, r.message))
    no_violation = not any(r.severity == "Violation" for r in out)
    return ValidationReport(conforms=bool(conforms) and no_violation, results=out,
                            seconds=time.perf_counter() - start, triples=len(data), results_graph=results)


def validate(store, base: str, graphs: list[str] | None = None) -> ValidationReport:
    """Validate the asserted graphs of ``store`` (all of them, or the named ``graphs``)."""
    return validate_graph(data_graph(store, base, graphs))
