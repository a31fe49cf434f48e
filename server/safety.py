"""What a public endpoint refuses before running anything, decided on the *parsed* query.

pyoxigraph executes ``SERVICE <url>`` and ``LOAD <url>`` by making real HTTP requests: a server-side request
forgery hole. A scan of the query text cannot close it (strings, comments and IRIs can hide a keyword from a
scan that the engine then sees), so every query and update is parsed with rdflib's SPARQL 1.1 parser and the
parse tree is walked:

* the text is first made one that rdflib and Oxigraph read alike (:func:`prepare`: ``\\u`` escapes
  expanded, a bare carriage return refused), and the engine runs that text;
* a text that does not parse is refused (400, ``query-error``, "malformed SPARQL …");
* ``SERVICE`` anywhere in a query or an update, and ``LOAD``, are refused (400, ``refused``);
* ``FROM`` / ``FROM NAMED`` (queries) and ``USING`` / ``USING NAMED`` (updates) may only name graphs of the
  store (else 400, ``refused``); they are honoured, never ignored (see :func:`dataset_kwargs`);
* ``WITH <g>`` names the graph an update modifies in this store; it is never fetched, so it is allowed.

The protocol's ``using-graph-uri`` / ``using-named-graph-uri`` are validated as IRIs and written into the
update by :func:`with_using`, whose result is parsed again and must differ from the original only by those
USING clauses. Behind all this, the worker processes cannot open network connections at all
(:mod:`.sandbox`).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin


class Refused(Exception):
    """A request the endpoint will not run: ``kind`` is the JSON error kind, the message says why."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Analysis:
    form: str | None  # SELECT | ASK | CONSTRUCT | DESCRIBE (None for an update)
    service: bool = False
    load: bool = False
    from_default: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()
    using: tuple[tuple[str, ...], ...] = ()  # per Modify operation: its USING / USING NAMED graphs ("named:" prefix)
    with_graphs: tuple[str, ...] = ()
    modify_ops: int = 0
    unresolved: tuple[str, ...] = field(default=())  # prefixed names with an unknown prefix
    ordered: bool = False  # the query (not a sub-query of it) has an ORDER BY

    def refusal(self, graphs_in_store: set[str]) -> str | None:
        """Why the request must be refused, or None."""
        if self.service:
            return "SERVICE is refused: this endpoint does not query other endpoints"
        if self.load:
            return "LOAD is refused: this endpoint does not fetch remote data"
        if self.unresolved:
            return f"unknown prefix in a dataset clause: {', '.join(self.unresolved)}"
        named = [g for g in self.from_default + self.from_named if g not in graphs_in_store]
        named += [g.removeprefix("named:") for u in self.using for g in u if g.removeprefix("named:") not in graphs_in_store]
        if named:
            return f"FROM/USING of a graph that is not in the store is refused: {', '.join(sorted(set(named)))}"
        return None


_FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}
_LOCK = threading.Lock()  # pyparsing keeps state in the grammar objects: one parse at a time


def _parse(text: str, update: bool):
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    with _LOCK:
        try:
            return (parseUpdate if update else parseQuery)(text)
        except ParseBaseException as exc:
            raise Refused("query-error", f"malformed SPARQL{' update' if update else ''}: {str(exc).splitlines()[0][:300]}")
        except (RecursionError, ValueError, TypeError, AttributeError) as exc:  # rdflib refuses what it cannot build
            raise Refused("query-error", f"malformed SPARQL{' update' if update else ''} (not accepted by the checking "
                                         f"parser): {type(exc).__name__}: {str(exc)[:200]}")


def _walk(node):
    """Every CompValue of a parse tree, depth first (iteratively: deep nesting is not a RecursionError)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, CompValue):
            yield n
            stack.extend(n.values())
        elif isinstance(n, (ParseResults, list, tuple)):
            stack.extend(n)
        elif isinstance(n, dict):
            stack.extend(n.values())


def _prologue(tree, prefixes: dict[str, str], base: str | None):
    known, b = dict(prefixes), base
    for c in _walk(tree):
        if c.name == "PrefixDecl":
            known[str(dict.get(c, "prefix") or "")] = str(c["iri"])
        elif c.name == "Base":
            b = urljoin(b or "", str(c["iri"]))
    return known, b


def _iri(term, known: dict[str, str], base: str | None, unresolved: list[str]) -> str:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(term, CompValue) and term.name == "pname":
        prefix = str(dict.get(term, "prefix") or "")
        if prefix not in known:
            unresolved.append(f"{prefix}:")
            return f"{prefix}:{dict.get(term, 'localname') or ''}"
        return known[prefix] + str(dict.get(term, "localname") or "")
    return urljoin(base or "", str(term)) if base else str(term)


@lru_cache(maxsize=512)
def _analyse(text: str, update: bool, prefixes: tuple, base: str | None) -> Analysis:
    tree = _parse(text, update)
    known, b = _prologue(tree, dict(prefixes), base)
    unresolved: list[str] = []
    form, service, load = None, False, False
    from_default, from_named, using, withs, modify = [], [], [], [], 0
    for c in _walk(tree):
        if c.name in _FORMS and form is None:
            form = _FORMS[c.name]
        elif c.name == "ServiceGraphPattern":
            service = True
        elif c.name == "Load":
            load = True
        elif c.name == "DatasetClause":
            if dict.get(c, "default") is not None:
                from_default.append(_iri(c["default"], known, b, unresolved))
            else:
                from_named.append(_iri(c["named"], known, b, unresolved))
        elif c.name == "Modify":
            modify += 1
            graphs = []
            for u in dict.get(c, "using") or []:
                if dict.get(u, "default") is not None:
                    graphs.append(_iri(u["default"], known, b, unresolved))
                else:
                    graphs.append("named:" + _iri(u["named"], known, b, unresolved))
            using.append(tuple(graphs))
            if dict.get(c, "withClause") is not None:
                withs.append(_iri(c["withClause"], known, b, unresolved))
    return Analysis(form=form, service=service, load=load, from_default=tuple(from_default),
                    from_named=tuple(from_named), using=tuple(u for u in using if u), with_graphs=tuple(withs),
                    modify_ops=modify, unresolved=tuple(unresolved), ordered=_ordered(tree, update))


def _ordered(tree, update: bool) -> bool:
    """Whether the query itself (not one of its sub-queries) sorts its solutions."""
    if update:
        return False
    query = tree[1] if len(tree) > 1 else None
    return bool(query is not None and dict.get(query, "orderby") is not None)


_BARE_CR = re.compile(r"\r(?!\n)")


def prepare(text: str) -> str:
    """The text both parsers will read, or :class:`Refused`. The check parses with rdflib, the engine is
    Oxigraph: where they could read one text two ways, the text is made unambiguous or refused, so the
    parse tree that was checked is the query that runs.

    * ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes: SPARQL expands them before parsing (rdflib does, everywhere);
      Oxigraph only inside strings and IRIs, where an escaped quote would not end a string that rdflib sees
      ended. They are expanded here, and the engine gets the expanded text; an expansion that writes new
      escapes is refused.
    * a carriage return not followed by a line feed ends a comment for Oxigraph but not for rdflib's
      parser, so ``# …\\r SERVICE <…>`` hid SERVICE from the check: refused.
    """
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes

    try:
        expanded = expandUnicodeEscapes(text)
        again = expandUnicodeEscapes(expanded)
    except ValueError as exc:
        raise Refused("query-error", f"malformed SPARQL: {exc}")
    if again != expanded:
        raise Refused("query-error", "malformed SPARQL: a \\u escape that writes another escape is refused")
    if _BARE_CR.search(expanded):
        raise Refused("query-error", "malformed SPARQL: a carriage return not followed by a line feed is refused "
                                     "(end lines with LF or CRLF)")
    return expanded


def analyse(text: str, update: bool = False, prefixes: dict[str, str] | None = None, base: str | None = None) -> Analysis:
    """Parse a query (or an update) and say what it asks for; raises :class:`Refused` when it does not parse."""
    return _analyse(text, update, tuple(sorted((prefixes or {}).items())), base)


def iri(value: str, what: str = "IRI") -> str:
    """An absolute IRI checked by pyoxigraph, as the term serialiser writes it (``<…>``); raises
    :class:`Refused` (a 400) for anything else, so a request value never becomes query text."""
    import pyoxigraph as ox

    try:
        return str(ox.NamedNode(value))
    except (ValueError, TypeError) as exc:
        raise Refused("bad-request", f"{what} is not a valid absolute IRI: {str(value)[:200]!r} ({exc})")


def check_graph_iris(values: list[str], what: str) -> list[str]:
    """Protocol parameters that name graphs, validated (raises :class:`Refused`)."""
    for v in values:
        iri(v, what)
    return values


def dataset_kwargs(analysis: Analysis, default_graphs: list[str], named_graphs: list[str]) -> dict:
    """The dataset for ``pyoxigraph.Store.query``. The protocol's default-graph-uri / named-graph-uri override the
    query's FROM / FROM NAMED (SPARQL 1.1 Protocol, 2.1.4); a query with FROM / FROM NAMED is run on that
    dataset (the union default graph is only the default when the query names no dataset)."""
    if default_graphs or named_graphs:
        return {"default_graphs": list(default_graphs), "named_graphs": list(named_graphs)}
    if analysis.from_default or analysis.from_named:
        return {"default_graphs": list(analysis.from_default), "named_graphs": list(analysis.from_named),
                "query_dataset": True}
    return {"default_graphs": [], "named_graphs": []}


_WHERE = re.compile(r"(?i)(?<![\w?$:])WHERE(?![\w:])")


def _plain(node):
    """A parse tree as plain, comparable values."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        return (node.name, tuple(sorted((k, _plain(v)) for k, v in node.items() if k != "using")))
    if isinstance(node, (ParseResults, list, tuple)):
        return tuple(_plain(x) for x in node)
    if isinstance(node, dict):
        return tuple(sorted((k, _plain(v)) for k, v in node.items()))
    return (type(node).__name__, str(node))


def with_using(text: str, default: list[str], named: list[str], prefixes: dict[str, str] | None = None,
               base: str | None = None) -> str:
    """The update with the protocol's dataset (using-graph-uri / using-named-graph-uri) written as USING /
    USING NAMED in each DELETE/INSERT … WHERE. The graph names are IRIs checked by pyoxigraph and written by
    its serialiser; the result is parsed again and must be the original update plus exactly these USING
    clauses in each of its operations, else the request is refused (never run altered)."""
    terms = [f"USING {iri(g, 'using-graph-uri')}" for g in default] + \
            [f"USING NAMED {iri(g, 'using-named-graph-uri')}" for g in named]
    original = analyse(text, True, prefixes, base)
    if original.using or original.with_graphs:
        raise Refused("bad-request", "give the dataset either as using-graph-uri/using-named-graph-uri or as USING/WITH, not both")
    clause = " ".join(terms) + " "
    spliced = _WHERE.sub(lambda m: clause + m.group(0), text)
    expected = tuple([g for g in default] + ["named:" + g for g in named])
    try:
        after = analyse(spliced, True, prefixes, base)
        same = _plain(_parse(spliced, True)) == _plain(_parse(text, True))
    except Refused:
        same, after = False, None
    if not same or after.modify_ops != original.modify_ops or list(after.using) != [expected] * original.modify_ops:
        raise Refused("bad-request", "using-graph-uri/using-named-graph-uri could not be applied to this update "
                                     "(write USING in the update instead)")
    return spliced
