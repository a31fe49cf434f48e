"""Keyword search over documents, measures, provisions and agencies: a SQLite FTS5 index beside the store.

**Engine.** SQLite's FTS5 (Python's standard ``sqlite3``) with the ``trigram`` tokenizer: every run of three
characters is a token, so Chinese needs no segmenter and any substring of three or more characters is found.
A term of one or two characters (海绵, 河长) cannot be a trigram query; it is matched with ``LIKE '%…%'`` on the
same rows (a scan of the text, still fast at 10k documents: docs/benchmarks-search.md). Results are ranked by
``bm25()`` with a title hit weighing ``TITLE_WEIGHT`` times a body hit (title: a document's title, a measure's
or provision's heading, an agency's name; body: a measure's or provision's text, a document's number and
issuer, an agency's other names), then by kind and IRI (a total order: the same index gives the same results).
The passage is cut and marked by ``snippet()`` (by a scan of the text for the short terms).

**Where.** ``<store>/search.sqlite`` (:func:`index_path`) for the embedded store; any file (``--index``) for a
remote one. The index is derived from the graph only — every row is read with SPARQL from the store:
``dct:title``, ``eli:id_local``, ``eli:passed_by``/``skos:prefLabel``, ``pkg:place`` (and the places it lies
within, ``pkg:within``, with their ``skos:hiddenLabel`` names and codes), the dates, ``pkg:text`` and
``pkg:heading`` of measures and provisions, ``skos:prefLabel``/``skos:altLabel`` of agencies and roles,
``eli:repeals``/``pkg:resolvesTo`` for repeals.

**In step with the store.** ``policykg build`` updates the rows of the documents it wrote or dropped (all rows
when it built many files or into an empty store: a new file, swapped in whole), in one SQLite transaction
committed right after the store's new generation is marked (:func:`sync`); the index records that generation.
``policykg search-index`` rebuilds it from the store alone (stores built before search existed, remote stores,
or after SPARQL Updates through the server, which do not touch the index).

**What is indexed.** ``document``: every ``pkg:Document``. ``measure``: every ``pkg:Measure``. ``provision``:
every article (``pkg:Article``, its paragraphs included in its text), and every other provision with text that
has no part with text of its own and lies in no article (the leaves of notices, opinions, preambles — not an
item whose text is only its measures'). ``agency``: every ``pkg:Agency`` and ``pkg:GenericRole``.

**Filters.** ``place``: the document's ``pkg:place`` or any place it lies within, named by label, short name,
GB/T 2260 code (its ``skos:hiddenLabel``s) or IRI — ``上海市`` finds the districts' documents too.
``in_force_on`` (a date): the document (a measure or provision: its document) is in force on that day when it
*starts* on or before it — its entry into force (``eli:first_date_entry_in_force``), else its date of issue
(``eli:date_document``), else its publication (``eli:date_publication``), else those of the notice or decree that
promulgates it (``pkg:promulgatedBy``) — has no ``eli:date_no_longer_in_force`` before it (the expiry day is
still in force), and no other document of the store that repeals it (``eli:repeals`` an act that
``pkg:resolvesTo`` it) or is its next edition (``pkg:nextEdition``) has started after it and on or before the day:
the rule of the ``in-force`` named query and of the document list at ``/``. A document with no date at all is never counted in force; a repeal by a
document without a date does not end the repealed one. Agencies belong to no document: the place and date
filters leave them out.
"""
from __future__ import annotations

import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

INDEX_FILE = "search.sqlite"
SCHEMA_VERSION = "1"
KINDS = ("document", "measure", "provision", "agency")
TITLE_WEIGHT = 10.0  # a hit in a document's title or an agency's name
HEADING_WEIGHT = 3.0  # in the heading of a measure's or provision's part
MAX_QUERY_CHARS = 200  # a longer query is refused (it could only be a paste of a passage)
MAX_TERMS = 8
MAX_LIMIT = 500
INCREMENTAL_MAX = 300  # documents a build may update row by row; more: the index is rebuilt whole
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"  # private-use characters: never in the text, replaced on output
SNIPPET_TOKENS = 40

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_SCHEMA = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE doc(iri TEXT PRIMARY KEY, title TEXT, number TEXT, type TEXT, issuer TEXT, place TEXT,
                 place_label TEXT, in_force TEXT, signed TEXT, published TEXT, expiry TEXT, promulgated_by TEXT);
CREATE TABLE place_key(place TEXT, key TEXT, PRIMARY KEY(place, key));
CREATE TABLE repeal(doc TEXT, by TEXT, PRIMARY KEY(doc, by));
CREATE TABLE entry(id INTEGER PRIMARY KEY, iri TEXT NOT NULL, kind TEXT NOT NULL, doc TEXT, path TEXT,
                   title TEXT NOT NULL, heading TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX entry_doc ON entry(doc);
CREATE INDEX entry_kind ON entry(kind);
CREATE VIRTUAL TABLE fts USING fts5(title, heading, body, content='entry', content_rowid='id', tokenize='trigram');
CREATE TRIGGER entry_ai AFTER INSERT ON entry BEGIN
  INSERT INTO fts(rowid, title, heading, body) VALUES (new.id, new.title, new.heading, new.body);
END;
CREATE TRIGGER entry_ad AFTER DELETE ON entry BEGIN
  INSERT INTO fts(fts, rowid, title, heading, body) VALUES ('delete', old.id, old.title, old.heading, old.body);
END;
INSERT INTO meta VALUES ('schema', '{SCHEMA_VERSION}');
"""

_P = """PREFIX pkg: <https://policykg.org/ontology#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

# ?g: the document graph (bound to one document's graph for an update, unbound for a rebuild)
_Q_DOCS = _P + """SELECT ?g ?d ?title ?number ?type ?issuer ?place ?placeLabel ?force ?signed ?published ?expiry ?prom
WHERE {
  GRAPH ?g { ?d a pkg:Document ; dct:title ?title }
  OPTIONAL { ?d eli:id_local ?number }
  OPTIONAL { ?d pkg:documentType ?tc BIND(STRAFTER(STR(?tc), "#") AS ?type) }
  OPTIONAL { ?d eli:passed_by/skos:prefLabel ?issuer }
  OPTIONAL { ?d pkg:place ?place OPTIONAL { ?place skos:prefLabel ?placeLabel } }
  OPTIONAL { ?d eli:first_date_entry_in_force ?force }
  OPTIONAL { ?d eli:date_document ?signed }
  OPTIONAL { ?d eli:date_publication ?published }
  OPTIONAL { ?d eli:date_no_longer_in_force ?expiry }
  OPTIONAL { ?d pkg:promulgatedBy ?prom }
}"""
_Q_MEASURES = _P + """SELECT ?g ?x ?d ?path ?text ?heading
WHERE {
  GRAPH ?g { ?x a pkg:Measure ; pkg:inDocument ?d ; pkg:path ?path ; pkg:text ?text
             OPTIONAL { ?x eli:is_part_of ?parent . ?parent pkg:heading ?heading } }
}"""
_Q_PROVISIONS = _P + """SELECT ?g ?x ?d ?path ?text ?heading
WHERE {
  GRAPH ?g {
    ?x pkg:inDocument ?d ; pkg:path ?path ; pkg:text ?text
    FILTER NOT EXISTS { ?x a pkg:Measure }
    FILTER(EXISTS { ?x a pkg:Article } ||
           (NOT EXISTS { ?part eli:is_part_of ?x ; pkg:text ?partText } && NOT EXISTS { ?x eli:is_part_of ?article . ?article a pkg:Article }))
    OPTIONAL { ?x pkg:heading ?heading }
  }
}"""
_Q_GRAPH_OF = _P + "SELECT ?d ?g WHERE { GRAPH ?g { ?d a pkg:Document } }"
_Q_AGENCIES = _P + """SELECT ?x ?label ?alt
WHERE {
  VALUES ?class { pkg:Agency pkg:GenericRole }
  ?x a ?class ; skos:prefLabel ?label
  OPTIONAL { ?x skos:altLabel ?alt }
}"""
# the places documents name (pkg:place has the domain pkg:Document), then their keys; the documents' places
# first, in a subquery of their own: joined with the documents' type, this took 1 s at 10,000 documents
_Q_PLACES = _P + """SELECT DISTINCT ?place ?key
WHERE {
  { SELECT DISTINCT ?place WHERE { ?d pkg:place ?place } }
  ?place pkg:within* ?up .
  { ?up skos:hiddenLabel ?key } UNION { ?up skos:prefLabel ?key } UNION { ?up pkg:within* ?self BIND(STR(?up) AS ?key) }
}"""
# the repeals and next editions first, then whether both ends are documents (starting from the documents, as the
# engine otherwise does, reads every document: 0.3 s at 10,000)
_Q_REPEALS = _P + """SELECT DISTINCT ?d ?by
WHERE {
  { SELECT ?d ?by WHERE { ?by eli:repeals ?act . ?act pkg:resolvesTo ?d } } UNION { SELECT ?d ?by WHERE { ?d pkg:nextEdition ?by } }
  FILTER(?by != ?d) FILTER EXISTS { ?by a pkg:Document } FILTER EXISTS { ?d a pkg:Document }
}"""


class SearchError(ValueError):
    """A query or filter the index cannot take (an empty or over-long query, an unknown kind, a bad date)."""


def index_path(store_path: str | os.PathLike) -> Path:
    """Where the index of the embedded store at ``store_path`` lives."""
    return Path(store_path) / INDEX_FILE


# ---------------------------------------------------------------------- reading the store
def _value(term) -> str | None:
    return None if term is None else term.value


def _rows(store, text: str, g: str | None = None) -> list[dict]:
    """Rows of a SELECT as dicts of plain values; ``g`` is bound as a term (a substitution), never pasted."""
    import pyoxigraph as ox

    subs = {ox.Variable("g"): ox.NamedNode(g)} if g else None
    result = store.query(text, substitutions=subs, source="search index") if subs else store.query(text, source="search index")
    names = [v.value for v in result.variables]
    out = []
    for sol in result:
        out.append({n: _value(sol[n]) for n in names})
    return out


def _date(v: str | None) -> str | None:
    return v[:10] if v else None


def _doc_rows(rows: list[dict]) -> list[tuple]:
    """One row per document from rows multiplied by several values (the smallest of each: deterministic)."""
    docs: dict[str, dict] = {}
    for r in rows:
        d = docs.setdefault(r["d"], {})
        for k, v in r.items():
            if v is not None and (d.get(k) is None or v < d[k]):
                d[k] = v
    return [(iri, d["title"], d.get("number"), d.get("type"), d.get("issuer"), d.get("place"), d.get("placeLabel"),
             _date(d.get("force")), _date(d.get("signed")), _date(d.get("published")), _date(d.get("expiry")),
             d.get("prom")) for iri, d in sorted(docs.items())]


def _part_rows(rows: list[dict], kind: str) -> list[tuple]:
    parts: dict[str, dict] = {}
    for r in rows:
        p = parts.setdefault(r["x"], dict(r))
        for k, v in r.items():
            if v is not None and (p.get(k) is None or v < p[k]):
                p[k] = v
    return [(iri, kind, p["d"], p["path"], "", p.get("heading") or "", p["text"]) for iri, p in sorted(parts.items())]


def entries_of_quads(quads) -> list[tuple]:
    """The measure and provision rows of one document's graph, from its quads (as its build worker emits them):
    the rows :data:`_Q_MEASURES` and :data:`_Q_PROVISIONS` read from the store for that graph, assembled as
    :func:`_part_rows` does (the smallest of each value). A first build writes these while it loads the store,
    instead of reading back every measure and provision at its end (31 s and 19 s at 10,000 documents);
    ``tests/test_search.py`` checks both ways give the same rows."""
    from policykg.ontology import ELI, PKG, RDF

    typ, text_p, in_doc, path_p, heading_p, part_of = (RDF + "type", PKG + "text", PKG + "inDocument", PKG + "path",
                                                       PKG + "heading", ELI + "is_part_of")
    wanted = {typ, text_p, in_doc, path_p, heading_p, part_of}
    values: dict[str, dict[str, list[str]]] = {}  # subject → predicate IRI → object values (those predicates only)
    for q in quads:
        p = q.predicate.value
        if p in wanted:
            values.setdefault(q.subject.value, {}).setdefault(p, []).append(q.object.value)
    measure, article = PKG + "Measure", PKG + "Article"
    parts_with_text: set[str] = set()  # what some part with a text of its own is part of
    for v in values.values():
        if text_p in v:
            parts_with_text.update(v.get(part_of, ()))
    articles = {x for x, v in values.items() if article in v.get(typ, ())}

    def least(x: str, prop: str) -> str | None:
        found = values.get(x, {}).get(prop)
        return min(found) if found else None

    out = []
    for x, v in values.items():
        if in_doc not in v or path_p not in v or text_p not in v:
            continue
        doc, path, text = min(v[in_doc]), min(v[path_p]), min(v[text_p])
        if measure in v.get(typ, ()):
            heads = [h for parent in v.get(part_of, ()) for h in [least(parent, heading_p)] if h is not None]
            out.append((x, "measure", doc, path, "", min(heads) if heads else "", text))
        elif x in articles or (x not in parts_with_text and not any(up in articles for up in v.get(part_of, ()))):
            out.append((x, "provision", doc, path, "", least(x, heading_p) or "", text))
    return sorted(out)


class Prepared:
    """A new index file a first build fills while it loads the store: the measure and provision rows of each
    document as it is written (:func:`entries_of_quads`); :func:`sync` adds the rest and swaps it in."""

    def __init__(self, store) -> None:
        self.path = index_path(store.path)
        self.tmp, self.con = _new_file(self.path)
        self.used = False  # handed to sync(), which swaps it in or removes it

    def add(self, doc: str, entries: list[tuple]) -> None:
        """The rows of ``doc`` (replacing those of an earlier copy written in this build)."""
        self.con.execute("DELETE FROM entry WHERE doc = ?", (doc,))
        self.con.executemany("INSERT INTO entry(iri, kind, doc, path, title, heading, body) VALUES (?,?,?,?,?,?,?)",
                             entries)

    def discard(self) -> None:
        """Forget the new file (the build failed, or :func:`sync` has already swapped it in or removed it)."""
        try:
            if self.con.in_transaction:
                self.con.execute("ROLLBACK")
            self.con.close()
        except sqlite3.ProgrammingError:  # closed already
            pass
        if not self.used:
            self.tmp.unlink(missing_ok=True)


def _entries_of_docs(doc_rows: list[tuple]) -> list[tuple]:
    """A document's own row: its title; its number and issuer as body."""
    return [(iri, "document", iri, None, title, "", " ".join(x for x in (number, issuer) if x))
            for iri, title, number, _, issuer, *_ in doc_rows]


def _write_graph_rows(con: sqlite3.Connection, store, g: str | None, parts: bool = True) -> None:
    """The rows of the documents of graph ``g`` (``None``: of every graph); ``parts`` false: their measures and
    provisions are already in (:class:`Prepared`)."""
    docs = _doc_rows(_rows(store, _Q_DOCS, g))
    con.executemany("INSERT OR REPLACE INTO doc VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", docs)
    entries = _entries_of_docs(docs)
    if parts:
        entries += _part_rows(_rows(store, _Q_MEASURES, g), "measure") + _part_rows(_rows(store, _Q_PROVISIONS, g), "provision")
    con.executemany("INSERT INTO entry(iri, kind, doc, path, title, heading, body) VALUES (?,?,?,?,?,?,?)", entries)


def _write_shared_rows(con: sqlite3.Connection, store) -> None:
    """Agencies, place names and repeals: small, and depending on every document, so rewritten whole."""
    con.execute("DELETE FROM entry WHERE kind = 'agency'")
    con.execute("DELETE FROM place_key")
    con.execute("DELETE FROM repeal")
    agencies: dict[str, tuple[str, set]] = {}
    for r in _rows(store, _Q_AGENCIES):
        label, alts = agencies.setdefault(r["x"], (r["label"], set()))
        if r["label"] < label:
            agencies[r["x"]] = (r["label"], alts)
        if r["alt"]:
            alts.add(r["alt"])
    con.executemany("INSERT INTO entry(iri, kind, doc, path, title, heading, body) VALUES (?, 'agency', NULL, NULL, ?, '', ?)",
                    [(iri, label, " ".join(sorted(alts))) for iri, (label, alts) in sorted(agencies.items())])
    con.executemany("INSERT OR IGNORE INTO place_key VALUES (?, ?)",
                    sorted((r["place"], r["key"]) for r in _rows(store, _Q_PLACES)))
    con.executemany("INSERT OR IGNORE INTO repeal VALUES (?, ?)", sorted((r["d"], r["by"]) for r in _rows(store, _Q_REPEALS)))


def _fill(con: sqlite3.Connection, store, docs: Iterable[str] | None, parts: bool = True) -> None:
    if docs is None:
        _write_graph_rows(con, store, None, parts)
    else:
        import pyoxigraph as ox

        for d in sorted(docs):
            con.execute("DELETE FROM entry WHERE doc = ?", (d,))
            con.execute("DELETE FROM doc WHERE iri = ?", (d,))
            res = store.query(_Q_GRAPH_OF, substitutions={ox.Variable("d"): ox.NamedNode(d)}, source="search index")
            for g in sorted({sol["g"].value for sol in res}):
                _write_graph_rows(con, store, g)
    _write_shared_rows(con, store)


# ---------------------------------------------------------------------- writing the index
def _new_file(path: Path) -> tuple[Path, sqlite3.Connection]:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp, isolation_level=None)
    con.executescript(_SCHEMA)
    con.execute("BEGIN")
    return tmp, con


def _usable(path: Path) -> bool:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (SCHEMA_VERSION,)
        finally:
            con.close()
    except sqlite3.Error:
        return False


def rebuild(store, path: str | os.PathLike, generation: str | None = None) -> dict:
    """Write the index of the whole store to ``path`` (a new file swapped in whole: readers see the old one or
    the new one). Returns counts per kind."""
    path = Path(path)
    tmp, con = _new_file(path)
    try:
        _fill(con, store, None)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation or "",))
        con.execute("COMMIT")
        counts = dict(con.execute("SELECT kind, COUNT(*) FROM entry GROUP BY kind ORDER BY kind").fetchall())
        con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        con.close()
        os.replace(tmp, path)
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    return counts


def sync(store, docs: set[str] | None, flush: Callable[[], None], prepared: Prepared | None = None) -> None:
    """Bring the index beside the embedded ``store`` in step with what a build wrote, around ``flush`` (which
    marks the store's new generation): the rows of ``docs`` (documents written or dropped; ``None``: all) are
    replaced in one transaction, committed with the new generation right after the flush; if the flush fails,
    the index is left as it was. ``prepared``: a new index a first build filled with the measures and
    provisions of every document it wrote; the rest is added and it replaces the index."""
    from policykg.store import generation

    path = index_path(store.path)
    whole = prepared is not None or docs is None or len(docs) > INCREMENTAL_MAX or not _usable(path)
    if prepared is not None:
        tmp, con = prepared.tmp, prepared.con
        prepared.used = True
    elif whole:
        tmp, con = _new_file(path)
    else:
        con = sqlite3.connect(path, isolation_level=None, timeout=30)
        con.execute("BEGIN IMMEDIATE")
    try:
        _fill(con, store, None if whole else docs, parts=prepared is None)
    except Exception as exc:  # the store is complete: flush it, and leave no index that would not match it
        if con.in_transaction:
            con.execute("ROLLBACK")
        con.close()
        (tmp if whole else path).unlink(missing_ok=True)
        flush()
        from policykg.errors import StoreError

        raise StoreError(f"the search index could not be updated ({exc}); it was removed: run `policykg "
                         "search-index`", str(path)) from exc
    try:
        flush()
        con.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation(store.path) or "",))
        con.execute("COMMIT")
        if whole:
            con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
            con.close()
            os.replace(tmp, path)
        else:
            con.close()
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        con.close()
        if whole:
            tmp.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------- searching
@dataclass
class Hit:
    iri: str
    kind: str
    doc: str | None
    path: str | None
    title: str
    snippet: str  # the passage with MARK_OPEN … MARK_CLOSE around each match
    doc_title: str | None = None
    doc_number: str | None = None
    place: str | None = None
    score: float | None = None

    def marked(self, open_: str, close: str, escape: Callable[[str], str] = lambda s: s) -> str:
        """The passage with each match between ``open_`` and ``close`` (the text escaped by ``escape``)."""
        out = []
        for i, piece in enumerate(re.split(f"[{MARK_OPEN}{MARK_CLOSE}]", self.snippet)):
            out.append((open_ if i % 2 else "") + escape(piece) + (close if i % 2 else ""))
        return "".join(out)

    def as_dict(self) -> dict:
        """JSON form: the passage as plain text and the [start, end) character ranges of the matches in it."""
        plain, marks, pos = [], [], 0
        for i, piece in enumerate(re.split(f"[{MARK_OPEN}{MARK_CLOSE}]", self.snippet)):
            if i % 2:
                marks.append([pos, pos + len(piece)])
            plain.append(piece)
            pos += len(piece)
        return {"iri": self.iri, "kind": self.kind, "title": self.title, "document": self.doc,
                "documentTitle": self.doc_title, "documentNumber": self.doc_number, "place": self.place,
                "path": self.path, "snippet": "".join(plain), "marks": marks,
                "score": None if self.score is None else round(self.score, 6)}


@dataclass
class Results:
    query: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    generation: str | None = None


def terms_of(query: str) -> list[str]:
    """The literal terms of a query: split on white space; nothing in it is FTS5 syntax."""
    if not isinstance(query, str) or not query.strip():
        raise SearchError("the query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(f"the query has {len(query)} characters; at most {MAX_QUERY_CHARS} are accepted")
    if any(c in query for c in (MARK_OPEN, MARK_CLOSE, "\x00")):
        raise SearchError("the query holds a character that cannot be searched for")
    terms = list(dict.fromkeys(query.split()))
    if len(terms) > MAX_TERMS:
        raise SearchError(f"the query has {len(terms)} terms; at most {MAX_TERMS} are accepted")
    return terms


def fts_phrase(term: str) -> str:
    """A term as one FTS5 string (a phrase): double quotes doubled, so AND, NEAR(, *, ^, : are plain text."""
    return '"' + term.replace('"', '""') + '"'


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def check_date(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    import datetime

    if not _DATE.match(value):
        raise SearchError(f"a date is written YYYY-MM-DD, not {value[:40]!r}")
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise SearchError(f"{value!r} is not a date")
    return value


_START = "COALESCE({d}.in_force, {d}.signed, {d}.published, {p}.in_force, {p}.signed, {p}.published)"
_IN_FORCE = f"""EXISTS (SELECT 1 FROM doc fd LEFT JOIN doc fp ON fp.iri = fd.promulgated_by
  WHERE fd.iri = e.doc AND {_START.format(d='fd', p='fp')} <= :on AND (fd.expiry IS NULL OR fd.expiry >= :on)
  AND NOT EXISTS (SELECT 1 FROM repeal r JOIN doc rd ON rd.iri = r.by LEFT JOIN doc rp ON rp.iri = rd.promulgated_by
                  WHERE r.doc = fd.iri AND {_START.format(d='rd', p='rp')} <= :on
                  AND {_START.format(d='rd', p='rp')} > {_START.format(d='fd', p='fp')}))"""
_PLACE = """EXISTS (SELECT 1 FROM doc pd JOIN place_key k ON k.place = pd.place WHERE pd.iri = e.doc AND k.key = :place)"""


def _mark_terms(text: str, terms: list[str], around: int = 30) -> str:
    """A passage of ``text`` around the first match of any term, every match marked (for the short terms,
    which ``snippet()`` cannot mark)."""
    low = text.lower()
    spans = []
    for t in terms:
        tl, start = t.lower(), 0
        while tl and (i := low.find(tl, start)) >= 0:
            spans.append((i, i + len(t)))
            start = i + len(t)
    if not spans:
        return text[:2 * around] + ("…" if len(text) > 2 * around else "")
    spans.sort()
    merged = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    lo = max(0, merged[0][0] - around)
    hi = min(len(text), merged[0][1] + 2 * around)
    out, pos = ["…" if lo else ""], lo
    for s, e in merged:
        if s >= hi:
            break
        out += [text[pos:s], MARK_OPEN, text[s:min(e, hi)], MARK_CLOSE]
        pos = min(e, hi)
    out.append(text[pos:hi] + ("…" if hi < len(text) else ""))
    return "".join(out)


def open_index(path: str | os.PathLike) -> sqlite3.Connection:
    """The index, read-only (a ``file:…?mode=ro`` URI): a search can never write."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(str(path))
    from urllib.parse import quote

    con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, check_same_thread=False)
    con.execute("PRAGMA query_only = 1")
    return con


def search(con: sqlite3.Connection, query: str, kind: str | None = None, place: str | None = None,
           in_force_on: str | None = None, limit: int = 20, offset: int = 0) -> Results:
    """The hits of ``query`` (literal terms, all required), best first; see the module docstring for the
    ranking and the filters. Every value reaches SQLite as a bound parameter."""
    terms = terms_of(query)
    if kind not in (None, "", *KINDS):
        raise SearchError(f"kind is one of {', '.join(KINDS)}, not {kind[:40]!r}")
    in_force_on = check_date(in_force_on)
    if place is not None and len(place) > MAX_QUERY_CHARS:
        raise SearchError("the place is too long")
    if not (isinstance(limit, int) and 1 <= limit <= MAX_LIMIT) or not (isinstance(offset, int) and 0 <= offset <= 100_000):
        raise SearchError(f"limit is 1 to {MAX_LIMIT}, offset 0 to 100000")
    long_terms = [t for t in terms if len(t) >= 3]
    short_terms = [t for t in terms if len(t) < 3]
    params: dict = {"limit": limit, "offset": offset, "on": in_force_on, "place": place or None, "kind": kind or None}
    where = []
    for i, t in enumerate(short_terms):
        params[f"s{i}"] = _like(t)
        where.append(f"(e.title LIKE :s{i} ESCAPE '\\' OR e.heading LIKE :s{i} ESCAPE '\\' OR e.body LIKE :s{i} ESCAPE '\\')")
    if kind:
        # unary +: with a full-text term the kind index must not drive the query (it would test every row)
        where.append("+e.kind = :kind" if long_terms else "e.kind = :kind")
    if place:
        where.append(_PLACE)
    if in_force_on:
        where.append(_IN_FORCE)
    cols = "e.iri, e.kind, e.doc, e.path, e.title, e.heading, e.body, d.title, COALESCE(d.number, pd.number), d.place_label"
    joins = "LEFT JOIN doc d ON d.iri = e.doc LEFT JOIN doc pd ON pd.iri = d.promulgated_by"
    if long_terms:
        params["match"] = " ".join(fts_phrase(t) for t in long_terms)
        cond = " AND ".join(["fts MATCH :match"] + where)
        base = f"FROM fts JOIN entry e ON e.id = fts.rowid {joins} WHERE {cond}"
        snip = f"'{MARK_OPEN}', '{MARK_CLOSE}', '…', {SNIPPET_TOKENS}"
        sql = (f"SELECT {cols}, bm25(fts, {TITLE_WEIGHT}, {HEADING_WEIGHT}, 1.0) AS score, "
               f"snippet(fts, -1, {snip}), snippet(fts, 2, {snip}) {base} "
               "ORDER BY score, e.kind, e.iri LIMIT :limit OFFSET :offset")
    else:
        # short terms only: title hits first, then the most occurrences of the first term, then the shortest text
        cond = " AND ".join(where)
        base = f"FROM entry e {joins} WHERE {cond}"
        params["t0"] = short_terms[0]
        sql = (f"SELECT {cols}, NULL, NULL, NULL {base} ORDER BY (e.title LIKE :s0 ESCAPE '\\') DESC, "
               "(e.heading LIKE :s0 ESCAPE '\\') DESC, "
               "(length(e.body) - length(replace(e.body, :t0, ''))) DESC, length(e.body), e.kind, e.iri "
               "LIMIT :limit OFFSET :offset")
    try:
        rows = con.execute(sql, params).fetchall()
        total = con.execute(f"SELECT COUNT(*) {base}", params).fetchone()[0]
        gen = con.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    except sqlite3.OperationalError as exc:  # not a query error (every term is a quoted phrase): a bad index
        raise RuntimeError(f"the search index could not be read ({exc})") from None
    hits = []
    for iri, k, doc, path, title, heading, body, dtitle, dnumber, dplace, score, snip, body_snip in rows:
        if body_snip and MARK_OPEN in body_snip and k in ("measure", "provision"):
            snip = body_snip  # a measure's own words rather than its part's heading
        if snip is None or (short_terms and MARK_OPEN not in snip):
            order = (body, heading, title) if k in ("measure", "provision") else (title, body, heading)
            text = next((x for x in order if any(t.lower() in x.lower() for t in terms)), order[0] or order[1])
            snip = _mark_terms(text, terms)
        elif short_terms:  # mark the short terms too, outside the marks snippet() set
            pieces = re.split(f"([{MARK_OPEN}{MARK_CLOSE}])", snip)
            plain = "".join(p for p in pieces if p not in (MARK_OPEN, MARK_CLOSE))
            snip = _mark_terms(plain, terms, around=len(plain)) if len(plain) < 400 else snip
        hits.append(Hit(iri=iri, kind=k, doc=doc, path=path, title=title or heading, snippet=snip, doc_title=dtitle,
                        doc_number=dnumber, place=dplace, score=score))
    return Results(query=query, hits=hits, total=total, generation=gen[0] if gen else None)


def dump(con: sqlite3.Connection) -> list[tuple]:
    """Everything the index says, in a total order (for comparisons: row ids may differ, content may not)."""
    out = []
    for table, order in (("doc", "iri"), ("place_key", "place, key"), ("repeal", "doc, by"),
                         ("entry", "kind, iri, doc, path, title, heading, body")):
        cols = "kind, iri, doc, path, title, heading, body" if table == "entry" else "*"
        out += [(table, *r) for r in con.execute(f"SELECT {cols} FROM {table} ORDER BY {order}")]
    return out
