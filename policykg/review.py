"""Reviews: an auditor accepts or rejects a follow-up link or a gap of the audit.

A review is one ``pkg:Review`` node in the graph ``graph/reviews`` (:attr:`policykg.iri.Minter.reviews_graph`):

* about a **link** — ``pkg:districtMeasure`` and ``pkg:cityMeasure`` (the follow-up link the matcher found), with
  ``pkg:district`` the district of the district measure's plan;
* about a **gap** — ``pkg:cityMeasure`` and ``pkg:district``: the city measure the district does not follow up
  (a gap is per district);

with ``pkg:verdict`` (``accepted`` or ``rejected``), ``pkg:reviewer``, ``dct:created`` (xsd:dateTime, UTC) and
an optional ``pkg:reason``. A rejected link is not a follow-up; a rejected gap is not a gap (the district covers
the city measure). The node's IRI is derived from what it is about (:meth:`Minter.review`), so reviewing the same
link or gap again replaces the earlier verdict: the latest wins, no history is kept.

No build writes or drops ``graph/reviews`` (a build replaces the graphs of the documents it reads and the graphs
derived from them), so reviews survive every re-build; ``policykg review export`` / ``import`` carry them to a
store rebuilt from scratch, and ``policykg dump`` holds them as it holds every graph. A review whose measures
are no longer in the store (their text changed) stays, is listed by ``policykg review list`` as such, and is
reported by ``policykg validate`` as a Warning.

Every value given is checked before anything is written: the verdict, the reviewer (1–200 characters, no control
character), the reason (at most 2,000), the IRIs (pyoxigraph's parser), and against the store — the city
measure is a ``pkg:Measure`` of a city plan that a plan of the district answers, the district measure a
``pkg:Measure`` of a plan of that district, and the link one the store holds. Quads are built from pyoxigraph
terms; no given value is ever written into query text.

The audit (:mod:`policykg.queries.audit`) shows each verdict and the figures after review; :func:`link_verdicts`
and :func:`gap_verdicts` are what an evaluation script needs to count reviewed links apart.
"""
from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

import pyoxigraph as ox

from policykg.errors import PolicyKGError

VERDICTS = ("accepted", "rejected")
MAX_REVIEWER = 200  # characters
MAX_REASON = 2000  # characters
EXPORT_FORMAT = "policykg-reviews"
EXPORT_VERSION = 1

PKG = "https://policykg.org/ontology#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_DCT_CREATED = "http://purl.org/dc/terms/created"
_XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"


class ReviewError(PolicyKGError):
    """A review that cannot be recorded: a bad value, or a measure, district or link the store does not hold.
    ``field`` names the value concerned (the server's JSON key)."""

    def __init__(self, reason: str, field: str = "") -> None:
        super().__init__(reason=reason, kind="review-error", details={"field": field} if field else {})

    @property
    def field(self) -> str:
        return self.details.get("field", "")


@dataclass(frozen=True)
class Review:
    iri: str
    city_measure: str
    district: str
    verdict: str
    reviewer: str
    created: str  # xsd:dateTime lexical form, UTC (…Z)
    reason: str | None = None
    district_measure: str | None = None  # a link's; None for a gap

    @property
    def kind(self) -> str:
        return "link" if self.district_measure else "gap"

    @property
    def about(self) -> tuple[str, ...]:
        return about(self.city_measure, self.district, self.district_measure)

    def summary(self) -> dict:
        """What the audit shows of it (docs/audit.md)."""
        return {"verdict": self.verdict, "reviewer": self.reviewer, "created": self.created, "reason": self.reason}

    def as_dict(self) -> dict:
        """The export form (one entry of ``reviews`` in the file :func:`export` writes)."""
        out = {"kind": self.kind, "cityMeasure": self.city_measure, "district": self.district}
        if self.district_measure:
            out["districtMeasure"] = self.district_measure
        out.update(self.summary())
        return out

    def quads(self, graph: str) -> list[ox.Quad]:
        g, s = ox.NamedNode(graph), ox.NamedNode(self.iri)

        def q(p: str, o) -> ox.Quad:
            return ox.Quad(s, ox.NamedNode(p), o, g)

        out = [q(_RDF_TYPE, ox.NamedNode(PKG + "Review")),
               q(PKG + "cityMeasure", ox.NamedNode(self.city_measure)),
               q(PKG + "district", ox.NamedNode(self.district)),
               q(PKG + "verdict", ox.Literal(self.verdict)),
               q(PKG + "reviewer", ox.Literal(self.reviewer)),
               q(_DCT_CREATED, ox.Literal(self.created, datatype=ox.NamedNode(_XSD_DATETIME)))]
        if self.district_measure:
            out.append(q(PKG + "districtMeasure", ox.NamedNode(self.district_measure)))
        if self.reason:
            out.append(q(PKG + "reason", ox.Literal(self.reason)))
        return out


def about(city_measure: str, district: str, district_measure: str | None = None) -> tuple[str, ...]:
    """What a review is about, as its IRI is derived from it: a link is (district measure, city measure) —
    its district follows from the district measure —, a gap (city measure, district)."""
    return ("link", district_measure, city_measure) if district_measure else ("gap", city_measure, district)


# ---------------------------------------------------------------------- checking values
def _iri(value, field: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ReviewError(f"{what} is needed (an IRI)", field)
    try:
        return ox.NamedNode(value.strip()).value
    except ValueError:
        raise ReviewError(f"{what} must be an absolute IRI, not {value.strip()[:200]!r}", field) from None


def _control(text: str, allowed: str = "") -> bool:
    return any((ord(c) < 32 and c not in allowed) or 0x7F <= ord(c) < 0xA0 or c in "\u2028\u2029" for c in text)


def check_verdict(verdict) -> str:
    if verdict not in VERDICTS:
        shown = verdict if isinstance(verdict, str) else json.dumps(verdict)
        raise ReviewError(f"the verdict is accepted or rejected, not {shown!r}", "verdict")
    return verdict


def check_reviewer(reviewer) -> str:
    if reviewer is None or (isinstance(reviewer, str) and not reviewer.strip()):
        raise ReviewError("a reviewer is needed: the name of who gives the verdict", "reviewer")
    if not isinstance(reviewer, str):
        raise ReviewError("the reviewer must be a text (a name)", "reviewer")
    reviewer = reviewer.strip()
    if len(reviewer) > MAX_REVIEWER:
        raise ReviewError(f"the reviewer name has {len(reviewer)} characters; at most {MAX_REVIEWER}", "reviewer")
    if _control(reviewer):
        raise ReviewError("the reviewer name holds a control character (a line break?)", "reviewer")
    return reviewer


def check_reason(reason) -> str | None:
    if reason is None:
        return None
    if not isinstance(reason, str):
        raise ReviewError("the reason must be a text", "reason")
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise ReviewError(f"the reason has {len(reason)} characters; at most {MAX_REASON}", "reason")
    if _control(reason, "\n\t"):
        raise ReviewError("the reason holds a control character (other than line breaks and tabs)", "reason")
    return reason or None


def utc_datetime(value) -> str:
    """An xsd:dateTime in UTC (``2024-06-01T08:30:00Z``) from an ISO 8601 text with a time zone."""
    if not isinstance(value, str):
        raise ReviewError("created must be a date and time (ISO 8601 with a time zone)", "created")
    try:
        t = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ReviewError(f"created is not an ISO 8601 date and time: {value[:60]!r}", "created") from None
    if t.tzinfo is None:
        raise ReviewError(f"created has no time zone: {value[:60]!r} (give …Z for UTC)", "created")
    return _format(t)


def _format(t: datetime.datetime) -> str:
    t = t.astimezone(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{t.microsecond:06d}".rstrip("0") if t.microsecond else "") + "Z"


def now() -> str:
    return _format(datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0))


# ---------------------------------------------------------------------- the store
def _t(iri: str) -> str:
    """An IRI (already checked by pyoxigraph) as one SPARQL term, written by pyoxigraph's serialiser."""
    return str(ox.NamedNode(iri))


def _rows(store, q: str) -> list[dict]:
    from policykg.queries import rows

    return rows(store, q)


def districts(store) -> list[dict]:
    """Every district of the store: ``d`` (IRI), ``name``, ``code``, ``short``."""
    return _rows(store, """SELECT ?d ?name ?code (SAMPLE(?alt) AS ?short) WHERE {
                           ?d a pkg:District ; skos:prefLabel ?name ; pkg:gbCode ?code OPTIONAL { ?d skos:altLabel ?alt } }
                           GROUP BY ?d ?name ?code ORDER BY ?code""")


def find_district(store, name) -> dict:
    """The district named ``name`` as the audit's ``--district`` matches it — name 杨浦区, short name 杨浦 or code
    310110, exactly — or by its IRI."""
    if not isinstance(name, str) or not name.strip():
        raise ReviewError("a district is needed: its name (杨浦区), short name (杨浦) or code (310110)", "district")
    name = name.strip()
    found = [d for d in districts(store) if name in (d["d"], d["name"], d["code"], d["short"])]
    if not found:
        raise ReviewError(f"no district {name!r} in the store: give its name (杨浦区), short name (杨浦) or GB/T 2260 "
                          "code (310110), as the audit's --district", "district")
    return found[0]


def check_subject(store, district: dict, city_measure: str, district_measure: str | None) -> None:
    """That the store holds what the review is about (see the module docstring); a ReviewError naming what is not."""
    from policykg.loaders.followup import _city_plan_iris

    cm = _t(city_measure)
    rows = _rows(store, f"SELECT ?doc ?title WHERE {{ {cm} a pkg:Measure ; pkg:inDocument ?doc . OPTIONAL {{ ?doc dct:title ?title }} }}")
    if not rows:
        raise ReviewError(f"the city measure {city_measure} is not a measure in the store (no pkg:Measure with this IRI; "
                          "the audit's cityMeasure values are)", "cityMeasure")
    doc, title = rows[0]["doc"], rows[0]["title"] or rows[0]["doc"]
    if doc not in _city_plan_iris(store):
        raise ReviewError(f"the city measure {city_measure} is a measure of 《{title}》, which is not a city plan", "cityMeasure")
    if not _rows(store, f"SELECT ?p WHERE {{ ?p pkg:district {_t(district['d'])} ; pkg:followsPlan {_t(doc)} }} LIMIT 1"):
        raise ReviewError(f"no plan of {district['name']} answers 《{title}》, the city plan of {city_measure} "
                          "(the audit lists the city plans each district answers)", "cityMeasure")
    if district_measure is None:
        return
    dm = _t(district_measure)
    rows = _rows(store, f"SELECT ?doc ?d WHERE {{ {dm} a pkg:Measure ; pkg:inDocument ?doc . OPTIONAL {{ ?doc pkg:district ?d }} }}")
    if not rows:
        raise ReviewError(f"the district measure {district_measure} is not a measure in the store (no pkg:Measure with "
                          "this IRI; the audit's districtMeasure values are)", "districtMeasure")
    if district["d"] not in {r["d"] for r in rows}:
        raise ReviewError(f"the district measure {district_measure} is not a measure of a plan of {district['name']}",
                          "districtMeasure")
    if not _rows(store, f"SELECT ?f WHERE {{ ?f a pkg:FollowUp ; pkg:districtMeasure {dm} ; pkg:cityMeasure {cm} }} LIMIT 1"):
        raise ReviewError(f"the store holds no follow-up link from {district_measure} to {city_measure} (the audit's links "
                          "are); to say the district covers the city measure after all, reject its gap: give no "
                          "district measure", "districtMeasure")


def _from_rows(rows: list[dict]) -> list[Review]:
    latest: dict[str, Review] = {}
    for r in rows:
        rev = Review(iri=r["r"], city_measure=r["cm"], district=r["d"], verdict=r["verdict"], reviewer=r["reviewer"],
                     created=r["created"], reason=r.get("reason"), district_measure=r.get("dm"))
        if r["r"] not in latest or (_when(rev.created), rev.verdict) > (_when(latest[r["r"]].created), latest[r["r"]].verdict):
            latest[r["r"]] = rev
    return [latest[k] for k in sorted(latest)]


_SELECT = """SELECT ?r ?cm ?d ?dm ?verdict ?reviewer ?created ?reason WHERE { %s
    ?r a pkg:Review ; pkg:cityMeasure ?cm ; pkg:district ?d ; pkg:verdict ?verdict ; pkg:reviewer ?reviewer ;
       dct:created ?created . OPTIONAL { ?r pkg:districtMeasure ?dm } OPTIONAL { ?r pkg:reason ?reason } }"""


def reviews(store, district: str | None = None) -> list[Review]:
    """Every review in the store (of one district, by its IRI), in IRI order."""
    scope = f"VALUES ?d {{ {_t(district)} }}" if district else ""
    return _from_rows(_rows(store, _SELECT % scope))


def get(store, iri: str) -> Review | None:
    found = _from_rows(_rows(store, _SELECT % f"VALUES ?r {{ {_t(iri)} }}"))
    return found[0] if found else None


def link_verdicts(store) -> dict[tuple[str, str], str]:
    """(district measure, city measure) → ``accepted`` / ``rejected``: the reviewed follow-up links, for an
    evaluation that counts them apart (or takes a rejection as a false positive the matcher made)."""
    return {(r.district_measure, r.city_measure): r.verdict for r in reviews(store) if r.district_measure}


def gap_verdicts(store) -> dict[tuple[str, str], str]:
    """(city measure, district IRI) → ``accepted`` / ``rejected``: the reviewed gaps (rejected: the reviewer says
    the district covers the city measure — a follow-up the matcher missed)."""
    return {(r.city_measure, r.district): r.verdict for r in reviews(store) if not r.district_measure}


def _write(store, base: str, items: list[Review]) -> None:
    """One transaction: each review's earlier node (same IRI) replaced by the new one; then a new store generation."""
    from policykg.iri import Minter

    g = Minter(base).reviews_graph
    store.apply({}, delete_where=[f"GRAPH {_t(g)} {{ {_t(r.iri)} ?p ?o }}" for r in items],
                inserts={g: [q for r in items for q in r.quads(g)]})
    _flush(store)


def _flush(store) -> None:
    from policykg.loaders.build import _flush_with_search_index

    _flush_with_search_index(store, set())  # a new generation (servers reopen it), the search index in step


def record(store, base: str, district, city_measure, verdict, reviewer, reason=None, district_measure=None,
           created: str | None = None) -> tuple[Review, Review | None]:
    """Check and write one review; returns it and the review it replaced (None when it is the first)."""
    from policykg.iri import Minter

    verdict = check_verdict(verdict)
    reviewer = check_reviewer(reviewer)
    reason = check_reason(reason)
    cm = _iri(city_measure, "cityMeasure", "the city measure")
    dm = _iri(district_measure, "districtMeasure", "the district measure") if district_measure not in (None, "") else None
    d = find_district(store, district)
    check_subject(store, d, cm, dm)
    rev = Review(iri=Minter(base).review(about(cm, d["d"], dm)), city_measure=cm, district=d["d"], verdict=verdict,
                 reviewer=reviewer, created=created or now(), reason=reason, district_measure=dm)
    before = get(store, rev.iri)
    _write(store, base, [rev])
    return rev, before


# ---------------------------------------------------------------------- export and import
def export(store) -> dict:
    """Every review as plain JSON (what ``policykg review export FILE`` writes)."""
    items = sorted(reviews(store), key=lambda r: (_when(r.created), r.iri))
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "reviews": [r.as_dict() for r in items]}


_KEYS = {"kind", "cityMeasure", "district", "districtMeasure", "verdict", "reviewer", "created", "reason"}


def parse_export(data, base: str) -> list[Review]:
    """The reviews of an export file's content, every value checked (a ReviewError naming the entry otherwise)."""
    from policykg.iri import Minter

    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ReviewError(f"not a review export: a JSON object with \"format\": \"{EXPORT_FORMAT}\" is expected")
    if data.get("version") != EXPORT_VERSION:
        raise ReviewError(f"review export version {data.get('version')!r}; this policykg reads version {EXPORT_VERSION}")
    items = data.get("reviews")
    if not isinstance(items, list):
        raise ReviewError("the review export has no list \"reviews\"")
    mint, out = Minter(base), []
    for k, e in enumerate(items, start=1):
        try:
            if not isinstance(e, dict):
                raise ReviewError("is not a JSON object")
            unknown = sorted(set(e) - _KEYS)
            if unknown:
                raise ReviewError(f"has unknown key(s) {', '.join(unknown)}")
            cm = _iri(e.get("cityMeasure"), "cityMeasure", "cityMeasure")
            d = _iri(e.get("district"), "district", "district")
            dm = _iri(e["districtMeasure"], "districtMeasure", "districtMeasure") if e.get("districtMeasure") else None
            if e.get("kind") != ("link" if dm else "gap"):
                raise ReviewError(f"kind is {e.get('kind')!r} but it {'has' if dm else 'has no'} districtMeasure "
                                  f"(a link review has one, a gap review none)", "kind")
            out.append(Review(iri=mint.review(about(cm, d, dm)), city_measure=cm, district=d,
                              verdict=check_verdict(e.get("verdict")), reviewer=check_reviewer(e.get("reviewer")),
                              created=utc_datetime(e.get("created")), reason=check_reason(e.get("reason")),
                              district_measure=dm))
        except ReviewError as exc:
            raise ReviewError(f"review {k} of the file {exc.reason}" if not exc.field else
                              f"review {k} of the file: {exc.reason}", exc.field) from None
    return out


def import_reviews(store, base: str, data) -> dict:
    """Write the reviews of an export into ``store``; for a link or gap the store has already reviewed, the later
    verdict wins (the store's is kept when it is newer). Returns counts, and the reviews about measures or
    districts this store does not hold (they are written all the same: they show again once those are back)."""
    items = parse_export(data, base)
    newest: dict[str, Review] = {}
    for r in items:  # the file's own latest for each link or gap
        if r.iri not in newest or _when(r.created) >= _when(newest[r.iri].created):
            newest[r.iri] = r
    current = {r.iri: r for r in reviews(store)}
    write = [r for r in newest.values() if r.iri not in current or _when(r.created) >= _when(current[r.iri].created)]
    kept = len(newest) - len(write)
    missing = missing_subjects(store, list(newest.values()))
    if write:
        _write(store, base, sorted(write, key=lambda r: r.iri))
    return {"read": len(items), "written": len(write), "replaced": sum(r.iri in current for r in write),
            "keptNewer": kept, "notInStore": [r.as_dict() for r in newest.values() if r.iri in missing]}


def _when(created: str) -> datetime.datetime:
    """For ordering: a review's time (one written by other means than policykg with no readable time sorts first)."""
    try:
        t = datetime.datetime.fromisoformat(created)
    except ValueError:
        return datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
    return t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)


def missing_subjects(store, items: list[Review]) -> set[str]:
    """The IRIs of the reviews (of ``items``) about a measure or district the store does not hold."""
    measures = sorted({m for r in items for m in (r.city_measure, r.district_measure) if m})
    places = sorted({r.district for r in items})
    have: set[str] = set()
    for i in range(0, len(measures), 300):
        have |= {r["m"] for r in _rows(store, "SELECT ?m WHERE { VALUES ?m { " + " ".join(_t(m) for m in measures[i:i + 300])
                                                 + " } ?m a pkg:Measure }")}
    for i in range(0, len(places), 300):
        have |= {r["m"] for r in _rows(store, "SELECT ?m WHERE { VALUES ?m { " + " ".join(_t(m) for m in places[i:i + 300])
                                                 + " } ?m a pkg:District }")}
    return {r.iri for r in items if any(m and m not in have for m in (r.city_measure, r.district_measure, r.district))}
