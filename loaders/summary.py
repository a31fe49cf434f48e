"""Materialised aggregates: the figures every page needs, kept at build time so that a question about one
district or one agency does not aggregate the whole store.

Two kinds, each in graphs of their own under ``…/graph/summary``:

* **Workload** (``graph/summary/workload``): per agency or role, the measures (and other provisions) it is
  responsible for, those it leads, those from an explicit list — the ``agency-workload`` figures — as
  ``pkg:workloadMeasures`` / ``pkg:workloadLead`` / ``pkg:workloadExplicit`` on the unit. Each document's share
  is counted from what the document's worker emits (:func:`workload_of`); a build adds the shares of the
  documents it writes and takes away the shares of the versions they replace or drop (read from the store
  before they go, :func:`workload_in_graph`), so a re-build of one document never re-counts the store.
  A measure belongs to one document, so the per-document distinct counts add up to the store's.
* **Coverage** (``graph/summary/district/<code>/<city plan key>``, one graph per district and city plan its plans
  answer): per section of that plan, how many of the section's measures a plan of the district follows up, and
  how many there are (``pkg:CoverageTally``); and each city measure no plan of the district follows up
  (``pkg:notFollowedUpIn``) — except a measure addressed to places outside the district, which is not a gap there
  but ``pkg:notApplicableIn`` (:func:`addressed_places`; counted as ``pkg:notApplicableMeasures`` on the tally).
  Recomputed by the follow-up stage for the pairs whose district plans it matched
  again or dropped — from the follow-up graphs and the city plan's measures, never store-wide: re-building one
  district plan recomputes the one or two city plans it answers, not the district's hundreds.

``tests/test_summary.py`` checks both against the live aggregates (the queries as they were before
materialisation) on the bundled corpus and on a synthetic store.
"""
from __future__ import annotations

from policykg.iri import Minter
from policykg.ontology import ELI, PKG, PROV, RDF, XSD

SKOS = "http://www.w3.org/2004/02/skos/core#"

Counts = tuple[int, int, int]  # measures, lead, explicit


def workload_graph(mint: Minter) -> str:
    return f"{mint.base}graph/summary/workload"


def summary_prefix(mint: Minter) -> str:
    return f"{mint.base}graph/summary/"


def district_graph(mint: Minter, district_iri: str) -> str:
    return f"{mint.base}graph/summary/district/{district_iri.rstrip('/').rsplit('/', 1)[-1]}"


def workload_of(responsibilities) -> dict[str, Counts]:
    """A document's share: unit IRI → (measures, measures it leads, measures from an explicit list), from the
    responsibility links its worker emits (``Knowledge.responsibilities``)."""
    sets: dict[str, tuple[set, set, set]] = {}
    for r in responsibilities:
        allm, lead, listed = sets.setdefault(r.unit.iri, (set(), set(), set()))
        allm.add(r.provision)
        if r.role == "lead":
            lead.add(r.provision)
        if r.method == "explicit":
            listed.add(r.provision)
    return {u: (len(a), len(b), len(c)) for u, (a, b, c) in sets.items()}


def workload_in_graph(store, graph: str) -> dict[str, Counts]:
    """The share of the document held in ``graph`` as the store has it now (before it is replaced)."""
    return _workload(store, graph)


def live_workload(store) -> dict[str, Counts]:
    """The workload counted over the whole store (what the totals must equal)."""
    return _workload(store, None)


def _workload(store, graph: str | None) -> dict[str, Counts]:
    pattern = (f"?m <{PKG}hasResponsibility> ?r . ?r <{PKG}responsibleUnit> ?unit ; <{PKG}role> ?role ; "
               f"<{PKG}method> ?method")
    scoped = f"GRAPH <{graph}> {{ {pattern} }}" if graph else pattern
    rows = store.query(f"""SELECT ?unit (COUNT(DISTINCT ?m) AS ?n) (COUNT(DISTINCT ?led) AS ?l) (COUNT(DISTINCT ?listed) AS ?e)
        WHERE {{ {scoped} BIND(IF(?role = "lead", ?m, ?none) AS ?led) BIND(IF(?method = "explicit", ?m, ?none) AS ?listed) }}
        GROUP BY ?unit""")
    return {r["unit"].value: (int(r["n"].value), int(r["l"].value), int(r["e"].value)) for r in rows}


class WorkloadDelta:
    """What a build changes in the workload totals: shares added and taken away, per unit."""

    def __init__(self) -> None:
        self.delta: dict[str, list[int]] = {}
        self.fresh: dict[str, dict[str, Counts]] = {}  # a build into an empty store: document → its share

    def add(self, share: dict[str, Counts], sign: int = 1) -> None:
        for unit, counts in share.items():
            d = self.delta.setdefault(unit, [0, 0, 0])
            for i, c in enumerate(counts):
                d[i] += sign * c

    def write(self, store, mint: Minter, bulk: bool) -> None:
        """The totals graph: the shares of a first build summed, or the stored totals plus this build's delta.
        A store built before the totals existed (no totals graph but documents) is counted once, live."""
        from pyoxigraph import Literal, NamedNode, Quad

        from .followup import store_has_graph

        graph = workload_graph(mint)
        totals: dict[str, list[int]] = {}
        if bulk:
            total = WorkloadDelta()
            for share in self.fresh.values():
                total.add(share)
            totals = total.delta
        elif store_has_graph(store, graph):
            if not self.delta:
                return
            total = WorkloadDelta()
            total.add(_stored_totals(store, graph))
            total.add({u: tuple(d) for u, d in self.delta.items()})
            totals = total.delta
        else:  # no totals yet: count them once over the store (a store of an earlier version)
            totals = {u: list(c) for u, c in live_workload(store).items()}
        g = NamedNode(graph)
        quads = []
        for unit, (n, lead, listed) in sorted(totals.items()):
            if n <= 0:
                continue
            u = NamedNode(unit)
            for prop, value in (("workloadMeasures", n), ("workloadLead", lead), ("workloadExplicit", listed)):
                quads.append(Quad(u, NamedNode(PKG + prop), Literal(str(value), datatype=NamedNode(XSD + "integer")), g))
        store.apply({graph: quads}, drops=[graph])


def _stored_totals(store, graph: str) -> dict[str, Counts]:
    out: dict[str, list[int]] = {}
    index = {"workloadMeasures": 0, "workloadLead": 1, "workloadExplicit": 2}
    for r in store.query(f"SELECT ?u ?p ?n WHERE {{ GRAPH <{graph}> {{ ?u ?p ?n }} }}"):
        name = r["p"].value[len(PKG):]
        if name in index:
            out.setdefault(r["u"].value, [0, 0, 0])[index[name]] = int(r["n"].value)
    return {u: tuple(c) for u, c in out.items()}


# ---------------------------------------------------------------------- coverage per district and city plan
Pair = tuple[str, str]  # (district IRI, city plan IRI)


def pairs_of_plans(store, mint: Minter, plans: set[str]) -> set[Pair]:
    """The (district, city plan) pairs whose coverage depends on these district plans: those they answer now, and
    those whose coverage was derived from them (a plan gone from the store, or answering another plan now)."""
    if not plans:
        return set()
    values = " ".join(f"<{p}>" for p in sorted(plans))
    out = {(r["d"].value, r["cp"].value) for r in store.query(
        f"SELECT DISTINCT ?d ?cp WHERE {{ VALUES ?p {{ {values} }} ?p <{PKG}district> ?d ; <{PKG}followsPlan> ?cp }}")}
    for r in store.query(f"""SELECT DISTINCT ?g ?d WHERE {{ VALUES ?p {{ {values} }}
                               GRAPH ?g {{ ?g <{PROV}wasDerivedFrom> ?p ; <{PKG}coverageDistrict> ?d }} }}"""):
        out.add((r["d"].value, _plan_of_graph(mint, r["g"].value)))
    return out


def coverage_pairs(store, mint: Minter, plans: set[str]) -> tuple[set[Pair], list[str]]:
    """The pairs a follow-up stage that matched or dropped ``plans`` must recompute — theirs, or every pair when
    the store has no coverage yet or coverage graphs of an earlier layout (one per district) — and the graphs of
    that earlier layout, to drop."""
    prefix = f"{mint.base}graph/summary/district/"
    graphs = [r["g"].value for r in store.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g <{PKG}coverageDistrict> ?d }} }}")]
    legacy = sorted(g for g in graphs if "/" not in g[len(prefix):])
    if graphs and not legacy:
        return pairs_of_plans(store, mint, plans), []
    return {(r["d"].value, r["cp"].value) for r in store.query(
        f"SELECT DISTINCT ?d ?cp WHERE {{ ?dp <{PKG}followsPlan> ?cp ; <{PKG}district> ?d }}")}, legacy


def coverage_graph(mint: Minter, district_iri: str, plan_iri: str) -> str:
    return f"{district_graph(mint, district_iri)}/{_tail(plan_iri, mint)}"


def _plan_of_graph(mint: Minter, graph: str) -> str:
    """The city plan of a coverage graph, from its name (``…/summary/district/<code>/<plan key>``)."""
    rest = graph[len(f"{mint.base}graph/summary/district/"):]
    return mint.document(rest.split("/", 1)[1])


def update_coverage(store, mint: Minter, pairs: set[Pair], known: dict[str, set[str]] | None = None,
                    measures: dict | None = None, headings: dict[str, str] | None = None, bulk: bool = False,
                    legacy: list[str] = ()) -> None:
    """Recompute the coverage graphs of ``pairs`` — one graph per district and city plan (see the module
    docstring). ``known``: district plan → the city measures it follows up, as the follow-up stage just
    decided; ``measures``/``headings``: the city plans' measures and headings it already read — whatever is
    missing is read from the store. ``bulk``: a first build (no coverage graph in the store yet), written by a
    bulk load rather than a transaction."""
    from pyoxigraph import Literal, NamedNode, Quad

    from .followup import _path_order, measures_and_headings

    if not pairs:
        return
    known, measures, headings = dict(known or {}), dict(measures or {}), dict(headings or {})
    answers: dict[Pair, set[str]] = {pair: set() for pair in pairs}  # pair → the district's plans answering it
    for k in range(0, len(pairs), 200):
        chunk = sorted(pairs)[k:k + 200]
        values = " ".join(f"(<{d}> <{cp}>)" for d, cp in chunk)
        for r in store.query(f"""SELECT ?d ?cp ?dp WHERE {{ VALUES (?d ?cp) {{ {values} }} ?dp <{PKG}followsPlan> ?cp ;
                                   <{PKG}district> ?d }}"""):
            answers[(r["d"].value, r["cp"].value)].add(r["dp"].value)
    missing = sorted({cp for (_, cp), dps in answers.items() if dps} - set(measures))
    if missing:
        more, more_headings = measures_and_headings(store, missing)
        measures.update(more)
        headings.update(more_headings)
    for dp in sorted({dp for dps in answers.values() for dp in dps} - set(known)):
        known[dp] = {r["cm"].value for r in store.query(
            f"SELECT ?cm WHERE {{ GRAPH <{mint.followups_graph_for(dp)}> {{ ?dm <{ELI}ensures_implementation_of> ?cm }} }}")}
    places = addressed_places(store, sorted({m.iri for (_, cp), dps in answers.items() if dps
                                             for m in measures.get(cp, [])}))
    integer = NamedNode(XSD + "integer")

    def graph_quads(d: str, cp: str, plans: set[str]) -> list:
        graph = coverage_graph(mint, d, cp)
        followed = set().union(*(known[dp] for dp in plans))
        g, dn = NamedNode(graph), NamedNode(d)
        quads = [Quad(g, NamedNode(PKG + "coverageDistrict"), dn, g)]
        quads += [Quad(g, NamedNode(PROV + "wasDerivedFrom"), NamedNode(dp), g) for dp in sorted(plans)]
        sections: dict[str, list] = {}
        for m in measures.get(cp, []):
            parent = m.path.rpartition("__")[0]
            if parent:  # a measure directly under the document belongs to no section
                sections.setdefault(parent, []).append(m)
        for parent, ms in sorted(sections.items(), key=lambda kv: _path_order(kv[0])):
            section = f"{cp}/{parent}"
            node = NamedNode(f"{graph}/{parent}")
            done = sum(1 for m in ms if m.iri in followed)
            elsewhere = {m.iri for m in ms if m.iri not in followed and addressed_elsewhere(places.get(m.iri), d)}
            quads += [
                Quad(node, NamedNode(RDF + "type"), NamedNode(PKG + "CoverageTally"), g),
                Quad(node, NamedNode(PKG + "coverageDistrict"), dn, g),
                Quad(node, NamedNode(PKG + "coveragePlan"), NamedNode(cp), g),
                Quad(node, NamedNode(PKG + "coverageSection"), NamedNode(section), g),
                Quad(node, NamedNode(PKG + "followedMeasures"), Literal(str(done), datatype=integer), g),
                Quad(node, NamedNode(PKG + "totalMeasures"), Literal(str(len(ms)), datatype=integer), g),
                Quad(node, NamedNode(PKG + "notApplicableMeasures"), Literal(str(len(elsewhere)), datatype=integer), g),
            ]
            if section in headings:
                quads.append(Quad(node, NamedNode(PKG + "sectionHeading"), Literal(headings[section], language="zh"), g))
            quads += [Quad(NamedNode(m.iri), NamedNode(PKG + ("notApplicableIn" if m.iri in elsewhere else "notFollowedUpIn")), dn, g)
                      for m in ms if m.iri not in followed]
        return quads

    kept = [(pair, plans) for pair, plans in sorted(answers.items()) if plans]
    drops = list(legacy) + [coverage_graph(mint, d, cp) for (d, cp), plans in sorted(answers.items()) if not plans]
    if bulk and not drops:  # graph by graph into batched bulk loads, never all the quads at once
        store.bulk_load_quads(q for (d, cp), plans in kept for q in graph_quads(d, cp, plans))
    else:
        store.apply({coverage_graph(mint, d, cp): graph_quads(d, cp, plans) for (d, cp), plans in kept}, drops=drops)


def addressed_places(store, measures: list[str]) -> dict[str, dict[str, dict]]:
    """For each of ``measures`` that names places (``pkg:mentionsPlace``) — or, naming none itself, stands under a
    section heading that does (浦东新区打造营商环境综合示范区): place IRI → ``{"name", "districts": {district IRI: name},
    "inHeading": bool}``, the districts being where the place lies — a district itself, an area within one
    (``pkg:within``), or an area spanning several (``pkg:liesPartlyIn``; ontology/places.ttl, sources recorded).

    Plain lookups by IRI: a provision's sections are the prefixes of its id path (``…/sec_4__subsec_1`` holds
    ``…/sec_4__subsec_1__meas_3``, policykg/iri.py), so no property path runs over the store."""
    def chunks(items: list[str]):
        for k in range(0, len(items), 300):
            yield " ".join(f"<{x}>" for x in items[k:k + 300])

    named: dict[str, set[str]] = {}
    for values in chunks(measures):
        for r in store.query(f"SELECT ?x ?pl WHERE {{ VALUES ?x {{ {values} }} ?x <{PKG}mentionsPlace> ?pl }}"):
            named.setdefault(r["x"].value, set()).add(r["pl"].value)
    sections = {m: [m.rsplit("__", k)[0] for k in range(1, m.count("__") + 1)] for m in measures if m not in named}
    heading_places: dict[str, set[str]] = {}
    for values in chunks(sorted({s for ss in sections.values() for s in ss})):
        for r in store.query(f"""SELECT ?x ?pl WHERE {{ VALUES ?x {{ {values} }} ?x <{PKG}mentionsPlace> ?pl ;
                                   <{PKG}heading> ?h }}"""):
            heading_places.setdefault(r["x"].value, set()).add(r["pl"].value)
    found: dict[str, dict[str, bool]] = {m: {pl: False for pl in pls} for m, pls in named.items()}
    for m, ss in sections.items():
        pls = {pl for s in ss for pl in heading_places.get(s, ())}
        if pls:
            found[m] = {pl: True for pl in pls}
    info: dict[str, dict] = {}
    for values in chunks(sorted({pl for pls in found.values() for pl in pls})):
        for r in store.query(f"""SELECT ?pl ?plName ?d ?dName WHERE {{ VALUES ?pl {{ {values} }}
                OPTIONAL {{ ?pl <{SKOS}prefLabel> ?plName }}
                OPTIONAL {{ {{ ?pl <{PKG}within>* ?d }} UNION {{ ?pl <{PKG}within>*/<{PKG}liesPartlyIn> ?d }}
                           ?d a <{PKG}District> ; <{SKOS}prefLabel> ?dName }} }}"""):
            name = r["plName"].value if r["plName"] is not None else None
            p = info.setdefault(r["pl"].value, {"name": name, "districts": {}})
            p["name"] = min(filter(None, (p["name"], name)), default=None)
            if r["d"] is not None:
                p["districts"][r["d"].value] = r["dName"].value
    return {m: {pl: {"name": info.get(pl, {}).get("name"), "districts": dict(info.get(pl, {}).get("districts", {})),
                     "inHeading": heading} for pl, heading in pls.items()} for m, pls in found.items()}


def addressed_elsewhere(named: dict[str, dict] | None, district: str) -> bool:
    """Whether a measure naming these places (:func:`addressed_places`) is *not applicable* to ``district``: it names
    at least one place, every place it names lies in known districts, and none of them is this one. A measure
    naming the city, or a place whose districts are not known, concerns every district."""
    return bool(named) and all(p["districts"] for p in named.values()) and \
        not any(district in p["districts"] for p in named.values())


def _tail(doc_iri: str, mint: Minter) -> str:
    return doc_iri[len(mint.document("")):] if doc_iri.startswith(mint.document("")) else doc_iri.rsplit("/", 1)[-1]
