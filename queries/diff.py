"""Two editions of a document compared article by article (``policykg diff A B``, ``/diff?a=IRI&b=IRI``).

Articles (``pkg:Article``, 第N条) of A and B are aligned first by their number (``pkg:ordinal``) when the two
texts are alike (similarity at least :data:`SAME_NUMBER`), then — where numbering shifted (an article
inserted or removed before them) — by text similarity, the most similar pairs first (at least
:data:`MOVED`, :func:`difflib.SequenceMatcher` ratio on the text with the heading). What is left of A was
removed, what is left of B added. A pair whose text or heading differs is *changed*, with a character-level
diff of the text (``equal`` / ``delete`` / ``insert`` runs); a pair with the same text under another number
is *unchanged* but *renumbered*.

A document is named by its IRI, its number (发文字号, or the number of the decree or notice that issued it)
or its title; a title several documents bear (the editions themselves) must be given as an IRI or number.
Values are bound as RDF terms (substitutions), never written into the query text (pyoxigraph substitutes only
variables of the SELECT projection, so the bound variables are projected too).
"""
from __future__ import annotations

import difflib
import html
import json

import pyoxigraph as ox

from policykg.errors import QueryError

SAME_NUMBER = 0.5  # an article under the same number counts as the same article from this similarity on
MOVED = 0.5  # an article under another number, from this one (a dated final article with a repeal sentence added: 0.58)

_P = """PREFIX pkg: <https://policykg.org/ontology#> PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX dct: <http://purl.org/dc/terms/>
"""
_DOC = _P + """SELECT ?doc ?title ?type ?number ?force ?signed ?published WHERE {
  ?doc a pkg:Document ; dct:title ?title . OPTIONAL { ?doc pkg:documentType ?type }
  OPTIONAL { { ?doc eli:id_local ?number } UNION { ?doc pkg:promulgatedBy/eli:id_local ?number } }
  OPTIONAL { ?doc eli:first_date_entry_in_force ?force } OPTIONAL { ?doc eli:date_document ?signed }
  OPTIONAL { ?doc eli:date_publication ?published } } ORDER BY ?number ?title LIMIT 1"""
_BY_VALUE = _P + """SELECT DISTINCT ?doc ?v WHERE {
  { ?doc a pkg:Document ; eli:id_local ?v } UNION { ?doc a pkg:Document ; pkg:promulgatedBy/eli:id_local ?v }
  UNION { ?doc a pkg:Document ; dct:title ?t FILTER(STR(?t) = ?v) } } ORDER BY ?doc"""
_ARTICLES = _P + """SELECT ?doc ?a ?ordinal ?number ?heading ?text WHERE { ?a a pkg:Article ; pkg:inDocument ?doc .
  OPTIONAL { ?a pkg:ordinal ?ordinal } OPTIONAL { ?a pkg:number ?number } OPTIONAL { ?a pkg:heading ?heading }
  OPTIONAL { ?a pkg:text ?text } } ORDER BY ?ordinal ?a"""
_EDITION = _P + """SELECT ?a ?b ?p WHERE { ?a ?p ?b FILTER(?p IN (pkg:nextEdition, pkg:previousEdition)) } ORDER BY ?p"""


def store_select(store):
    """A ``select(text, bindings)`` over a policykg store: ``bindings`` maps variables to pyoxigraph terms."""
    def select(text: str, bindings: dict) -> list[dict]:
        res = store.query(text, substitutions={ox.Variable(k): v for k, v in bindings.items()}, source="diff")
        names = [v.value for v in res.variables]
        return [{n: (r[n].value if r[n] is not None else None) for n in names} for r in res]
    return select


def resolve(select, spec: str) -> str:
    """The document IRI ``spec`` names (an IRI, a number or a title); a :class:`QueryError` if none or several."""
    spec = (spec or "").strip()
    if not spec:
        raise QueryError("name a document by its IRI, number or title", "diff")
    if spec.startswith(("http://", "https://")) or (spec.startswith("<") and spec.endswith(">")):
        try:
            node = ox.NamedNode(spec.strip("<>"))
        except ValueError as exc:
            raise QueryError(f"not a valid IRI ({exc})", spec)
        if not select(_DOC, {"doc": node}):
            raise QueryError("no such document in the store", spec)
        return node.value
    found = [r["doc"] for r in select(_BY_VALUE, {"v": ox.Literal(spec)})]
    if not found:
        raise QueryError("no document in the store has this IRI, number or title", spec)
    if len(found) > 1:
        raise QueryError("several documents have this number or title; name one by its IRI: " + ", ".join(found), spec)
    return found[0]


def _document(select, iri: str) -> dict:
    r = select(_DOC, {"doc": ox.NamedNode(iri)})[0]
    return {"iri": iri, "title": r.get("title"), "type": (r.get("type") or "").rsplit("#", 1)[-1] or None, "number": r.get("number"),
            "from": r.get("force") or r.get("signed") or r.get("published")}


def _articles(select, iri: str) -> list[dict]:
    out, seen = [], set()
    for r in select(_ARTICLES, {"doc": ox.NamedNode(iri)}):
        if r.get("a") in seen:
            continue
        seen.add(r.get("a"))
        out.append({"iri": r.get("a"), "ordinal": int(r.get("ordinal")) if r.get("ordinal") else None, "number": r.get("number"),
                    "heading": r.get("heading"), "text": r.get("text") or ""})
    return out


def _ratio(a: dict, b: dict) -> float:
    x, y = (a["heading"] or "") + a["text"], (b["heading"] or "") + b["text"]
    if x == y:
        return 1.0
    m = difflib.SequenceMatcher(None, x, y, autojunk=False)
    if m.real_quick_ratio() < SAME_NUMBER or m.quick_ratio() < SAME_NUMBER:  # upper bounds, below every threshold
        return 0.0
    return m.ratio()


def char_diff(a: str, b: str) -> list[list[str]]:
    """Runs ``[op, text]`` turning ``a`` into ``b`` (op: equal, delete, insert), character by character."""
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(["equal", a[i1:i2]])
        else:
            if i2 > i1:
                out.append(["delete", a[i1:i2]])
            if j2 > j1:
                out.append(["insert", b[j1:j2]])
    return out


def align(old: list[dict], new: list[dict]) -> list[tuple[int | None, int | None, float]]:
    """Pairs (index in old, index in new, similarity); None on one side for a removed or added article."""
    pairs, used_a, used_b = [], set(), set()
    by_number = {a["ordinal"]: i for i, a in enumerate(old) if a["ordinal"] is not None}
    for j, b in enumerate(new):
        i = by_number.get(b["ordinal"])
        if i is not None and i not in used_a:
            r = _ratio(old[i], b)
            if r >= SAME_NUMBER:
                pairs.append((i, j, r))
                used_a.add(i)
                used_b.add(j)
    scored = sorted(((-_ratio(old[i], new[j]), i, j) for i in range(len(old)) if i not in used_a
                     for j in range(len(new)) if j not in used_b))
    for neg, i, j in scored:
        if -neg < MOVED:
            break
        if i in used_a or j in used_b:
            continue
        pairs.append((i, j, -neg))
        used_a.add(i)
        used_b.add(j)
    pairs += [(i, None, 0.0) for i in range(len(old)) if i not in used_a]
    pairs += [(None, j, 0.0) for j in range(len(new)) if j not in used_b]
    return pairs


def _order(pairs, old_len) -> list:
    """In B's order; a removed article after the B article that A's article before it became (else first)."""
    place_of_a = {i: j for i, j, _ in pairs if i is not None and j is not None}

    def key(p):
        i, j, _ = p
        if j is not None:
            return (j, 0, 0)
        before = [place_of_a[k] for k in range(i - 1, -1, -1) if k in place_of_a][:1]
        return (before[0] if before else -1, 1, i)
    return sorted(pairs, key=key)


def _article(a: dict | None) -> dict | None:
    return None if a is None else {k: a[k] for k in ("iri", "ordinal", "number", "heading", "text")}


def diff(select, a: str, b: str) -> dict:
    """The comparison of documents ``a`` and ``b`` (IRIs, numbers or titles) as a JSON-ready dict."""
    ia, ib = resolve(select, a), resolve(select, b)
    old, new = _articles(select, ia), _articles(select, ib)
    edition = select(_EDITION, {"a": ox.NamedNode(ia), "b": ox.NamedNode(ib)})
    relation = {"https://policykg.org/ontology#nextEdition": "b-is-next-edition-of-a",
                "https://policykg.org/ontology#previousEdition": "b-is-previous-edition-of-a"}
    entries, counts = [], {"added": 0, "removed": 0, "changed": 0, "unchanged": 0, "renumbered": 0}
    for i, j, r in _order(align(old, new), len(old)):
        x, y = (old[i] if i is not None else None), (new[j] if j is not None else None)
        if x is None or y is None:
            status = "added" if x is None else "removed"
        else:
            status = "unchanged" if (x["text"], x["heading"]) == (y["text"], y["heading"]) else "changed"
        e = {"status": status, "a": _article(x), "b": _article(y)}
        if x is not None and y is not None:
            e["similarity"] = round(r, 3)
            e["renumbered"] = x["ordinal"] != y["ordinal"]
            counts["renumbered"] += e["renumbered"]
            if status == "changed":
                e["diff"] = char_diff(x["text"], y["text"])
        counts[status] += 1
        entries.append(e)
    return {"a": _document(select, ia), "b": _document(select, ib),
            "editions": relation.get(edition[0].get("p")) if edition else None,
            "articles": {"a": len(old), "b": len(new)}, "summary": counts, "entries": entries}


def as_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2) + "\n"


def _label(art: dict) -> str:
    n = f"第{art['number']}条" if art["number"] else f"article {art['ordinal']}"
    return n + (f"（{art['heading']}）" if art["heading"] else "")


def _inline(runs) -> str:
    return "".join(t if op == "equal" else (f"[-{t}-]" if op == "delete" else f"{{+{t}+}}") for op, t in runs)


def as_text(report: dict) -> str:
    """The comparison for a terminal: deleted text as ``[-…-]``, inserted as ``{+…+}``."""
    lines = []
    for side in ("a", "b"):
        d = report[side]
        lines.append(f"{side.upper()}: {d['title']} ({d['number'] or 'no number'}; in force from {d['from'] or 'unknown'})")
        lines.append(f"   {d['iri']}")
    lines.append("editions: " + {"b-is-next-edition-of-a": "B is the next edition of A",
                                 "b-is-previous-edition-of-a": "B is the previous edition of A"}.get(report["editions"] or "",
                                                                                                   "not linked as editions"))
    s = report["summary"]
    lines.append(f"articles: {report['articles']['a']} in A, {report['articles']['b']} in B — {s['added']} added, "
                 f"{s['removed']} removed, {s['changed']} changed, {s['unchanged']} unchanged ({s['renumbered']} renumbered)")
    for e in report["entries"]:
        a, b = e["a"], e["b"]
        if e["status"] == "added":
            lines += ["", f"+ added {_label(b)}", f"    {b['text']}"]
        elif e["status"] == "removed":
            lines += ["", f"- removed {_label(a)}", f"    {a['text']}"]
        elif e["status"] == "changed":
            head = _label(a) if _label(a) == _label(b) else f"{_label(a)} → {_label(b)}"
            lines += ["", f"~ changed {head}", f"    {_inline(e['diff'])}"]
        elif e["renumbered"]:
            lines += ["", f"= renumbered {_label(a)} → {_label(b)}"]
    return "\n".join(lines) + "\n"


def html_body(report: dict, link=lambda iri: iri) -> str:
    """The comparison as an HTML fragment (every value escaped); ``link`` maps an IRI to its page address."""
    esc = html.escape
    parts = ['<div class="docs">']
    for side in ("a", "b"):
        d = report[side]
        parts.append(f'<div class="doc"><b>{side.upper()}</b> <a href="{esc(link(d["iri"]))}">{esc(d["title"])}</a>'
                     f' <span class="muted">{esc(d["number"] or "no number")} · in force from {esc(d["from"] or "unknown")}</span></div>')
    parts.append("</div>")
    rel = {"b-is-next-edition-of-a": "B is the next edition of A",
           "b-is-previous-edition-of-a": "B is the previous edition of A"}.get(report["editions"] or "", "not linked as editions")
    s = report["summary"]
    parts.append(f'<p class="summary"><span class="editions">{esc(rel)}</span> · {report["articles"]["a"]} articles in A, '
                 f'{report["articles"]["b"]} in B: <span class="n-added">{s["added"]} added</span>, '
                 f'<span class="n-removed">{s["removed"]} removed</span>, <span class="n-changed">{s["changed"]} changed</span>, '
                 f'{s["unchanged"]} unchanged ({s["renumbered"]} renumbered)</p>')
    parts.append('<table class="diff"><thead><tr><th>A</th><th>B</th></tr></thead><tbody>')
    for e in report["entries"]:
        a, b = e["a"], e["b"]

        def cell(art, body=None):
            if art is None:
                return "<td></td>"
            return (f'<td><a class="num" href="{esc(link(art["iri"]))}">{esc(_label(art))}</a>'
                    f'<div class="t">{body if body is not None else esc(art["text"])}</div></td>')
        if e["status"] == "changed":
            left = "".join(esc(t) if op == "equal" else f"<del>{esc(t)}</del>" for op, t in e["diff"] if op != "insert")
            right = "".join(esc(t) if op == "equal" else f"<ins>{esc(t)}</ins>" for op, t in e["diff"] if op != "delete")
            row = cell(a, left) + cell(b, right)
        else:
            row = cell(a) + cell(b)
        parts.append(f'<tr class="{esc(e["status"])}">{row}</tr>')
    parts.append("</tbody></table>")
    return "".join(parts)


STYLE = """.docs{display:grid;grid-template-columns:1fr 1fr;gap:1em}.diff{border-collapse:collapse;width:100%;margin-top:1em}
.diff td,.diff th{border:1px solid #ddd;vertical-align:top;padding:.4em;width:50%}.diff .t{white-space:pre-wrap}
tr.added td:nth-child(2){background:#e6ffec}tr.removed td:nth-child(1){background:#ffebe9}tr.changed td{background:#fffbe6}
ins{background:#abf2bc;text-decoration:none}del{background:#ffc0c0}.num{font-weight:bold;text-decoration:none}
.n-added{color:#1a7f37}.n-removed{color:#cf222e}.n-changed{color:#9a6700}"""


def as_html(report: dict) -> str:
    """A whole page (``policykg diff --format html``)."""
    title = f"diff: {report['a']['title']}"
    return (f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>body{{font-family:sans-serif}}.muted{{color:#777}}{STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{html_body(report)}</body></html>\n")
