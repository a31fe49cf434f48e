"""Stage 5a, metadata: title, number, type, issuer, dates, recipients, release marking.

Works on one document span of normalised text. What it guarantees:

* the number is a 发文字号 line of the document's head (``沪府办发〔2024〕1号``), or a
  decree header with its number line (``上海市人民政府令`` + ``第9号``);
* the type comes from the title's last words (see :func:`classify`);
* the issuer comes, in this order of preference, from a header line
  (``…文件``/``…令``), the title (``X关于…的通知``), the signature above the date,
  and is otherwise left for the caller (which uses the issuing notice's issuer, or
  the district or city a plan's title names);
* dates are ISO strings; entry into force only from the document speaking of itself
  (``本规定自…起施行``, ``现予公布，自…起施行``) or a regulation's promulgation note,
  never from an interpretation quoting another act;
* lines after ``附件：`` or ``抄送：`` (the distribution list) are not the body.
"""
from __future__ import annotations

import re

from policykg.iri import DocumentNumber, slug

from .model import Document, NormalText
from .patterns import (
    BARE_NUMBER_LINE,
    DATE_LINE,
    DECREE_NUMBER,
    DOC_NUMBER,
    END_MATTER,
    EXPIRY,
    FIELD_LINE,
    IN_FORCE,
    NOTICE_TITLE,
    OFFICIAL_LINE,
    PROMULGATION_NOTE,
    RELEASE_LINE,
    SIGNATURE_LINE,
    TITLE_QUALIFIER,
    TITLE_SERIAL,
    TITLE_YEAR_SUFFIX,
    is_standalone,
    parse_date,
)
from .split import DocSpan

DOC_TYPES = (
    "decree",
    "regulation",
    "notice",
    "action-plan",
    "implementation-plan",
    "plan",
    "interpretation",
    "decision",
    "opinion",
    "other",
)


def classify(title: str, header_kind: str | None = None) -> str:
    """Document type from the title: 行动方案 → action-plan, 实施方案 → implementation-plan, …"""
    if header_kind == "令":
        return "decree"
    t = re.sub(rf"{TITLE_SERIAL}$", "", title)  # …的通知（二） is a 通知
    t = re.sub(rf"（[^（）]*{TITLE_QUALIFIER}$", "", TITLE_YEAR_SUFFIX.sub("", t))  # …办法（试行） is a 办法
    if t.endswith("解读"):
        return "interpretation"
    m = NOTICE_TITLE.match(t)
    if m:
        return {"通知": "notice", "通报": "notice", "通告": "notice", "公告": "notice",
                "决定": "decision", "意见": "opinion"}.get(m.group("kind"), "other")
    if t.endswith(("行动方案", "行动计划")):
        return "action-plan"
    if t.endswith(("实施方案", "实施计划")):
        return "implementation-plan"
    if t.endswith(("规定", "条例", "办法", "细则", "规则", "章程")):
        return "regulation"
    if t.endswith(("方案", "规划", "计划", "纲要", "措施", "要点")):
        return "plan"
    if t.endswith("意见"):
        return "opinion"
    if t.endswith("决定"):
        return "decision"
    return "other"


def _number(lines: list[str], header: str | None, header_kind: str | None) -> str | None:
    for line in lines:
        m = DOC_NUMBER.fullmatch(line)
        if m:
            parsed = DocumentNumber.parse(line)
            return str(parsed) if parsed else line
        m = DECREE_NUMBER.fullmatch(line)
        if m:
            parsed = DocumentNumber.parse(line)
            return str(parsed) if parsed else line
        m = BARE_NUMBER_LINE.match(line)
        if m and header_kind == "令" and header:
            return f"{header}令第{int(m['number'])}号"
    return None


def extract_metadata(normal: NormalText, span: DocSpan) -> tuple[Document, list[tuple[str, int, bool]]]:
    """The document's metadata, and its body lines as (text, offset, whole line) for the structure stage."""
    idx = list(range(span.start_line, span.end_line))
    texts = {i: normal.line(i) for i in idx}
    end_matter = next((i for i in idx if END_MATTER.match(texts[i])), span.end_line)
    head = [texts[i] for i in idx[:12]]

    # a portal page's metadata block: 发文字号：… 成文日期：… (fallbacks for what the text itself says)
    fields: dict[str, str] = {}
    for i in idx[:30]:
        m = FIELD_LINE.match(texts[i])
        if m:
            fields.setdefault(m["label"], m["value"].strip())
    number = _number(head, span.header, span.header_kind)
    if number is None:
        for label in ("发文字号", "文号"):
            if label in fields and (DOC_NUMBER.fullmatch(fields[label]) or DECREE_NUMBER.fullmatch(fields[label])):
                parsed = DocumentNumber.parse(fields[label])
                number = str(parsed) if parsed else fields[label]
                break
    title = span.title or fields.get("标题") or fields.get("名称")
    if title is None and span.header_kind == "令" and number:
        title = number
    if title is None:
        title = texts[idx[0]] if idx else ""

    doc_type = classify(title, span.header_kind)
    skip: set[int] = set()
    if span.title_lines:
        skip.update(range(*span.title_lines))

    recipients: list[str] = []
    release = None
    date_signed = None
    signature = None
    in_force = expiry = None
    note_seen = False
    for i in idx:
        t = texts[i]
        if i >= end_matter:
            skip.add(i)
            continue
        if span.header and i == span.start_line:
            skip.add(i)
            continue
        if FIELD_LINE.match(t) and i < span.start_line + 30:
            skip.add(i)
            continue
        if is_standalone(t):
            skip.add(i)
            if RELEASE_LINE.match(t) and release is None:
                release = t[1:-1]
            elif DATE_LINE.match(t) and date_signed is None and not t.endswith("印发"):
                date_signed = parse_date(t)
            elif (SIGNATURE_LINE.match(t) or OFFICIAL_LINE.match(t)) and date_signed is None and signature is None:
                if SIGNATURE_LINE.match(t):
                    signature = t
            continue
        if (
            not recipients
            and t.endswith("：")
            and "。" not in t
            and span.title_lines
            and i - span.title_lines[1] <= 2
        ):
            recipients = [r for r in t[:-1].split("，") if r]
            skip.add(i)
            continue
        if not note_seen and span.title_lines and i == span.title_lines[1]:
            m = PROMULGATION_NOTE.match(t)
            if m:
                note_seen = True
                date_signed = date_signed or parse_date(m["date"])
                if m["force"]:
                    in_force = parse_date(m["force"])
                skip.add(i)
                continue
    body = [(texts[i], normal.lines[i][0], True) for i in idx if i not in skip]

    if date_signed is None:
        for label in ("成文日期", "印发日期", "发布日期"):
            if label in fields and parse_date(fields[label]):
                date_signed = parse_date(fields[label])
                break
    if doc_type != "interpretation":
        for label in ("施行日期", "实施日期"):
            if in_force is None and label in fields:
                in_force = parse_date(fields[label])
        if "有效期至" in fields:
            expiry = parse_date(fields["有效期至"])
        body_text = "\n".join(t for t, _, _ in body)
        if in_force is None:
            m = IN_FORCE.search(body_text)
            if m:
                in_force = date_signed if m["date"].endswith("之日") else parse_date(m["date"])
        m = EXPIRY.search(body_text)
        if m:
            expiry = parse_date(m["date"])

    issuer, method = None, None
    if span.header:
        issuer, method = span.header, "header"
    else:
        m = NOTICE_TITLE.match(title)
        if m and m.group("issuer"):
            issuer, method = m.group("issuer"), "title"
        elif signature:
            issuer, method = signature, "signature"
        elif fields.get("发文机关") or fields.get("发文单位") or fields.get("发布机构"):
            issuer = fields.get("发文机关") or fields.get("发文单位") or fields.get("发布机构")
            method = "page-metadata"

    start = normal.lines[span.start_line][0]
    end = normal.lines[span.end_line - 1][1]
    doc = Document(
        key="",
        title=title,
        start=start,
        end=end,
        doc_type=doc_type,
        number=number,
        issuer=issuer,
        issuer_method=method,
        date_signed=date_signed,
        in_force=in_force,
        expiry=expiry,
        recipients=recipients,
        release_marking=release,
        issued_titles=list(span.issued_titles),
    )
    return doc, body


def document_key(doc: Document) -> str:
    """Identity of a document: its number where it has one, else year and title."""
    if doc.number:
        parsed = DocumentNumber.parse(doc.number)
        if parsed:
            return parsed.slug
        return slug(doc.number)
    year = None
    for d in (doc.date_signed, doc.in_force):
        if d:
            year = d[:4]
            break
    if year is None:
        m = TITLE_YEAR_SUFFIX.search(doc.title)
        if m:
            year = m["from"]
    return f"{year}/{slug(doc.title)}" if year else slug(doc.title)
