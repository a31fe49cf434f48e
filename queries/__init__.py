"""The named SPARQL query library.

Each ``.rq`` file here is one named query (its name is the file name). It starts
with a comment header::

    # title: Documents
    # description: One row per document …
    # param: docNumber — only this document number (optional)
    # columns: ?doc ?docNumber ?title …

Parameter ``NAME`` is written ``$param_NAME`` in the query (SPARQL treats ``$x``
and ``?x`` as one variable, so a parameter needs a name of its own, apart from
the output columns). A value given with ``--param NAME=VALUE`` is bound by a
``VALUES`` block at the start of the query's outer ``WHERE`` group, written by
the RDF term serialiser (so a value is always one escaped term, never query
text); a parameter not given stays unbound, and queries test it with
``!BOUND($param_NAME)``. Values are plain literals; a value in angle brackets,
``<https://…>``, is an IRI.

**Scope lines.** A filter on an unbound-or-equal parameter cannot use an index:
the engine computes every row, then keeps a few (3 s for one plan's measures in a
1,000-document store). So a query may also carry, as a *comment*, the pattern
that selects the scope directly::

    #with docNumber: { ?doc eli:id_local $param_docNumber } UNION { … }

When ``docNumber`` is given, :func:`bind` turns that comment into query text, so
the engine starts from the one document (15 ms); when it is not, the line stays
a comment — and the file, pasted as it is into YASGUI, means the same thing.
A scope line may name several parameters, ``#with district plan:`` (all given) or
``#with district !plan:`` (the first given, the second not), where the best place
to start depends on which are given (the audit queries: one district and one plan
start from the plan's measures, 1.6 s → 30 ms at 10,000 documents).

**Pages.** Every named query has a total order (its ``ORDER BY`` ends with the row's
own IRI or key), so ``limit`` and ``offset`` (``policykg query NAME --limit 100
--offset 200``, ``/queries/NAME?limit=100&offset=200``) return stable pages whose
concatenation is the whole answer. They become ``LIMIT``/``OFFSET`` at the end of the
query — or, where the query marks its inner ordered subquery with a ``#page`` comment
line, there, so that the engine orders only the keys before it fetches the rest of a
page's columns (``documents`` at 10,000 documents).

A query whose whole answer is best computed flat, but whose pages are best read through
such a subquery, writes the subquery's own lines as scope lines of the reserved name
``page`` (``#with page: …``, ``#with !page: …``): they become query text only when a
page is asked for (``followups``: the first page of a whole district at 10,000
documents 0.66 s flat, 0.18 s through the subquery; the whole district 0.86 s flat,
over 2 s through it, because the engine then joins every link of the store). The file
as written is the flat query. No parameter may be called ``page``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from policykg.errors import QueryError

_HEADER = re.compile(r"^#\s*(?P<key>title|description|param|columns)\s*:\s*(?P<value>.*)$")
_PARAM = re.compile(r"[$?]param_([A-Za-z0-9_]+)")
_TYPED = re.compile(r"^(?P<name>[A-Za-z0-9_]+)\s*\((?P<type>date)\)$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"
PARAM_PREFIX = "param_"


@dataclass
class NamedQuery:
    name: str
    text: str
    title: str = ""
    description: str = ""
    params: dict[str, str] = field(default_factory=dict)  # name → description
    types: dict[str, str] = field(default_factory=dict)  # name → declared type (``date``)
    columns: list[str] = field(default_factory=list)
    path: str = ""

    @classmethod
    def parse(cls, name: str, text: str, path: str = "") -> "NamedQuery":
        q = cls(name=name, text=text, path=path)
        for line in text.splitlines():
            if not line.startswith("#"):
                if line.strip():
                    break
                continue
            m = _HEADER.match(line)
            if not m:
                continue
            key, value = m["key"], m["value"].strip()
            if key == "title":
                q.title = value
            elif key == "description":
                q.description = (q.description + " " + value).strip()
            elif key == "param":
                parts = re.split(r"\s+[—–-]\s+", value, maxsplit=1)
                name = parts[0].strip()
                typed = _TYPED.match(name)
                if typed:
                    name = typed["name"]
                    q.types[name] = typed["type"]
                q.params[name] = parts[1].strip() if len(parts) > 1 else ""
            elif key == "columns":
                q.columns = [c.lstrip("?") for c in value.split()]
        # parameters are derived from the text; the header documents them
        body = "\n".join(l for l in text.splitlines() if not l.startswith("#"))
        for p in _PARAM.findall(body):
            q.params.setdefault(p, "")
        if PAGE_SCOPE in q.params:
            raise QueryError(f"no parameter may be called {PAGE_SCOPE!r}: it names the scope lines of a page", path or name)
        return q


_WHERE = re.compile(r"\bWHERE\s*\{", re.I)


def date_term(value: str, name: str = "on"):
    """An ``xsd:date`` literal from ``YYYY-MM-DD`` (a real calendar date), else a :class:`QueryError`."""
    import datetime

    import pyoxigraph as ox

    ok = isinstance(value, str) and bool(_DATE.match(value))
    if ok:
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            ok = False
    if not ok:
        raise QueryError(f"must be a date written YYYY-MM-DD (e.g. 2024-06-01), not {value!r}", f"parameter {name}")
    return ox.Literal(value, datatype=ox.NamedNode(XSD_DATE))


def term(q: "NamedQuery", name: str, value: str):
    """The RDF term a parameter value is bound as: checked against the parameter's declared type (``date``:
    :func:`date_term`); otherwise a plain literal, or an IRI when written in angle brackets (a
    :class:`QueryError` if it is not an absolute IRI)."""
    import pyoxigraph as ox

    if q.types.get(name) == "date":
        return date_term(value, name)
    if value.startswith("<") and value.endswith(">"):
        try:
            return ox.NamedNode(value[1:-1])
        except ValueError as exc:
            raise QueryError(f"a value in angle brackets must be an absolute IRI ({exc})", f"parameter {name}")
    return ox.Literal(value)


def rows(store, q: str) -> list[dict]:
    """A SELECT's solutions as dicts of plain values (None where unbound), from the embedded or a remote store."""
    res = store.query(q)
    names = [v.value for v in res.variables]
    return [{n: (r[n].value if r[n] is not None else None) for n in names} for r in res]


_SCOPE = re.compile(r"(?m)^(?P<indent>[ \t]*)#with (?P<name>!?[A-Za-z0-9_]+(?: +!?[A-Za-z0-9_]+)*):[ \t]?(?P<code>.*)$")


def _scope_applies(names: str, values: dict) -> bool:
    """``district``: given; ``district plan``: both given; ``district !plan``: the first given, not the second."""
    return all((n[1:] not in values) if n.startswith("!") else (n in values) for n in names.split())


PAGE_SCOPE = "page"  # the reserved name of scope lines that apply when a page is asked for


def _is_page_scope(names: str) -> bool:
    return PAGE_SCOPE in {n.lstrip("!") for n in names.split()}


def _apply_scopes(text: str, values: dict | None, page: bool) -> str:
    """Scope lines turned into query text where they apply. ``values`` None: only those of ``page``, by whether a
    page is asked for (they may name no parameter); else only the others, by the parameters given."""
    def one(m: re.Match) -> str:
        names = m["name"]
        if _is_page_scope(names) != (values is None):
            return m.group(0)
        if values is None:
            if {n.lstrip("!") for n in names.split()} != {PAGE_SCOPE}:
                raise QueryError(f"a scope line of {PAGE_SCOPE!r} may not name parameters too: {m.group(0).strip()}")
            applies = _scope_applies(names, {PAGE_SCOPE: True} if page else {})
        else:
            applies = _scope_applies(names, values)
        return m["indent"] + m["code"] if applies else m.group(0)

    return _SCOPE.sub(one, text)


_PAGE = re.compile(r"(?m)^(?P<indent>[ \t]*)#page[ \t]*$")
PAGE_MAX = 1_000_000


def page_clause(limit: int | None, offset: int | None) -> str:
    """``LIMIT n OFFSET m`` for a page (checked: non-negative integers), or an empty string."""
    out = []
    for name, value in (("LIMIT", limit), ("OFFSET", offset)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= PAGE_MAX * 1000:
            raise QueryError(f"{name.lower()} must be an integer from 0 to {PAGE_MAX * 1000}, not {value!r}")
        out.append(f"{name} {value}")
    return " ".join(out)


def bind(text: str, values: dict, limit: int | None = None, offset: int | None = None) -> str:
    """The query with parameters bound: ``values`` maps NAME to a pyoxigraph term (scope lines of the given
    parameters turned into query text, see the module docstring); ``limit``/``offset`` make it one page.
    The ``VALUES`` block opens the outer ``WHERE`` group — or, in a query with a ``#page`` subquery, that
    subquery's group, where its parameters and scope lines are."""
    page = page_clause(limit, offset)
    text = _apply_scopes(text, None, bool(page))  # a page's own lines first: they may hold the #page marker
    marker = _PAGE.search(text)
    # where the parameters go: the group of the WHERE nearest before the page marker, else the first
    wheres = list(_WHERE.finditer(_strip_comments(text)))
    if values and not wheres:
        raise QueryError("parameters need a query with a WHERE clause")
    where = ([w for w in wheres if w.end() <= marker.start()] or wheres)[-1] if marker and wheres else (wheres[0] if wheres else None)
    if values:
        block = " ".join(f"VALUES ?{PARAM_PREFIX}{k} {{ {v} }}" for k, v in sorted(values.items()))
        text = text[: where.end()] + " " + block + " " + text[where.end():]
        text = _apply_scopes(text, values, bool(page))
    if page:
        if marker:
            text = _PAGE.sub(lambda m: m["indent"] + page, text, count=1)
        else:
            text = text.rstrip() + "\n" + page + "\n"
    return text


def _strip_comments(text: str) -> str:
    """Comments blanked out (same length), so positions still match the text."""
    return re.sub(r"(?m)^\s*#.*$", lambda m: " " * len(m.group(0)), text)


def _library_dir():
    return resources.files(__name__)


def names() -> list[str]:
    return sorted(Path(str(f)).stem for f in _library_dir().iterdir() if str(f).endswith(".rq"))


def load(name: str) -> NamedQuery:
    f = _library_dir().joinpath(f"{name}.rq")
    if not f.is_file():
        raise QueryError(f"no such named query; known: {', '.join(names())}", name)
    return NamedQuery.parse(name, f.read_text(encoding="utf-8"), str(f))


def load_file(path: str) -> NamedQuery:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise QueryError(f"cannot be read ({exc.strerror})", str(p))
    return NamedQuery.parse(p.stem, text, str(p))


def library() -> list[NamedQuery]:
    return [load(n) for n in names()]
