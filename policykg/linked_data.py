"""Linked Data helpers: the published JSON-LD ``@context`` and entity-path format suffixes.

**The context** (served at ``/context.jsonld``) is generated from the ontology file, ``ontology/policykg.ttl``,
deterministically (same file, same bytes):

* every class and property the ontology declares (``owl:Class``, ``rdfs:Class``, ``owl:ObjectProperty``,
  ``owl:DatatypeProperty``, ``owl:AnnotationProperty``, ``rdf:Property``), in any vocabulary (pkg, eli,
  dct, org, skos, prov, oa, odrl), plus the few terms the data uses without the ontology declaring them
  (:data:`EXTRA_TERMS`: rdfs:label, dct:description, eli:ensures_implementation_of), gets a short name: its
  local name (``Document``, ``title``, ``passed_by``, ``inDocument``);
* when two vocabularies have the same local name, the ``pkg:`` term keeps it and the other gets no short
  name: it appears as a compact IRI with its prefix (``odrl:Prohibition`` beside ``Prohibition`` =
  ``pkg:Prohibition``); between two other vocabularies the first in :data:`VOCAB_ORDER` keeps it;
* the prefixes themselves (``pkg``, ``eli``, ``dct``, …) are defined too, so every other IRI of those
  vocabularies compacts to ``prefix:local``;
* object properties get ``"@type": "@id"`` (their values are IRIs, written as strings);
* datatype properties get ``"@type"`` = their declared ``rdfs:range`` when it is an XSD datatype other than
  ``xsd:string`` (a plain JSON string already means ``xsd:string``; rdflib also reads a plain string as a
  literal without datatype, and it compares that unequal to an explicit ``^^xsd:string`` — coercing would
  change what a client parses back). ``rdf:langString`` is not coerced either;
* language-tagged values (titles, texts, labels, all ``@zh`` or ``@en``) are left as value objects,
  ``{"@value": "…", "@language": "zh"}``: no ``@container: @language`` (a term may carry untagged values as
  well, and a language map would then need ``@none``, which JSON-LD 1.0 processors do not know).

Entity responses in JSON-LD are compacted locally with this dictionary and carry the context by reference,
``{"@context": "<server>/context.jsonld", …}``.
"""
from __future__ import annotations

import json
from functools import lru_cache

from policykg.ontology import PKG, PREFIXES

#: Namespaces in order of precedence when two share a local name (pkg first).
VOCAB_ORDER = ["pkg", "eli", "dct", "skos", "org", "prov", "oa", "odrl", "pkgdt", "rdfs", "rdf", "owl", "xsd"]
#: Terms the data uses that the ontology does not declare: (IRI, kind) with kind "object" or "data".
EXTRA_TERMS = [
    ("http://www.w3.org/2000/01/rdf-schema#label", "data"),
    ("http://purl.org/dc/terms/description", "data"),
    ("http://data.europa.eu/eli/ontology#ensures_implementation_of", "object"),
]
XSD = "http://www.w3.org/2001/XMLSchema#"

#: Format suffixes of entity paths: ``/id/doc/X.ttl`` is ``/id/doc/X`` as Turtle.
SUFFIXES = {".ttl": "text/turtle", ".jsonld": "application/ld+json", ".nt": "application/n-triples", ".html": "text/html"}


def _local(iri: str) -> tuple[str, str]:
    """(namespace, local name) of an IRI: split after its last ``#`` or ``/``."""
    cut = max(iri.rfind("#"), iri.rfind("/")) + 1
    return iri[:cut], iri[cut:]


@lru_cache(maxsize=1)
def context() -> dict:
    """The context dictionary: ``{"@context": {prefixes…, terms…}}`` (keys sorted: deterministic)."""
    from rdflib import OWL, RDF, RDFS, Graph, URIRef

    from policykg.ontology import ontology_path

    g = Graph()
    g.parse(ontology_path(), format="turtle")
    namespaces = {str(ns): prefix for prefix, ns in g.namespaces() if prefix}
    namespaces.update({v: k for k, v in PREFIXES.items()})
    kinds: dict[str, str] = {}
    for cls in (OWL.Class, RDFS.Class):
        for s in g.subjects(RDF.type, cls):
            if isinstance(s, URIRef):
                kinds.setdefault(str(s), "class")
    for kind, types in (("object", [OWL.ObjectProperty]),
                        ("data", [OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property])):
        for t in types:
            for s in g.subjects(RDF.type, t):
                if isinstance(s, URIRef):
                    kinds.setdefault(str(s), kind)
    for iri, kind in EXTRA_TERMS:
        kinds.setdefault(iri, kind)

    def rank(iri: str) -> tuple:
        prefix = namespaces.get(_local(iri)[0], "")
        return (VOCAB_ORDER.index(prefix) if prefix in VOCAB_ORDER else len(VOCAB_ORDER), iri)

    used_prefixes = {namespaces[_local(i)[0]] for i in kinds if _local(i)[0] in namespaces}
    terms: dict[str, object] = {p: ns for ns, p in namespaces.items() if p in used_prefixes or p in PREFIXES}
    for iri in sorted(kinds, key=rank):
        ns, name = _local(iri)
        if not name or name in terms or not name[0].isalpha():
            continue  # taken by a term of higher precedence (or a prefix): written prefix:local instead
        kind = kinds[iri]
        if kind == "class":
            terms[name] = iri
        elif kind == "object":
            terms[name] = {"@id": iri, "@type": "@id"}
        else:
            ranges = sorted(str(r) for r in g.objects(URIRef(iri), RDFS.range))
            dt = ranges[0] if len(ranges) == 1 and ranges[0].startswith(XSD) and ranges[0] != XSD + "string" else None
            terms[name] = {"@id": iri, "@type": dt} if dt else {"@id": iri}
    return {"@context": dict(sorted(terms.items()))}


def context_bytes() -> bytes:
    """The context as served: sorted keys, two-space indent, UTF-8, a final newline."""
    return (json.dumps(context(), ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def compact(triples_nt: bytes, context_url: str) -> bytes:
    """N-Triples → compacted JSON-LD with :func:`context` (applied here), pointing at ``context_url``.

    Deterministic: the triples are sorted before they are serialised; the output's keys are sorted."""
    from rdflib import Graph

    lines = sorted(set(l for l in triples_nt.decode("utf-8").splitlines() if l.strip()))
    g = Graph()
    if lines:
        g.parse(data="\n".join(lines) + "\n", format="nt")
    ctx = context()["@context"]
    data = json.loads(g.serialize(format="json-ld", context=ctx, auto_compact=True))
    if isinstance(data, dict):
        data["@context"] = context_url
        nodes = data.get("@graph")
        if isinstance(nodes, list):
            nodes.sort(key=lambda n: (n.get("@id", ""), json.dumps(n, sort_keys=True, ensure_ascii=False)))
    else:  # an empty graph
        data = {"@context": context_url, "@graph": data}
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def split_suffix(rest: str) -> tuple[str, str | None]:
    """(path without a format suffix, media type it forces) — or (rest, None) when it has none."""
    for suffix, media in SUFFIXES.items():
        if rest.endswith(suffix) and len(rest) > len(suffix) and not rest[: -len(suffix)].endswith("/"):
            return rest[: -len(suffix)], media
    return rest, None

