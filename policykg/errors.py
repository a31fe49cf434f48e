"""The one error type of policykg, and how it prints.

Every problem a user can cause (a file that cannot be read, a malformed query, a
store that cannot be opened) is a :class:`PolicyKGError` naming *where* (a file,
and a place in it where known) and *what* was wrong. Only the CLI turns it into
an exit status; the server (later) turns it into a JSON body.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PolicyKGError(Exception):
    """A problem the user can act on.

    ``source`` is the file or resource concerned (may be empty), ``place`` a
    position in it ("line 12", "byte 0", "page 3") and ``reason`` the sentence
    saying what was wrong.
    """

    reason: str
    source: str = ""
    place: str = ""
    kind: str = "error"
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.source, self.place) if p)
        return f"{where}: {self.reason}" if where else self.reason

    def as_dict(self) -> dict:
        body = {"error": self.kind, "message": str(self), "reason": self.reason}
        if self.source:
            body["source"] = self.source
        if self.place:
            body["place"] = self.place
        if self.details:
            body["details"] = self.details
        return body


class ReadError(PolicyKGError):
    """A file could not be turned into text."""

    def __init__(self, reason: str, source: str = "", place: str = "") -> None:
        super().__init__(reason=reason, source=source, place=place, kind="read-error")


class QueryError(PolicyKGError):
    """A SPARQL query or named query could not be run."""

    def __init__(self, reason: str, source: str = "", place: str = "") -> None:
        super().__init__(reason=reason, source=source, place=place, kind="query-error")


class StoreError(PolicyKGError):
    """The store could not be opened or written."""

    def __init__(self, reason: str, source: str = "", place: str = "") -> None:
        super().__init__(reason=reason, source=source, place=place, kind="store-error")
