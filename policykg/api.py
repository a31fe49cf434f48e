"""The Python API, for notebooks and scripts: ``kg = policykg.open(store)``.

::

    import policykg

    kg = policykg.open("policykg-store")            # an embedded store (a folder; built by kg.build if new)
    kg = policykg.open(endpoint="http://host:7878/query")   # or a remote SPARQL 1.1 store
    kg.build(["corpus/shanghai-2024"])               # files or folders, as `policykg build`
    kg.queries()                                     # the named queries: name, title, description, params, columns
    df = kg.query("measures", docNumber="沪府办发〔2024〕1号")   # a named query → a pandas DataFrame
    rows = kg.query("documents", as_frame=False)     # … or a list of dicts
    kg.sparql("SELECT ?t WHERE { ?d a pkg:Document ; dct:title ?t }")   # any SELECT (ASK: a bool)
    kg.audit(district="杨浦区")                       # the follow-up audit, as the dict documented in docs/audit.md
    kg.stats()                                       # the counts of `policykg stats`
    kg.close()                                       # or: with policykg.open(...) as kg: ...

**Results.** A SELECT gives a pandas ``DataFrame`` (one column per variable, in the query's order) when pandas
is installed (``pip install policykg[notebook]``), else a ``list`` of ``dict``; ``as_frame=False`` always gives
the list, ``as_frame=True`` requires pandas. Values are Python values by the literal's datatype:

=========================================================  ==================================
RDF term                                                   Python value
=========================================================  ==================================
IRI                                                        ``str`` (the IRI)
``xsd:integer`` and its derived types (``xsd:int``, …)     ``int``
``xsd:decimal``, ``xsd:double``, ``xsd:float``             ``float``
``xsd:boolean``                                            ``bool``
``xsd:date``                                               ``datetime.date``
``xsd:dateTime``                                           ``datetime.datetime``
``xsd:gYear``                                              ``int``
any other literal (strings, language-tagged text, …)       ``str`` (its lexical form)
a literal whose text is not valid for its datatype         ``str`` (its lexical form, unchanged)
blank node                                                 ``str`` (``_:label``)
unbound                                                    ``None``
=========================================================  ==================================

**Parameters** of a named query are keyword arguments. A value is bound as a plain literal (``str(value)``;
a ``datetime.date`` as ``YYYY-MM-DD``), or as an IRI when it is written in angle brackets (``"<https://…>"``),
as with ``policykg query --param``; it is bound as an RDF term, never pasted into the query text. ``limit`` and
``offset`` give one page (every named query has a total order).

**Errors** are :class:`policykg.errors.PolicyKGError` subclasses: :class:`~policykg.errors.QueryError` for an
unknown query, an unknown parameter or malformed SPARQL; :class:`~policykg.errors.StoreError` for a store that
cannot be opened (or is not built yet).

**Handles.** Reads use a read-only handle on the store (a snapshot: another process, ``policykg serve`` or
``policykg build``, may use the same folder meanwhile; ``kg.refresh()`` sees what a build elsewhere wrote);
:meth:`KG.build` holds the read-write handle only while it writes, and reads after it see the new build.
"""
from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any, Iterable

from policykg.errors import PolicyKGError, QueryError, StoreError
from policykg.settings import Settings

_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTS = {"integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "nonPositiveInteger",
         "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "gYear"}
_FLOATS = {"decimal", "double", "float"}


def value(term) -> Any:
    """A pyoxigraph term (or None) as a Python value, by its datatype (the table in the module docstring)."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if not isinstance(term, ox.Literal):
        return str(term)
    text, dt = term.value, term.datatype.value
    if not dt.startswith(_XSD):
        return text
    local = dt[len(_XSD):]
    try:
        if local in _INTS:
            return int(text)
        if local in _FLOATS:
            return float(text)
        if local == "boolean":
            if text in ("true", "1"):
                return True
            if text in ("false", "0"):
                return False
            return text
        if local == "date":
            return datetime.date.fromisoformat(text)
        if local == "dateTime":
            return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return text


def _pandas():
    try:
        import pandas
    except ImportError:
        return None
    return pandas


class KG:
    """A policykg store, embedded or remote, for notebooks and scripts. Made by :func:`open`."""

    def __init__(self, store: str | os.PathLike | None = None, *, endpoint: str | None = None,
                 update_endpoint: str | None = None, base: str | None = None, user: str | None = None,
                 password: str | None = None, timeout: float = 300, max_rows: int = 10000) -> None:
        if store is not None and endpoint is not None:
            raise PolicyKGError("give a store folder or an endpoint, not both", kind="usage")
        settings = Settings.from_env(store, base)
        self.base = settings.base
        self.endpoint = endpoint
        self.path = None if endpoint else Path(settings.store)
        self._remote = None
        self._reader = None
        if endpoint:
            from policykg.remote import RemoteStore

            self._remote = RemoteStore(endpoint, update_endpoint, timeout=timeout, base=self.base, user=user,
                                       password=password, max_rows=max_rows)

    def __repr__(self) -> str:
        return f"<policykg.KG {self.endpoint or self.path}>"

    # ------------------------------------------------------------------ handles
    def _read(self):
        if self._remote is not None:
            return self._remote
        if self._reader is None:
            from policykg.store import Store

            self._reader = Store(self.path, read_only=True)  # StoreError "is not a policykg store" if not built
        return self._reader

    def refresh(self) -> None:
        """See what another process wrote into the store since the last read (reads use a snapshot)."""
        self._reader = None

    def close(self) -> None:
        """Release the store (also at the end of a ``with`` block). The object can be used again: it reopens."""
        self._reader = None

    def __enter__(self) -> "KG":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    def build(self, paths: str | os.PathLike | Iterable[str | os.PathLike], *, reason: bool = True,
              jobs: int | None = None, strict: bool = False):
        """Build files and folders into the store, as ``policykg build`` (reasoning on unless ``reason=False``).

        Returns the :class:`policykg.loaders.build.BuildSummary` (``.documents``, ``.measures``, ``.errors``, …;
        ``.as_dict()``). Files that cannot be read are in ``summary.errors`` and the rest is built; with
        ``strict=True`` the first such error is raised instead, after the build."""
        from policykg.loaders.build import build

        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        paths = [str(p) for p in paths]
        if self._remote is not None:
            summary = build(paths, self._remote, self.base, progress=False, jobs=jobs, reason=reason)
        else:
            from policykg.store import Store

            self._reader = None  # the read-only snapshot would not see the build
            store = Store(self.path)
            try:
                summary = build(paths, store, self.base, progress=False, jobs=jobs, reason=reason)
            finally:
                del store  # the write lock goes with the handle
        if strict and summary.errors:
            raise summary.errors[0]
        return summary

    # ------------------------------------------------------------------ reading
    def queries(self, as_frame: bool | None = None):
        """The named queries: ``name``, ``title``, ``description``, ``params`` (name → description), ``columns``."""
        from policykg import queries as lib

        rows = [{"name": q.name, "title": q.title, "description": q.description, "params": dict(q.params),
                 "columns": list(q.columns)} for q in lib.library()]
        return self._table(rows, ["name", "title", "description", "params", "columns"], as_frame)

    def query(self, name: str, *, limit: int | None = None, offset: int | None = None, as_frame: bool | None = None,
              **params):
        """Run the named query ``name`` with its parameters as keyword arguments (see the module docstring)."""
        from policykg import queries as lib

        q = lib.load(name)  # QueryError naming the known queries
        unknown = sorted(set(params) - set(q.params))
        if unknown:
            raise QueryError(f"unknown parameter(s) {', '.join(unknown)}; this query takes: "
                             f"{', '.join(sorted(q.params)) or 'none'}", name)
        values = {k: _term(k, v) for k, v in params.items() if v is not None}
        return self._select(lib.bind(q.text, values, limit, offset), name, as_frame)

    def sparql(self, text: str, *, as_frame: bool | None = None):
        """Run a SPARQL query (the server's prefixes are predeclared: pkg:, eli:, dct: …). SELECT: a frame or
        rows; ASK: a bool; CONSTRUCT/DESCRIBE: rows of ``subject``, ``predicate``, ``object``."""
        return self._select(text, "sparql", as_frame)

    def audit(self, district: str | None = None, plan: str | None = None) -> dict:
        """The follow-up audit of ``policykg audit``, as the dict documented in docs/audit.md (``districts``, each
        with ``followed``, ``total``, ``sections``, ``links``, ``gaps``; ``districtsWithoutPlan`` …)."""
        from policykg.queries.audit import audit

        return audit(self._read(), self.base, district=district, plan=plan)

    def stats(self) -> dict:
        """What ``policykg stats --json`` prints: triples, named graphs, documents, measures, articles, …"""
        from policykg.cli import store_stats

        return store_stats(self._read(), self.base)

    # ------------------------------------------------------------------ helpers
    def _select(self, text: str, source: str, as_frame: bool | None):
        import pyoxigraph as ox

        result = self._read().query(text, source=source)
        if isinstance(result, ox.QueryBoolean):
            return bool(result)
        if isinstance(result, ox.QuerySolutions):
            columns = [v.value for v in result.variables]
            rows = [{c: value(sol[c]) for c in columns} for sol in result]
        else:  # triples of a CONSTRUCT or DESCRIBE (embedded or remote)
            columns = ["subject", "predicate", "object"]
            rows = [dict(zip(columns, (value(t.subject), value(t.predicate), value(t.object)))) for t in result]
        return self._table(rows, columns, as_frame)

    @staticmethod
    def _table(rows: list[dict], columns: list[str], as_frame: bool | None):
        if as_frame is False:
            return rows
        pandas = _pandas()
        if pandas is None:
            if as_frame:
                raise PolicyKGError("as_frame=True needs pandas: pip install policykg[notebook]", kind="usage")
            return rows
        return pandas.DataFrame(rows, columns=columns)


def _term(name: str, v):
    import pyoxigraph as ox

    if isinstance(v, (ox.NamedNode, ox.Literal)):
        return v
    if isinstance(v, bool) or not isinstance(v, (str, int, float, datetime.date)):
        raise QueryError(f"parameter {name} must be a string, a number or a date, not {type(v).__name__}")
    s = v.isoformat() if isinstance(v, datetime.date) else str(v)
    if s.startswith("<") and s.endswith(">"):
        try:
            return ox.NamedNode(s[1:-1])
        except ValueError as exc:
            raise QueryError(f"parameter {name}: a value in angle brackets must be an absolute IRI ({exc})")
    return ox.Literal(s)


def open(store: str | os.PathLike | None = None, *, endpoint: str | None = None, update_endpoint: str | None = None,
         base: str | None = None, user: str | None = None, password: str | None = None, timeout: float = 300,
         max_rows: int = 10000) -> KG:
    """A :class:`KG` on the embedded store in folder ``store`` (default ``$POLICYKG_STORE`` or ./policykg-store;
    it need not exist before :meth:`KG.build`), or on the remote SPARQL 1.1 store at ``endpoint`` (as
    ``--endpoint``: ``update_endpoint``, ``user``/``password`` for its HTTP authentication, ``timeout`` seconds,
    ``max_rows`` its own row cap). ``base`` is the base IRI of minted resources (default ``$POLICYKG_BASE`` or
    https://policykg.org/id/)."""
    return KG(store, endpoint=endpoint, update_endpoint=update_endpoint, base=base, user=user, password=password,
              timeout=timeout, max_rows=max_rows)
