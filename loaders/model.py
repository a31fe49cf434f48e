"""Plain records passed between the loader stages.

read → :class:`SourceText`; normalise → :class:`NormalText`; split → spans;
structure + metadata → :class:`Document` with a tree of :class:`Provision`.
Every stage is a function over these records; none touches the store.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class SourceText:
    """The text of one input file, as read (before any normalisation)."""

    path: str
    format: str  # text | html | pdf | docx
    text: str
    sha256: str
    size: int
    encoding: str | None = None
    #: metadata the publication format itself carries, keyed by the printed Chinese label: a portal page's
    #: information table (发文字号, 成文日期 …), a sidecar file's fields, a collection's header (标题)
    meta: dict[str, str] = field(default_factory=dict)


@dataclass
class NormalText:
    """Normalised text with a map back to the raw text.

    ``offsets[i]`` is the index in the raw text of the character that produced
    ``text[i]``; a line break kept between two lines maps to the raw line break.
    ``lines`` holds (start, end) of each line in ``text`` and ``indented`` says
    whether the raw line started a paragraph by indentation.
    """

    text: str
    offsets: list[int]
    lines: list[tuple[int, int]]
    indented: list[bool]
    raw_length: int

    def line(self, i: int) -> str:
        s, e = self.lines[i]
        return self.text[s:e]

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Raw (start, end) of the normalised span [start, end)."""
        if end <= start:
            pos = self.offsets[start] if start < len(self.offsets) else self.raw_length
            return pos, pos
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass
class Provision:
    """A node of a document's structure: part, section, item, article, measure…"""

    kind: str  # chapter|division|part|section|item|subitem|article|point|paragraph|measure|intro|preamble
    path: str  # Akoma Ntoso style id path, unique in the document: sec_2__subsec_1__item_3
    start: int  # span in the normalised text
    end: int
    number: str | None = None  # printed number: 一, 5, 三十二
    ordinal: int | None = None
    heading: str | None = None
    text: str | None = None
    children: list["Provision"] = field(default_factory=list)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass
class DateEvent:
    """One dated step of a document's history: 2019年11月29日…常务委员会第十五次会议通过."""

    kind: str  # adopted | approved | amended | revised | promulgated
    date: str  # ISO
    body: str | None = None  # the acting body, without session numbers
    text: str = ""  # as printed


@dataclass
class Document:
    """One policy document found in a source file."""

    key: str  # identity slug: number slug, or year/title slug
    title: str
    start: int
    end: int
    doc_type: str = "other"
    number: str | None = None
    issuer: str | None = None
    issuer_method: str | None = None  # header | title | signature | promulgator | title-place | page-metadata | history
    date_signed: str | None = None
    in_force: str | None = None
    expiry: str | None = None
    issued_on: str | None = None  # the issuing footer's date (…2024年7月29日印发), not emitted
    in_force_on_issue: bool = False  # 自印发之日起施行 with no date known yet: the promulgator's gives it
    date_published: str | None = None
    #: the legislative history printed under a regulation's title: adopted / approved / amended / revised
    events: list["DateEvent"] = field(default_factory=list)
    #: how each date was found: {"signed": "signature", "published": "page-metadata", …}
    date_methods: dict[str, str] = field(default_factory=dict)
    issuers: list[str] = field(default_factory=list)  # every issuing body printed (co-signed documents)
    place: str | None = None  # GB/T 2260 code of the place the document belongs to; "national"; None unknown
    recipients: list[str] = field(default_factory=list)
    release_marking: str | None = None
    promulgates: list[str] = field(default_factory=list)  # keys of documents it issues
    promulgated_by: str | None = None  # key of the notice or decree issuing it
    issued_titles: list[str] = field(default_factory=list)  # titles the notice says it issues
    site: str | None = None  # the name of the site that published the page (its SiteName), when it says
    publishers: list[str] = field(default_factory=list)  # bodies a page names as its source (信息来源), as printed
    provisions: list[Provision] = field(default_factory=list)
    #: rows of a task table (任务分工表) printed in the document or its annex
    tasks: list["TaskRow"] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def walk(self):
        for p in self.provisions:
            yield from p.walk()

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class TaskRow:
    """One row of a task table: 序号 / 任务 / 牵头单位 / 配合单位 / 完成时限, as printed."""

    number: str | None
    task: str
    units: list[tuple[str, str]]  # (cell text, role: lead | co | responsible)
    deadline: str | None
    start: int  # span of the row in the normalised text
    end: int


@dataclass
class ParsedSource:
    """Everything the loaders made of one file."""

    source: SourceText
    normal: NormalText
    documents: list[Document]
    warnings: list[str] = field(default_factory=list)
