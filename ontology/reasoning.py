"""Reasoning: the ontology plus the data of a build, checked by HermiT, entailments materialised.

:func:`reason` loads the ontology and every document graph (and the agencies graph)
into owlready2 and runs the HermiT OWL 2 reasoner (it ships with owlready2 and
needs Java). It reports whether the whole is consistent and which classes are
unsatisfiable, then writes the useful entailments — super-classes of every
resource, the transitive ``eli:is_part_of`` closure (``pkg:inDocument`` is a
sub-property of it), its inverse ``eli:has_part``, and the inverse promulgation
links — into the named graph ``graph/inferred``. The asserted graphs stay as
loaded; SPARQL over the union sees both.

Two things are adapted in the reasoner's *copy* of the data, never in the store:

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


def reason(store, base: str, write: bool = True) -> ReasoningReport:
    """Run HermiT over ontology + data; write entailments to ``graph/inferred`` when consistent."""
    from owlready2 import Thing, World, sync_reasoner_hermit
    from owlready2.base import OwlReadyInconsistentOntologyError, OwlReadyJavaError

    _java()
    mint = Minter(base)
    text, asserted = reasoner_input(store, mint)
    start = time.perf_counter()
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
            return ReasoningReport(consistent=False, seconds=time.perf_counter() - start)
        except OwlReadyJavaError as exc:
            message = re.sub(r"\s+", " ", str(exc))[:400]
            raise PolicyKGError(f"the reasoner failed: {message}", kind="reasoner-error")
        unsat = sorted(c.iri for c in world.inconsistent_classes())
        report = ReasoningReport(consistent=True, unsatisfiable=unsat)
        entailed: set[tuple[str, str, str]] = set()
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
    new = sorted(entailed - asserted)
    report.inferred = len(new)
    if write:
        g = ox.NamedNode(mint.inferred_graph)
        quads = [ox.Quad(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o), g) for s, p, o in new]
        store.apply({mint.inferred_graph: quads}, drops=[mint.inferred_graph])
    return report
