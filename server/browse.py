"""Browsing: the document list at ``/``, the page of what an agency or role bears, labels written for people.

* ``/?type=…&place=IRI&issuer=IRI&year=YYYY&in_force=yes|no|unknown&on=YYYY-MM-DD&page=N&size=N`` — every
  document of the store, newest first (by date signed, else published, else entry into force; undated last),
  100 a page. The list is read with one fixed query (no request value is ever part of a query) once per store
  generation — as the server starts, then after each completed build or update — and filtered here, in Python: ``type`` is the document type's name (``notice``, ``regulation`` …), ``place`` the place IRI
  (the document's own place, not the places within it), ``issuer`` an agency IRI (the issuing body or a
  co-issuer), ``year`` the year of the document's date (signed, else published, else entry into force).
  **In force** on ``on`` (default: today) is what the ``in-force`` named query says for that date (entry into
  force, else signed, else published, else the promulgating notice's dates; expiry; repeal; later editions); a
  document that states no date that could start it is *unknown*, and ``in_force=yes`` / ``no`` leave it out. A malformed value (a year that is not four digits, an IRI that is not
  absolute, an unknown parameter, a page past the last) is a 400 (404 for the page) with a JSON error; an empty
  value is no filter; a well-formed value that matches nothing gives an empty list.
* The HTML page of an agency or a generic role (``/id/agency/…``, ``/id/role/…``) opens with
  :func:`bearer_section`: the measures it is responsible for (role and method of each link) and the deontic
  statements it bears (modality and the cue it was read from), grouped by document, 200 links a page
  (``?page=N``).
* :func:`people_labels` gives entity pages their link texts: a provision's text (with its document beside it),
  a responsibility as "unit — role — measure", a statement as "bearers — modality — clause".
"""
from __future__ import annotations

import datetime as dt
import html
import re
import threading
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, request

from . import error

bp = Blueprint("browse", __name__)

PKG = "https://policykg.org/ontology#"
PREFIXES = f"""PREFIX pkg: <{PKG}> PREFIX dct: <http://purl.org/dc/terms/> PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX oa: <http://www.w3.org/ns/oa#>
"""
PAGE_SIZE = 100
BEARER_PAGE = 200
LABEL_CHARS = 80

STYLE = """<style>table.docs{border-collapse:collapse;width:100%}table.docs th,table.docs td{text-align:left;
border-bottom:1px solid #eee;padding:.3em .5em;vertical-align:top}table.docs td.n{white-space:nowrap}
form.filters{background:#f4f6f8;padding:.6em;border-radius:.3em}form.filters label{margin-right:1em;white-space:nowrap}
form.filters select{max-width:22em}.yes{color:#070}.no{color:#a00}.unknown{color:#999}.pages a,.pages b{margin-right:.5em}
.doc-group{margin-top:1.2em}.doc-group h3{margin:.2em 0}.doc-group li{margin:.25em 0}.method,.chip{display:inline-block;
font-size:.8em;padding:0 .4em;border-radius:.6em;background:#dbe9f6}.chip.statement{background:#fde0c5}</style>"""


def _backend():
    from .pages import backend

    return backend()


def _local(iri: str) -> str:
    from .pages import _local as local

    return local(iri)


def _clip(text: str, n: int = LABEL_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[:n - 1] + "…"


# ---------------------------------------------------------------------- the document list
_DOCS = PREFIXES + """SELECT ?doc ?title ?number ?type ?date ?published ?force ?expiry ?place ?issuer ?promDate WHERE {
  ?doc a pkg:Document ; dct:title ?title .
  OPTIONAL { ?doc pkg:documentType ?tc BIND(STRAFTER(STR(?tc), "#") AS ?type) }
  OPTIONAL { ?doc eli:id_local ?number }
  OPTIONAL { ?doc eli:date_document ?date }
  OPTIONAL { ?doc eli:date_publication ?published }
  OPTIONAL { ?doc eli:first_date_entry_in_force ?force }
  OPTIONAL { ?doc eli:date_no_longer_in_force ?expiry }
  OPTIONAL { ?doc pkg:place ?place }
  OPTIONAL { ?doc eli:passed_by|pkg:coIssuedBy ?issuer }
  OPTIONAL { ?doc pkg:promulgatedBy/(eli:date_document|eli:date_publication|eli:first_date_entry_in_force) ?promDate }
}"""
#: preferred names of the places and issuers of documents (not English ones where another exists)
_NAMES = PREFIXES + """SELECT ?x ?l (LANG(?l) AS ?lang) WHERE {
  { ?d a pkg:Document ; pkg:place ?x } UNION { ?d a pkg:Document ; eli:passed_by|pkg:coIssuedBy ?x }
  ?x skos:prefLabel ?l }"""
_LEAD = PREFIXES + "SELECT ?doc ?issuer WHERE { ?doc a pkg:Document ; eli:passed_by ?issuer }"


_MEMO_LOCK = threading.Lock()


def _per_generation(key: tuple, compute):
    """``compute()``, remembered for the embedded store's current generation (policykg.store.generation: every
    completed build and every update through this server starts a new one), so the list and its facets are read
    from the store once per generation, not on every page view (4.5 s at 10,000 documents, then milliseconds).
    A remote store (``--endpoint``) can change without telling: it is asked every time. The value is shared:
    callers never change it."""
    from flask import current_app

    from policykg.store import generation

    if current_app.config.get("ENDPOINT"):
        return compute()
    memo = current_app.extensions.setdefault("policykg.browse_memo", {})
    gen = generation(current_app.config["STORE"])
    with _MEMO_LOCK:
        hit = memo.get(key)
    if hit is not None and gen is not None and hit[0] == gen:
        return hit[1]
    value = compute()
    if gen is not None and generation(current_app.config["STORE"]) == gen:  # not moved on meanwhile
        with _MEMO_LOCK:
            if len(memo) > 64:  # dates asked for (the in-force sets) do not pile up
                memo.clear()
            memo[key] = (gen, value)
    return value


def documents() -> list[dict]:
    """Every document as a dict (sets for the many-valued fields), in list order: newest first, undated last
    (read once per store generation: :func:`_per_generation`)."""
    return _per_generation(("documents",), _documents)


def _documents() -> list[dict]:
    b = _backend()
    docs: dict[str, dict] = {}
    for r in b.select(_DOCS):
        d = docs.setdefault(r["doc"], {"iri": r["doc"], "title": r["title"], "number": set(), "type": set(), "date": set(),
                                       "published": set(), "force": set(), "expiry": set(), "place": set(), "issuer": set()})
        d["title"] = min(d["title"], r["title"])
        d["dated_by_promulgator"] = d.get("dated_by_promulgator") or bool(r.get("promDate"))
        for k in ("number", "type", "date", "published", "force", "expiry", "place", "issuer"):
            if r.get(k):
                d[k].add(r[k][:10] if k in ("date", "published", "force", "expiry") else r[k])
    names: dict[str, tuple] = {}
    for r in b.select(_NAMES):
        key = (r["lang"].lower().startswith("en"), r["l"])
        if r["x"] not in names or key < names[r["x"]]:
            names[r["x"]] = key
    lead: dict[str, str] = {}
    for r in b.select(_LEAD):
        lead[r["doc"]] = min(lead.get(r["doc"], r["issuer"]), r["issuer"])
    out = []
    for d in docs.values():
        d["names"] = {x: names[x][1] for x in d["place"] | d["issuer"] if x in names}
        d["lead"] = lead.get(d["iri"])
        d["when"] = min(d["date"] or d["published"] or d["force"] or {""})
        d["year"] = d["when"][:4]
        out.append(d)
    newest_first = sorted(out, key=lambda d: (d["title"], d["iri"]))
    newest_first.sort(key=lambda d: d["when"], reverse=True)
    return [d for d in newest_first if d["when"]] + [d for d in newest_first if not d["when"]]


def warm() -> None:
    """Read what ``/`` shows by default (every document; who is in force today) into the per-generation memo."""
    documents()
    in_force_on(dt.date.today().isoformat())


def in_force_on(on: str) -> set[str]:
    """The documents in force on ``on`` (ISO date), by the ``in-force`` named query: one rule for this list, the
    query and ``policykg search --in-force-on`` (entry into force, expiry, repeal, later editions)."""
    from policykg import queries

    q = queries.load("in-force")
    return _per_generation(("in-force", on), lambda: frozenset(
        r["doc"] for r in _backend().select(queries.bind(q.text, {"on": queries.term(q, "on", on)}))))


def in_force(d: dict, on: str, current: set[str]) -> bool | None:
    """Whether the document is in force on ``on`` (``current``: :func:`in_force_on`); None when it states no date
    that could start it (nor does the notice or decree promulgating it)."""
    if d["iri"] in current:
        return True
    return False if (d["force"] or d["date"] or d["published"] or d.get("dated_by_promulgator")) else None


FILTERS = ("type", "place", "issuer", "year", "in_force", "on", "page", "size")


class BadFilter(ValueError):
    pass


def parse_filters(args) -> dict:
    """The request's filters, checked; raises :class:`BadFilter` with a message for the 400."""
    from .safety import Refused, iri as iri_term

    unknown = sorted(set(args) - set(FILTERS))
    if unknown:
        raise BadFilter(f"unknown parameter(s) {', '.join(unknown)}; the document list takes: {', '.join(FILTERS)}")
    f = {k: args.get(k, "").strip() for k in FILTERS}
    if f["type"] and not re.fullmatch(r"[a-z][a-z0-9-]{0,60}", f["type"]):
        raise BadFilter(f"type is a document type's name such as notice or regulation, not {f['type'][:100]!r}")
    for k in ("place", "issuer"):
        if f[k]:
            try:
                iri_term(f[k], k)
            except Refused as exc:
                raise BadFilter(str(exc)) from None
    if f["year"] and not re.fullmatch(r"[0-9]{4}", f["year"]):
        raise BadFilter(f"year is four digits, not {f['year'][:100]!r}")
    if f["in_force"] not in ("", "yes", "no", "unknown"):
        raise BadFilter(f"in_force is yes, no or unknown, not {f['in_force'][:100]!r}")
    if f["on"]:
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", f["on"]):
                raise ValueError
            dt.date.fromisoformat(f["on"])
        except ValueError:
            raise BadFilter(f"on is a date, YYYY-MM-DD, not {f['on'][:100]!r}") from None
    for k, default, top in (("page", 1, 10 ** 6), ("size", PAGE_SIZE, PAGE_SIZE)):
        v = f[k] or str(default)
        if not (v.isascii() and v.isdigit() and 1 <= int(v) <= top):
            raise BadFilter(f"{k} is a whole number from 1 to {top}, not {f[k][:100]!r}")
        f[k] = int(v)
    return f


def select_documents(docs: list[dict], f: dict, on: str, current: set[str] | None = None) -> list[dict]:
    if current is None:
        current = in_force_on(on) if f["in_force"] else set()
    out = []
    for d in docs:
        if f["type"] and f["type"] not in d["type"]:
            continue
        if f["place"] and f["place"] not in d["place"]:
            continue
        if f["issuer"] and f["issuer"] not in d["issuer"]:
            continue
        if f["year"] and d["year"] != f["year"]:
            continue
        if f["in_force"] and {True: "yes", False: "no", None: "unknown"}[in_force(d, on, current)] != f["in_force"]:
            continue
        out.append(d)
    return out


@bp.get("/")
def document_list():
    from .views import _page

    try:
        f = parse_filters(request.args)
    except BadFilter as exc:
        return error("bad-request", str(exc), 400)
    on = f["on"] or dt.date.today().isoformat()
    docs = documents()
    current = in_force_on(on)
    chosen = select_documents(docs, f, on, current)
    pages = max(1, -(-len(chosen) // f["size"]))
    if f["page"] > pages:
        return error("not-found", f"no page {f['page']}: {len(chosen)} documents make {pages} page(s) of {f['size']}", 404)
    shown = chosen[(f["page"] - 1) * f["size"]:f["page"] * f["size"]]
    return _page("policykg: documents", _list_html(docs, chosen, shown, f, on, pages, current), STYLE)


def _options(name: str, values: dict[str, tuple[str, int]], current: str) -> str:
    esc = html.escape
    opts = [f'<option value="">any</option>']
    for v, (label, n) in sorted(values.items(), key=lambda kv: (kv[1][0], kv[0])):
        opts.append(f'<option value="{esc(v)}"{" selected" if v == current else ""}>{esc(label)} ({n})</option>')
    if current and current not in values:
        opts.append(f'<option value="{esc(current)}" selected>{esc(current)} (0)</option>')
    return f'<select name="{name}" id="f-{name}">{"".join(opts)}</select>'


def _list_html(docs, chosen, shown, f, on, pages, current: set[str]) -> str:
    esc = html.escape
    facets: dict[str, dict[str, list]] = {"type": {}, "place": {}, "issuer": {}, "year": {}}
    for d in docs:
        for k in ("type", "place", "issuer"):
            for v in d[k]:
                facets[k].setdefault(v, [d["names"].get(v, v), 0])[1] += 1
        if d["year"]:
            facets["year"].setdefault(d["year"], [d["year"], 0])[1] += 1
    sel = {k: _options(k, {v: tuple(x) for v, x in facets[k].items()}, f[k]) for k in facets}
    force = "".join(f'<option value="{v}"{" selected" if v == f["in_force"] else ""}>{t}</option>'
                    for v, t in (("", "any"), ("yes", "yes"), ("no", "no"), ("unknown", "unknown (no date)")))
    form = (f'<form class="filters" method="get" action="/"><label>type {sel["type"]}</label><label>place {sel["place"]}</label>'
            f'<label>issuer {sel["issuer"]}</label><label>year {sel["year"]}</label>'
            f'<label>in force <select name="in_force" id="f-in_force">{force}</select></label>'
            f'<label>on <input type="date" name="on" id="f-on" value="{esc(f["on"])}"></label>'
            f'<button type="submit">filter</button> <a href="/">clear</a></form>')
    rows = []
    for d in shown:
        state = {True: "yes", False: "no", None: "unknown"}[in_force(d, on, current)]
        lead = d["lead"] or min(d["issuer"] or {""})
        issuer = f'<a href="{esc(_local(lead))}">{esc(d["names"].get(lead, lead))}</a>' if lead else ""
        place = " ".join(f'<a href="{esc(_local(p))}">{esc(d["names"].get(p, p))}</a>' for p in sorted(d["place"]))
        rows.append(f'<tr data-doc="{esc(d["iri"])}"><td><a class="title" href="/document?iri={esc(quote(d["iri"], safe=""))}">'
                    f'{esc(d["title"])}</a> <a class="muted" href="{esc(_local(d["iri"]))}">properties</a></td>'
                    f'<td class="n">{esc("、".join(sorted(d["number"])))}</td><td>{esc(", ".join(sorted(d["type"])))}</td>'
                    f'<td>{place}</td><td>{issuer}</td><td class="n">{esc(d["when"])}</td>'
                    f'<td class="{state}" data-in-force="{state}">{state}</td></tr>')
    keep = {k: v for k, v in f.items() if v and k not in ("page",) and not (k == "size" and v == PAGE_SIZE)}

    def link(n):
        return "/?" + urlencode({**keep, "page": n})

    nav = "".join(f"<b>{n}</b>" if n == f["page"] else f'<a href="{esc(link(n))}">{n}</a>' for n in range(1, pages + 1)) \
        if pages > 1 else ""
    first = (f["page"] - 1) * f["size"] + 1
    count = (f'{len(chosen)} of {len(docs)} documents' + (f', {first}–{first + len(shown) - 1} shown' if pages > 1 else ""))
    return (f'<h1>Documents</h1><p class="muted">Every document in the store, newest first. In force on {esc(on)}: as the '
            f'<a href="/queries/in-force?format=html&amp;on={esc(on)}">in-force</a> query says — from entry into force '
            f'(else signed, else published, else the promulgating notice\'s date) to the date no longer in force, '
            f'inclusive, unless repealed or replaced by a later edition by then; "unknown" when no date could start it. The <a href="/sparql-editor">SPARQL editor</a> has the named queries.</p>{form}'
            f'<p id="count">{count}</p>'
            f'<table class="docs"><thead><tr><th>title</th><th>number</th><th>type</th><th>place</th><th>issuer</th>'
            f'<th>date</th><th>in force</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<p class="pages">{nav}</p>'
            + ("" if rows else '<p id="none">No document matches these filters.</p>'))


# ---------------------------------------------------------------------- what an agency or role bears
# ?a, the agency, is bound by a substitution (which pyoxigraph wants in the projection, and not in a subquery)
_BORNE_WHERE = """WHERE {
  { ?x pkg:responsibleUnit ?a ; pkg:role ?role ; pkg:method ?method .
    OPTIONAL { ?x pkg:unitText ?printed }
    ?p pkg:hasResponsibility ?x . BIND("responsibility" AS ?kind) }
  UNION
  { ?x pkg:bearerMention ?mention . ?mention pkg:bearer ?a .
    OPTIONAL { ?mention pkg:bearerText ?printed }
    ?x pkg:statedIn ?p ; pkg:modality ?role ; pkg:keyword ?method . BIND("statement" AS ?kind) }
  ?p pkg:inDocument ?doc ; pkg:path ?path ; pkg:sourceSpan/oa:hasSelector ?pos .
  ?pos a oa:TextPositionSelector ; oa:start ?start .
  ?doc dct:title ?title .
  OPTIONAL { ?p pkg:text ?text }
}"""
_BORNE = (PREFIXES + "SELECT DISTINCT ?a ?doc ?title ?x ?kind ?p ?path ?text ?role ?method ?printed ?start "
          + _BORNE_WHERE + " ORDER BY ?title ?doc ?start ?kind ?x ?printed")
#: the number of rows of _BORNE: one per link and printed name
_BORNE_ROWS = (PREFIXES + """SELECT ?a (COUNT(DISTINCT CONCAT(STR(?x), "|", COALESCE(?printed, ""))) AS ?n) """
               + _BORNE_WHERE + " GROUP BY ?a")
_BORNE_COUNT = PREFIXES + """SELECT ?a ?kind (COUNT(DISTINCT ?x) AS ?n) (COUNT(DISTINCT ?doc) AS ?docs) WHERE {
  { ?x pkg:responsibleUnit ?a . ?p pkg:hasResponsibility ?x . BIND("responsibility" AS ?kind) }
  UNION { ?x pkg:bearerMention/pkg:bearer ?a ; pkg:statedIn ?p . BIND("statement" AS ?kind) }
  ?p pkg:inDocument ?doc } GROUP BY ?a ?kind ORDER BY ?kind"""


def bearer_section(iri: str) -> str:
    """HTML: the measures ``iri`` is responsible for and the statements it bears, grouped by document (one page
    of ``BEARER_PAGE`` links, ``?page=N``). Raises :class:`BadFilter` for a malformed page number."""
    esc = html.escape
    v = request.args.get("page", "1")
    if not (v.isascii() and v.isdigit() and 1 <= int(v) <= 10 ** 6):
        raise BadFilter(f"page is a whole number from 1, not {v[:100]!r}")
    page = int(v)
    b = _backend()
    totals = {r["kind"]: int(r["n"]) for r in b.select(_BORNE_COUNT, bindings={"a": iri})}
    # LIMIT and OFFSET are integers computed here, not request text
    rows = b.select(_BORNE + f" LIMIT {BEARER_PAGE} OFFSET {(page - 1) * BEARER_PAGE}", bindings={"a": iri})
    n_resp, n_stmt = totals.get("responsibility", 0), totals.get("statement", 0)
    links = sum(int(r["n"]) for r in b.select(_BORNE_ROWS, bindings={"a": iri}))
    pages = max(1, -(-links // BEARER_PAGE))
    groups: dict[str, list] = {}
    titles = {}
    for r in rows:
        groups.setdefault(r["doc"], []).append(r)
        titles[r["doc"]] = r["title"]
    out = []
    for doc, items in groups.items():
        lis = []
        for r in items:
            if r["kind"] == "responsibility":
                chip = (f'<span class="chip responsibility">{esc(r["role"])}</span> '
                        f'<span class="method" title="how the unit was found">method: {esc(r["method"])}</span>')
            else:
                chip = (f'<span class="chip statement">{esc(r["role"])}</span> '
                        f'<span class="method" title="the word or construction it was read from">cue: 「{esc(r["method"])}」</span>')
            printed = f' <span class="muted">as printed: {esc(r["printed"])}</span>' if r.get("printed") else ""
            lis.append(f'<li data-kind="{esc(r["kind"])}" data-path="{esc(r["path"])}" data-method="{esc(r["method"])}">'
                       f'{chip} <a href="{esc(_local(r["p"]))}">{esc(_clip(r.get("text") or r["path"], 120))}</a> '
                       f'<span class="muted">{esc(r["path"])}</span>{printed}</li>')
        out.append(f'<div class="doc-group" data-doc="{esc(doc)}"><h3><a href="/document?iri={esc(quote(doc, safe=""))}">'
                   f'{esc(titles[doc])}</a></h3><ul>{"".join(lis)}</ul></div>')
    nav = ""
    if pages > 1:
        nav = '<p class="pages">' + "".join(f"<b>{n}</b>" if n == page else f'<a href="?page={n}">{n}</a>'
                                             for n in range(1, pages + 1)) + "</p>"
    summary = (f'<p id="bears">Responsible for {n_resp} measure links and bearer of {n_stmt} deontic statements'
               f'{f"; links {(page - 1) * BEARER_PAGE + 1}–{(page - 1) * BEARER_PAGE + len(rows)} of {links} shown" if pages > 1 else ""}.'
               f' The method says how each unit was found (explicit note, section, table, subject, default); the cue, the word '
               f'a statement was read from.</p>')
    empty = "" if rows else '<p class="muted">Nothing on this page.</p>'
    return f'{STYLE}<h2>Measures and statements</h2>{summary}{nav}<div id="borne">{"".join(out)}</div>{empty}{nav}'


_STATED = PREFIXES + """SELECT ?p ?s WHERE { ?s pkg:statedIn ?p ; a pkg:DeonticStatement } ORDER BY ?s"""


def statements_section(iri: str) -> str:
    """HTML: the deontic statements read from provision ``iri`` ("bearers — modality — clause"), or nothing."""
    esc = html.escape
    stmts = [r["s"] for r in _backend().select(_STATED, bindings={"p": iri})]
    if not stmts:
        return ""
    labels = people_labels(stmts)
    items = "".join(f'<li data-statement="{esc(s)}">{esc(labels[s][0])}</li>' for s in stmts if s in labels)
    return f'<h2>Statements</h2><ul id="statements">{items}</ul>'


# ---------------------------------------------------------------------- labels for people
def people_labels(iris) -> dict[str, tuple[str, str]]:
    """``{iri: (label, context_html)}`` for the provisions, responsibilities and deontic statements among
    ``iris`` (store IRIs, validated as terms): a provision's heading, else its text, beside it
    its document and path; a responsibility as "unit — role — measure"; a statement as "bearers — modality —
    clause"."""
    from .safety import Refused, iri as iri_term

    esc = html.escape
    b = _backend()
    terms = []
    for n in sorted(set(iris)):
        if n.startswith("http"):
            try:
                terms.append(iri_term(n))
            except Refused:
                continue
    out: dict[str, tuple[str, str]] = {}
    for i in range(0, len(terms), 100):
        values = " ".join(terms[i:i + 100])
        for r in b.select(PREFIXES + f"""SELECT ?x ?path ?text ?heading ?doc ?title WHERE {{ VALUES ?x {{ {values} }}
                ?x pkg:inDocument ?doc ; pkg:path ?path . ?doc dct:title ?title .
                OPTIONAL {{ ?x pkg:text ?text }} OPTIONAL {{ ?x pkg:heading ?heading }} }} ORDER BY ?x ?title"""):
            label = _clip(r.get("heading") or r.get("text") or r["path"])
            ctx = f' <span class="muted">· <a href="{esc(_local(r["doc"]))}">{esc(r["title"])}</a> · {esc(r["path"])}</span>'
            out.setdefault(r["x"], (label, ctx))
        for r in b.select(PREFIXES + f"""SELECT ?x ?unit ?unitLabel ?role ?method ?text ?path WHERE {{ VALUES ?x {{ {values} }}
                ?x a pkg:Responsibility ; pkg:responsibleUnit ?unit ; pkg:role ?role .
                OPTIONAL {{ ?x pkg:method ?method }} OPTIONAL {{ ?unit skos:prefLabel ?unitLabel }}
                ?m pkg:hasResponsibility ?x ; pkg:path ?path . OPTIONAL {{ ?m pkg:text ?text }} }} ORDER BY ?x ?unitLabel"""):
            unit = r.get("unitLabel") or r["unit"].rsplit("/", 1)[-1]
            ctx = f' <span class="muted">method: {esc(r["method"])}</span>' if r.get("method") else ""
            out.setdefault(r["x"], (f'{unit} — {r["role"]} — {_clip(r.get("text") or r["path"], 60)}', ctx))
        stmts: dict[str, dict] = {}
        for r in b.select(PREFIXES + f"""SELECT ?x ?modality ?clause ?bearer ?bearerLabel WHERE {{ VALUES ?x {{ {values} }}
                ?x a pkg:DeonticStatement ; pkg:modality ?modality ; pkg:clause ?clause .
                OPTIONAL {{ ?x pkg:bearer ?bearer OPTIONAL {{ ?bearer skos:prefLabel ?bearerLabel }} }} }}"""):
            s = stmts.setdefault(r["x"], {"modality": r["modality"], "clause": r["clause"], "bearers": {}})
            if r.get("bearer"):
                name = r.get("bearerLabel") or r["bearer"].rsplit("/", 1)[-1]
                s["bearers"][r["bearer"]] = min(s["bearers"].get(r["bearer"], name), name)
        for x, s in stmts.items():
            bearers = "、".join(sorted(s["bearers"].values())) or "no bearer stated"
            out.setdefault(x, (f'{bearers} — {s["modality"]} — {_clip(s["clause"], 60)}', ""))
    return out
