"""A rule reasoner for the policykg ontology: OWL 2 RL rules over one module of the data at a time.

The ontology stays inside what OWL 2 RL rules decide completely for named classes and property assertions:
``rdfs:subClassOf`` between named classes, ``rdfs:subPropertyOf``, ``rdfs:domain``/``rdfs:range``,
``owl:inverseOf``, ``owl:TransitiveProperty``, ``owl:FunctionalProperty`` and ``owl:AllDisjointClasses``
(``tests/test_ontology.py`` fails if an axiom outside that list appears, and ``tests/test_reasoning.py`` checks
that HermiT entails exactly the same on the bundled corpus). The rules applied (W3C OWL 2 RL names):
prp-spo1, prp-inv1/2, prp-trp, prp-dom, prp-rng, cax-sco — to a fixpoint — and, as consistency checks,
cax-dw (an individual in two disjoint classes) and prp-fp on data values (two different values of a
functional data property).

**Modules.** Documents do not share individuals except through agencies, places and cited acts, so a
document's entailments follow from its own graph and the ontology: :meth:`RuleReasoner.module` is run on each
document graph when it is built (in the same worker process, in parallel) and on the shared graphs
(agencies, authority list, places, acts, links) at the end of the build. A module's entailments about its
*own* individuals (the document and its provisions; the shared graphs' agencies, roles, places, acts) are
written to its own inferred graph; entailed links whose subject belongs to another module (the inverse of a
promulgation) are written too, unless some graph asserts them. Re-building a document therefore re-reasons
that document only.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable

import pyoxigraph as ox

from . import ELI, PKG, RDF, ontology_text

OWL = "http://www.w3.org/2002/07/owl#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
TYPE = RDF + "type"
#: object properties whose entailed values are materialised (besides rdf:type)
MATERIALISED = (ELI + "is_part_of", ELI + "has_part", PKG + "promulgates", PKG + "promulgatedBy")
#: what the rules support; any other OWL term in the ontology is refused (see tests/test_ontology.py)
SUPPORTED_OWL = {OWL + n for n in ("Ontology", "Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty",
                                   "TransitiveProperty", "FunctionalProperty", "AllDisjointClasses", "members",
                                   "inverseOf", "versionIRI", "versionInfo", "Thing")}


@dataclass
class ModuleResult:
    own: set[tuple[str, str, str]] = field(default_factory=set)  # entailments about the module's individuals
    foreign: set[tuple[str, str, str]] = field(default_factory=set)  # entailed links about other modules' ones
    problems: list[str] = field(default_factory=list)  # inconsistencies found
    individuals: int = 0
    # for the check across modules: the types (closed under sub-classes, limited to classes of a disjointness
    # axiom) of the individuals this module mentions but does not own, and of its owned individuals that
    # others may mention (all of them for the shared module, the document itself for a document module)
    foreign_types: dict[str, frozenset[str]] = field(default_factory=dict)
    root_types: dict[str, frozenset[str]] = field(default_factory=dict)


class RuleReasoner:
    def __init__(self, tbox: Iterable[ox.Triple] | None = None) -> None:
        if tbox is None:
            tbox = ox.parse(ontology_text(), format=ox.RdfFormat.TURTLE)
        triples = list(tbox)
        self.sub_class: dict[str, set[str]] = defaultdict(set)
        self.sub_prop: dict[str, set[str]] = defaultdict(set)
        self.domain: dict[str, set[str]] = defaultdict(set)
        self.range: dict[str, set[str]] = defaultdict(set)
        self.inverse: dict[str, set[str]] = defaultdict(set)
        self.transitive: set[str] = set()
        self.functional: set[str] = set()
        self.classes: set[str] = set()
        self.datatype_props: set[str] = set()
        lists: dict[str, tuple[str | None, str | None]] = {}
        disjoint_heads: list[str] = []
        for t in triples:
            s, p, o = t.subject, t.predicate.value, t.object
            sv = s.value
            if p == RDFS + "subClassOf" and isinstance(o, ox.NamedNode):
                self.sub_class[sv].add(o.value)
            elif p == RDFS + "subPropertyOf":
                self.sub_prop[sv].add(o.value)
            elif p == RDFS + "domain":
                self.domain[sv].add(o.value)
            elif p == RDFS + "range":
                self.range[sv].add(o.value)
            elif p == OWL + "inverseOf":
                self.inverse[sv].add(o.value)
                self.inverse[o.value].add(sv)
            elif p == TYPE:
                if o.value == OWL + "TransitiveProperty":
                    self.transitive.add(sv)
                elif o.value == OWL + "FunctionalProperty":
                    self.functional.add(sv)
                elif o.value == OWL + "Class":
                    self.classes.add(sv)
                elif o.value == OWL + "DatatypeProperty":
                    self.datatype_props.add(sv)
                elif o.value == OWL + "AllDisjointClasses":
                    disjoint_heads.append(sv)
            elif p == RDF + "first":
                lists[sv] = (o.value, lists.get(sv, (None, None))[1])
            elif p == RDF + "rest":
                lists[sv] = (lists.get(sv, (None, None))[0], o.value)
        members = {t.subject.value: t.object.value for t in triples if t.predicate.value == OWL + "members"}
        self.disjoint: list[set[str]] = []
        for head in disjoint_heads:
            group, node = set(), members.get(head)
            while node and node in lists:
                first, node = lists[node]
                if first:
                    group.add(first)
            self.disjoint.append(group)
        self._anc: dict[str, frozenset[str]] = {}
        self._panc: dict[str, frozenset[str]] = {}
        self._dom_up: dict[str, frozenset[str]] = {}
        self._range_classes: dict[str, frozenset[str]] = {}
        self._full: dict[frozenset[str], tuple[frozenset[str], tuple[tuple[str, str], ...]]] = {}

    # ------------------------------------------------------------ closures of the TBox
    def ancestors(self, cls: str) -> frozenset[str]:
        """The class and every named super-class (cax-sco to a fixpoint)."""
        return _closure(cls, self.sub_class, self._anc)

    def super_properties(self, prop: str) -> frozenset[str]:
        """The property and every super-property (prp-spo1 to a fixpoint)."""
        return _closure(prop, self.sub_prop, self._panc)

    def domains_up(self, prop: str) -> frozenset[str]:
        """The domains of the property and of its super-properties (prp-dom after prp-spo1)."""
        got = self._dom_up.get(prop)
        if got is None:
            got = self._dom_up[prop] = frozenset().union(*(self.domain.get(sup, ()) for sup in self.super_properties(prop)))
        return got

    def range_classes(self, prop: str) -> frozenset[str]:
        """The classes among the property's own ranges (prp-rng; none for a datatype property)."""
        got = self._range_classes.get(prop)
        if got is None:
            got = self._range_classes[prop] = frozenset() if prop in self.datatype_props else \
                frozenset(c for c in self.range.get(prop, ()) if c in self.classes)
        return got

    def _types_closed(self, types: frozenset[str]) -> tuple[frozenset[str], tuple[tuple[str, str], ...]]:
        """A set of types with every super-class (owl:Thing left out), and the pairs of it that are disjoint
        (the first two of each disjoint group, in order). Many individuals share one set: computed once."""
        got = self._full.get(types)
        if got is None:
            full: set[str] = set()
            for c in types:
                full |= self.ancestors(c)
            full.discard(OWL + "Thing")
            clashes = []
            for group in self.disjoint:
                both = sorted(full & group)
                if len(both) > 1:
                    clashes.append((both[0], both[1]))
            got = self._full[types] = (frozenset(full), tuple(clashes))
        return got

    # ------------------------------------------------------------ one module
    def module(self, quads: Iterable[ox.Quad | ox.Triple], owned: Callable[[str], bool],
               roots: set[str] | None = None) -> ModuleResult:
        """Entailments of one module's triples (see the module docstring); ``owned(iri)`` says whose they are;
        ``roots``: the owned individuals other modules may mention (default: all owned)."""
        edges: set[tuple[str, str, str]] = set()  # IRI-valued property assertions (closed below)
        asserted_types: dict[str, set[str]] = defaultdict(set)
        data_values: dict[tuple[str, str], set] = defaultdict(set)
        subjects_props: set[tuple[str, str]] = set()
        asserted: set[tuple[str, str, str]] = set()
        for q in quads:
            s, p, o = q.subject, q.predicate.value, q.object
            if not isinstance(s, ox.NamedNode):
                continue
            sv = s.value
            if p == TYPE:
                asserted_types[sv].add(o.value)
                asserted.add((sv, p, o.value))
                continue
            subjects_props.add((sv, p))
            if isinstance(o, ox.NamedNode):
                edges.add((sv, p, o.value))
                asserted.add((sv, p, o.value))
            elif isinstance(o, ox.Literal) and p in self.functional:
                data_values[(sv, p)].add((o.value, o.datatype.value if o.datatype else None, o.language))

        # property assertions: sub-properties, inverses, transitivity — to a fixpoint, semi-naively (each new
        # assertion is joined once; transitive joins use successor/predecessor indexes)
        closed: set[tuple[str, str, str]] = set()
        succ: dict[tuple[str, str], set[str]] = defaultdict(set)
        pred: dict[tuple[str, str], set[str]] = defaultdict(set)
        delta = set(edges)
        while delta:
            closed |= delta
            for s, p, o in delta:
                if p in self.transitive:
                    succ[(p, s)].add(o)
                    pred[(p, o)].add(s)
            new: set[tuple[str, str, str]] = set()
            for s, p, o in delta:
                for sup in self.super_properties(p):
                    new.add((s, sup, o))
                for inv in self.inverse.get(p, ()):
                    new.add((o, inv, s))
                if p in self.transitive:
                    for x in succ.get((p, o), ()):
                        new.add((s, p, x))
                    for y in pred.get((p, s), ()):
                        new.add((y, p, o))
            delta = new - closed

        # types: asserted, domains (of the property and its super-properties), ranges — then super-classes
        types: dict[str, set[str]] = defaultdict(set)  # every individual met gets an entry, typed or not
        for sv, ts in asserted_types.items():
            types[sv] |= ts
        for sv, p in subjects_props:
            ts, dom = types[sv], self.domains_up(p)
            if dom:
                ts |= dom
        for s, p, o in closed:
            ts, dom = types[s], self.domain.get(p)
            if dom:
                ts |= dom
            if p not in self.datatype_props:
                to, rng = types[o], self.range_classes(p)
                if rng:
                    to |= rng
        result = ModuleResult()
        for ind, ts in types.items():
            full, clashes = self._types_closed(frozenset(ts))
            types[ind] = full
            for a, b in clashes:
                result.problems.append(f"{ind} is a {a} and a {b}, which the ontology says are disjoint")
        for (sv, p), values in data_values.items():
            if len(values) > 1:
                result.problems.append(f"{sv} has {len(values)} values of the functional property {p}")

        # what is written: entailments about individuals (IRIs without a fragment), minus what is asserted
        individuals = set()
        for ind, ts in types.items():
            if "#" in ind or not owned(ind):
                continue
            individuals.add(ind)
            for c in ts:
                if (ind, TYPE, c) not in asserted:
                    result.own.add((ind, TYPE, c))
        for s, p, o in closed:
            if p not in MATERIALISED or (s, p, o) in asserted or "#" in s or "#" in o:
                continue
            (result.own if owned(s) else result.foreign).add((s, p, o))
            if owned(s):
                individuals.add(s)
        result.individuals = len(individuals)
        disjoint = set().union(*self.disjoint) if self.disjoint else set()
        for ind, ts in types.items():
            if "#" in ind:
                continue
            kinds = frozenset(ts & disjoint)
            if not kinds:
                continue
            if not owned(ind):
                result.foreign_types[ind] = kinds
            elif roots is None or ind in roots:
                result.root_types[ind] = kinds
        return result

    def check_across(self, results: Iterable[ModuleResult]) -> list[str]:
        """Disjointness across modules: an individual's types from every module that mentions it."""
        mentioned: dict[str, set[str]] = defaultdict(set)
        roots: dict[str, set[str]] = defaultdict(set)
        for r in results:
            for ind, ts in r.foreign_types.items():
                mentioned[ind] |= ts
            for ind, ts in r.root_types.items():
                roots[ind] |= ts
        problems = []
        for ind in sorted(mentioned):
            full = mentioned[ind] | roots.get(ind, set())
            for group in self.disjoint:
                both = sorted(full & group)
                if len(both) > 1:
                    problems.append(f"{ind} is a {both[0]} and a {both[1]}, which the ontology says are disjoint")
        return problems


def _closure(start: str, parents: dict[str, set[str]], cache: dict[str, frozenset[str]]) -> frozenset[str]:
    if start not in cache:
        seen, todo = {start}, [start]
        while todo:
            for up in parents.get(todo.pop(), ()):
                if up not in seen:
                    seen.add(up)
                    todo.append(up)
        cache[start] = frozenset(seen)
    return cache[start]


def nt_lines(triples: Iterable[tuple[str, str, str]]) -> list[str]:
    """Sorted N-Triples lines of IRI triples."""
    return sorted(f"<{s}> <{p}> <{o}> ." for s, p, o in triples)
