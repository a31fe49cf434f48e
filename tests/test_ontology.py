"""The ontology declares, with zh and en labels and a definition, everything the loaders emit."""
from __future__ import annotations

import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from policykg.iri import Minter
from policykg.ontology import ontology_path

from helpers import BASE


def test_every_class_and_property_emitted_is_declared_and_documented(built):
    store, _ = built
    onto = rdflib.Graph().parse(ontology_path())
    declared = set(onto.subjects(RDF.type, OWL.Class)) | set(onto.subjects(RDF.type, OWL.ObjectProperty)) \
        | set(onto.subjects(RDF.type, OWL.DatatypeProperty)) | set(onto.subjects(RDF.type, OWL.AnnotationProperty))
    mint = Minter(BASE)
    used = set()
    for g in store.named_graphs():
        if g == mint.ontology_graph:
            continue
        for q in store.quads(g):
            used.add(rdflib.URIRef(q.predicate.value))
            if q.predicate.value == str(RDF.type):
                used.add(rdflib.URIRef(q.object.value))
    used.discard(RDF.type)
    missing = sorted(str(u) for u in used - declared)
    assert missing == [], f"emitted but not declared in the ontology: {missing}"
    ours = [t for t in declared if str(t).startswith("https://policykg.org/ontology")]
    for term in ours + [t for t in used]:
        labels = {l.language for l in onto.objects(term, RDFS.label)}
        assert {"zh", "en"} <= labels, f"{term} lacks a zh or en label"
        if str(term).startswith("https://policykg.org/ontology#"):
            defs = {d.language for d in onto.objects(term, SKOS.definition)}
            assert {"zh", "en"} <= defs, f"{term} lacks a zh or en definition"


def test_ontology_has_a_version_iri():
    onto = rdflib.Graph().parse(ontology_path())
    [o] = list(onto.subjects(RDF.type, OWL.Ontology))
    assert list(onto.objects(o, OWL.versionIRI))


def test_no_triple_is_repeated_across_named_graphs(built):
    """The union default graph repeats a triple once per graph holding it; shared facts live in one graph."""
    store, _ = built
    seen = {}
    dupes = []
    for g in store.named_graphs():
        for q in store.quads(g):
            key = (str(q.subject), str(q.predicate), str(q.object))
            if key in seen and seen[key] != g:
                dupes.append(key)
            seen[key] = g
    assert dupes == []


def test_the_ontology_stays_inside_what_the_rule_reasoner_decides():
    """policykg.ontology.rules applies OWL 2 RL rules for the constructs listed in SUPPORTED_OWL; an axiom
    outside them (a restriction, an equivalence, a property chain …) would be silently ignored — fail instead."""
    import pyoxigraph as ox

    from policykg.ontology import ontology_text
    from policykg.ontology.rules import OWL, SUPPORTED_OWL

    used = set()
    for t in ox.parse(ontology_text(), format=ox.RdfFormat.TURTLE):
        for term in (t.predicate, t.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(OWL):
                used.add(term.value)
        if t.predicate.value.endswith("#subClassOf"):
            assert isinstance(t.object, ox.NamedNode), f"{t.subject} has an anonymous super-class"
    assert used <= SUPPORTED_OWL, sorted(used - SUPPORTED_OWL)
