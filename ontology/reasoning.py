"""Reasoning: entailments materialised per module by OWL 2 RL rules; HermiT as the full OWL 2 DL cross-check.

:func:`reason` runs :class:`~policykg.ontology.rules.RuleReasoner` over every module of the store — each
document graph, then the shared graphs (agencies, authority list, places, acts, links) — and writes each
module's entailments (super-classes of every resource, the transitive ``eli:is_part_of`` closure with
``pkg:inDocument`` as a sub-property, its inverse ``eli:has_part``, the inverse promulgation links) into
``graph/inferred/doc/<key>`` or ``graph/inferred/shared``. ``policykg build`` does the same for the documents it
writes, in the worker processes and in the same transaction as each document graph, so re-building a
document re-reasons only that document. The asserted graphs stay as loaded; SPARQL over the union sees both.
Consistency: disjoint classes and functional data properties inside each module, and across modules the
types each module gives the individuals it mentions but does not own, against their owner's
(:meth:`~policykg.ontology.rules.RuleReasoner.check_across`). An inconsistency writes nothing.

``hermit=True`` also loads the ontology and the asserted graphs into owlready2 and runs **HermiT** (Java): a
complete OWL 2 DL consistency check and unsatisfiable classes, and a comparison of its entailments with the
rules' (they agree on the bundled corpus: ``tests/test_reasoning.py``). HermiT loads everything into one JVM,
so it is for stores of up to some thousand documents (docs/benchmarks.md); the rules scale with the store.

Two things are adapted in HermiT's *copy* of the data, never in the store:

* ``xsd:date`` is not in the OWL 2 datatype map, and HermiT refuses it; dates are
  handed to it as ``xsd:dateTime`` at midnight UTC (and date ranges likewise).
* Quoted source text (``oa:exact``, ``oa:prefix``, ``oa:suffix``) is left out: no
  axiom mentions it and it is most of the bytes.

owlready2's bundled Pellet needs Java 21 or later; HermiT runs on Java 11+.
"""
from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from policykg.errors import PolicyKGError
from policykg.iri import Minter

from . import ELI, OA, PKG, RDF, XSD, ontology_text

_SKIP = {OA + "exact", OA + "prefix", OA + "suffix"}
_DATE = XSD + "date"
#: object properties whose entailed values are materialised
_PROPERTIES = [ELI + "is_part_of", ELI + "has_part", PKG + "promulgates", PKG + "promulgatedBy"]


@dataclass
class ReasoningReport:
    consistent: bool
    unsatisfiable: list[str] = field(default_factory=list)
    inferred: int = 0
    seconds: float = 0.0
    individuals: int = 0
    reasoner: str = "HermiT (owlready2)"
    problems: list[str] = field(default_factory=list)  # what made it inconsistent (rules)
    hermit: "ReasoningReport | None" = None  # HermiT's own report, when it was run
    hermit_only: list = field(default_factory=list)  # entailments HermiT makes and the rules do not (first 20)
    rules_only: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.consistent and not self.unsatisfiable


def _nt_term(t) -> str:
    if isinstance(t, ox.Literal) and not t.language and t.datatype.value == _DATE:
        return f'"{t.value}T00:00:00Z"^^<{XSD}dateTime>'
    if isinstance(t, ox.NamedNode) and t.value == _DATE:
        return f"<{XSD}dateTime>"
    return str(t)


def reasoner_input(store, mint: Minter) -> tuple[str, set[tuple[str, str, str]]]:
    """N-Triples for the reasoner, and the asserted (s, p, o) IRIs triples to subtract later."""
    lines = []
    asserted: set[tuple[str, str, str]] = set()
    for t in ox.parse(ontology_text(), format=ox.RdfFormat.TURTLE):
        lines.append(f"{_nt_term(t.subject)} {t.predicate} {_nt_term(t.object)} .")
    shared = {mint.agencies_graph, mint.authority_graph, mint.places_graph, mint.acts_graph, mint.links_graph}
    graphs = [g for g in store.named_graphs()
              if mint.doc_key_of_graph(g) is not None or g in shared or mint.is_followups_graph(g)]
    for g in graphs:
        for q in store.quads(g):
            p = q.predicate.value
            if p in _SKIP:
                continue
            lines.append(f"{q.subject} {q.predicate} {_nt_term(q.object)} .")
            if isinstance(q.object, ox.NamedNode):
                asserted.add((q.subject.value, p, q.object.value))
    return "\n".join(lines) + "\n", asserted


def _java() -> None:
    if shutil.which("java") is None:
        raise PolicyKGError(
            "the reasoner needs Java (scripts/setup installs it: apt-get install default-jre-headless); "
            "or build with --no-reason",
            kind="reasoner-error",
        )


def hermit(store, mint: Minter) -> tuple[ReasoningReport, set[tuple[str, str, str]]]:
    """Run HermiT over ontology + asserted data: (report, entailments minus what is asserted)."""
    from owlready2 import Thing, World, sync_reasoner_hermit
    from owlready2.base import OwlReadyInconsistentOntologyError, OwlReadyJavaError

    _java()
    text, asserted = reasoner_input(store, mint)
    start = time.perf_counter()
    entailed: set[tuple[str, str, str]] = set()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.nt"
        path.write_text(text, encoding="utf-8")
        world = World()
        onto = world.get_ontology(path.as_uri()).load(format="ntriples")
        try:
            # HermiT prints progress on stderr; keep the user's terminal clean
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                with onto:
                    sync_reasoner_hermit(world, infer_property_values=True, debug=0)
        except OwlReadyInconsistentOntologyError:
            return ReasoningReport(consistent=False, seconds=time.perf_counter() - start, reasoner="HermiT"), set()
        except OwlReadyJavaError as exc:
            message = re.sub(r"\s+", " ", str(exc))[:400]
            raise PolicyKGError(f"the reasoner failed: {message}", kind="reasoner-error")
        unsat = sorted(c.iri for c in world.inconsistent_classes())
        report = ReasoningReport(consistent=True, unsatisfiable=unsat, reasoner="HermiT")
        props = {iri: world[iri] for iri in _PROPERTIES if world[iri] is not None}
        # world.individuals() misses individuals loaded from N-Triples; search by IRI instead
        individuals = [i for i in world.search(iri=f"{mint.base}*") if isinstance(i, Thing) and "#" not in i.iri]
        report.individuals = len(individuals)
        for ind in individuals:
            for cls in ind.is_a:
                if not hasattr(cls, "ancestors"):
                    continue  # a restriction, not a named class
                for anc in cls.ancestors():
                    if anc is not Thing and getattr(anc, "iri", None):
                        entailed.add((ind.iri, RDF + "type", anc.iri))
            for iri, prop in props.items():
                for value in getattr(ind, "INDIRECT_" + prop.python_name, []):
                    if hasattr(value, "iri"):
                        entailed.add((ind.iri, iri, value.iri))
    report.seconds = time.perf_counter() - start
    new = entailed - asserted
    report.inferred = len(new)
    return report, new


# ---------------------------------------------------------------------- the rules, per module
def doc_owner(doc_iri: str):
    """Individuals a document module owns: the document and its provisions."""
    prefix = doc_iri + "/"
    return lambda iri: iri == doc_iri or iri.startswith(prefix)


def shared_graphs(mint: Minter) -> list[str]:
    return [mint.agencies_graph, mint.authority_graph, mint.places_graph, mint.acts_graph, mint.links_graph]


def module_quads(graph: str, result) -> list[ox.Quad]:
    g = ox.NamedNode(graph)
    return [ox.Quad(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o), g) for s, p, o in sorted(result.own)]


def asserted_among(store, mint: Minter, triples) -> set[tuple[str, str, str]]:
    """Those of ``triples`` (IRI triples) that some graph other than the inferred ones asserts."""
    triples = sorted(set(triples))
    out: set[tuple[str, str, str]] = set()
    for k in range(0, len(triples), 500):
        rows = " ".join(f"(<{s}> <{p}> <{o}>)" for s, p, o in triples[k:k + 500])
        for r in store.query(f"""SELECT ?s ?p ?o WHERE {{ VALUES (?s ?p ?o) {{ {rows} }} GRAPH ?g {{ ?s ?p ?o }}
                                  FILTER(!STRSTARTS(STR(?g), "{mint.inferred_graph}/")) }}"""):
            out.add((r["s"].value, r["p"].value, r["o"].value))
    return out


def foreign_quads(store, mint: Minter, triples) -> list[ox.Quad]:
    """Entailed links about another module's individuals (``graph/inferred/links``), unless asserted somewhere."""
    g = ox.NamedNode(mint.inferred_links_graph)
    keep = set(triples) - asserted_among(store, mint, triples)
    return [ox.Quad(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o), g) for s, p, o in sorted(keep)]


def shared_module(store, mint: Minter, reasoner=None):
    """The shared graphs (agencies, authority list, places, acts, links) as one module: its ModuleResult."""
    from .rules import RuleReasoner

    reasoner = reasoner or RuleReasoner()
    doc_prefix = mint.document("")
    quads = [q for g in shared_graphs(mint) for q in store.quads(g)]
    return reasoner.module(quads, lambda iri: iri.startswith(mint.base) and not iri.startswith(doc_prefix))


def inferred_graphs(store, mint: Minter) -> list[str]:
    return [g for g in store.named_graphs() if g == mint.inferred_graph or g.startswith(mint.inferred_graph + "/")]


def reason(store, base: str, write: bool = True, use_hermit: bool = False) -> ReasoningReport:
    """Rules over every module; rewrite ``graph/inferred/…`` when consistent. ``use_hermit``: HermiT's check too.

    ``write=False`` computes and checks every module and across modules, but writes nothing."""
    from .rules import RuleReasoner

    mint = Minter(base)
    start = time.perf_counter()
    reasoner = RuleReasoner()
    report = ReasoningReport(consistent=True, reasoner="OWL 2 RL rules, per module")
    replacements: dict[str, list[ox.Quad]] = {}
    foreign: set = set()
    results = []
    for g in store.named_graphs():
        key = mint.doc_key_of_graph(g)
        if key is None:
            continue
        doc = mint.document(key)
        result = reasoner.module(store.quads(g), doc_owner(doc), roots={doc})
        report.problems.extend(f"{key}: {p}" for p in result.problems)
        report.individuals += result.individuals
        replacements[mint.inferred_graph_for(key)] = module_quads(mint.inferred_graph_for(key), result)
        foreign |= result.foreign
        results.append(result)
    result = shared_module(store, mint, reasoner)
    report.problems.extend(result.problems)
    report.individuals += result.individuals
    replacements[mint.inferred_shared_graph] = module_quads(mint.inferred_shared_graph, result)
    foreign |= result.foreign
    results.append(result)
    report.problems.extend(reasoner.check_across(results))
    if not report.problems and write:
        links = foreign_quads(store, mint, foreign)
        store.apply({**replacements, mint.inferred_links_graph: links}, drops=inferred_graphs(store, mint))
        report.inferred = sum(len(q) for q in replacements.values()) + len(links)
    report.consistent = not report.problems
    if use_hermit:
        h, entailed = hermit(store, mint)
        report.hermit = h
        if h.consistent and report.consistent and write:
            mine = set()
            for g in inferred_graphs(store, mint):
                mine |= {(q.subject.value, q.predicate.value, q.object.value) for q in store.quads(g)}
            report.hermit_only = sorted(entailed - mine)
            report.rules_only = sorted(mine - entailed)
        report.consistent = report.consistent and h.consistent
        report.unsatisfiable = h.unsatisfiable
    report.seconds = time.perf_counter() - start
    return report
