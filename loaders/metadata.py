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

from .model import DateEvent, Document, NormalText
from .patterns import (
    BARE_NUMBER_LINE,
    DATE_LINE,
    DECREE_NUMBER,
    DOC_NUMBER,
    END_MATTER,
    EXPIRY,
    FIELD_LINE,
    ANY_DATE,
    HISTORY_EVENT,
    ISSUE_FOOTER,
    HISTORY_LINE,
    IN_FORCE,
    NOTICE_TITLE,
    PROMULGATION_NOTE,
    RELEASE_LINE,
    TITLE_QUALIFIER,
    TITLE_SERIAL,
    TITLE_YEAR_SUFFIX,
    acting_body,
    is_standalone,
    starts_with_marker,
    title_key,
    parse_date,
)
from .split import DocSpan

#: Q&A pages and other interpretations: …热点10问, 政策问答, 图解…, 答记者问, 常见问题解答
INTERPRETATION_END = re.compile(r"(?:问答|热点\d{1,3}问|\d{1,3}问|答记者问|常见问题(?:解答)?|问题解答|图解[^，。]{0,30}|一图读懂[^，。]{0,30}|解读[^，。]{0,4})$|^(?:图解|一图读懂)")
#: guides and service pages: 办事指南, 申报指引, 攻略, 流程, 须知
GUIDE_END = re.compile(r"(?:指南|指引|攻略|流程|须知|简介|详解|一览表?|目录)(?:（[^（）]{1,20}）)?$")
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
    "reply",
    "guide",
    "other",
)


def classify(title: str, header_kind: str | None = None) -> str:
    """Document type from the title: 行动方案 → action-plan, 实施方案 → implementation-plan, …"""
    if header_kind == "令":
        return "decree"
    t = re.sub(rf"{TITLE_SERIAL}$", "", title)  # …的通知（二） is a 通知
    t = re.sub(r"（[^（）]{1,15}版）$", "", t)  # …常见问题解答（2025年11月版） is a Q&A
    t = re.sub(rf"（[^（）]*{TITLE_QUALIFIER}$", "", TITLE_YEAR_SUFFIX.sub("", t))  # …办法（试行） is a 办法
    if t.endswith("解读") or INTERPRETATION_END.search(t):
        return "interpretation"
    m = NOTICE_TITLE.match(t)
    if m:
        return {"通知": "notice", "通报": "notice", "通告": "notice", "公告": "notice",
                "决定": "decision", "意见": "opinion", "批复": "reply", "函": "reply"}.get(m.group("kind"), "other")
    if t.endswith(("批复", "复函")):
        return "reply"
    if GUIDE_END.search(t):
        return "guide"
    if t.endswith(("行动方案", "行动计划")):
        return "action-plan"
    if t.endswith(("实施方案", "实施计划")):
        return "implementation-plan"
    if t.endswith(("通知", "通告", "公告", "通报")):
        return "notice"
    if t.endswith(("规定", "条例", "办法", "细则", "规则", "章程", "准则")):
        return "regulation"
    if t.endswith(("方案", "规划", "计划", "纲要", "措施", "要点", "预案")):
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


#: chrome that page templates glue to a title: 【返回顶部】【关闭窗口】, 扫一扫在手机打开当前页, site names
_TITLE_CHROME = re.compile(r"【[^】]{1,10}】|扫一扫.*$|(?:分享到|打印本页|关闭窗口|返回顶部).*$")
_SIGNATURE_SUFFIX = re.compile(
    r"(?:人民政府|办公厅|办公室|委员会|常务委员会|人民代表大会|政府|局|厅|部|委|院|署|办|中心|联合会|总会|银行|法院|检察院|管委会)$"
)


#: an editor's note before a title: （本文有删减）, （转载）, （摘编）
_EDITOR_NOTE = re.compile(r"^（(?:[^（）]{0,6}(?:删减|删节|转载|摘编|节选|摘要)[^（）]{0,4})）")


#: the kinds of document a portal writes itself (a guide, a Q&A, a news item): placed by their site when their
#: issuer and title name no place (:meth:`~.authority.Authority.document_place`)
PAGE_SOURCE_TYPES = ("guide", "interpretation", "other")
_SOURCE_LABELS = ("信息来源", "来源", "文章来源")
#: a site named before or after the body: 本网广州市住房保障办公室, 市人力资源社会保障局官网
_SOURCE_SITE = re.compile(r"^本网|(?:官方网站|门户网站|官网|网站)$")


def page_source_bodies(fields: dict[str, str]) -> list[str]:
    """The bodies a page names as its source (信息来源 / 来源 / 文章来源), as printed — who published the page, not
    who issued the document (the labelling rule: a source line is never an issuer): every part of the field
    (split at spaces and 、，；) that reads as a body — its name ends like one (局, 厅, 委员会, 中心 …), a
    bracketed note (（加挂…牌子）) and a site word (本网, 官网) aside. Empty when no part does (广州日报, 南方+,
    本网, a WeChat account): the field then names a publication, not a body."""
    for label in _SOURCE_LABELS:  # the first field that names a body (信息来源：本网 does not hide 来源：…局)
        value = re.sub(r"（[^（）]*）|\([^()]*\)", "", fields.get(label, ""))  # bracketed notes, spaces and all
        out: list[str] = []
        for part in re.split(r"[\s、，,；;]+", value):
            name = _SOURCE_SITE.sub("", part)
            if len(name) >= 3 and _SIGNATURE_SUFFIX.search(name) and name not in out:
                out.append(name)
        if out:
            return out
    return []


def split_bodies(text: str) -> list[str]:
    """Several bodies of one place written together (a title's or a signature line's co-issuers):
    广州市医疗保障局广州市财政局广州市卫生健康委员会 → three bodies, split where the first body's place name begins
    again after a body's ending. Anything else is one body."""
    text = re.sub(r"\s", "", text)
    m = re.match(r"^(?:中共)?([\u4e00-\u9fff]{1,8}?[省市县区州盟旗])", text)
    if not m:
        return [text]
    place = m.group(1)
    cuts = [0] + [k.start() for k in re.finditer(rf"(?:中共)?{re.escape(place)}", text)
                  if k.start() > 0 and _SIGNATURE_SUFFIX.search(text[:k.start()])]
    parts = [text[a:b] for a, b in zip(cuts, cuts[1:] + [len(text)])]
    if len(parts) > 1 and all(_SIGNATURE_SUFFIX.search(p) for p in parts):
        return parts
    return [text]


def clean_title(title: str) -> str:
    """A title without page chrome, a site suffix, an editor's note or a glued legislative history."""
    from .markdown import page_title

    title = _EDITOR_NOTE.sub("", _TITLE_CHROME.sub("", title))
    m = HISTORY_EVENT.search(title)
    if m and m.start() >= 4:
        title = title[: m.start()]
    title = page_title(title)
    return title.strip().strip("-_—|·").strip()


_EVENT_KINDS = {"通过": "adopted", "批准": "approved", "修正": "amended", "修订": "revised", "公布": "promulgated",
                "发布": "promulgated", "施行": "in-force", "起施行": "in-force"}
_EVENT_VERB = re.compile(r"(?:起?施行|通过|批准|修正|修订|公布|发布)(?!的)")


def history_events(line: str) -> list[DateEvent]:
    """The dated steps of one history line: each date, and the last event verb after it (before the next
    date) outside 《》 — 根据《关于修订〈…〉的决定》第一次修正 is an amendment, …会议通过的《修正案》修正 one step."""
    out = []
    dates = list(ANY_DATE.finditer(line))
    for k, m in enumerate(dates):
        end = dates[k + 1].start() if k + 1 < len(dates) else len(line)
        seg = line[m.end():end]
        depth, verbs = 0, []
        for v in _EVENT_VERB.finditer(seg):
            inside = seg[:v.start()].count("《") - seg[:v.start()].count("》")
            if inside <= 0:
                verbs.append(v)
        date = parse_date(m.group(0))
        if date and verbs:
            v = verbs[-1]
            out.append(DateEvent(_EVENT_KINDS[v.group(0)], date, acting_body(seg[:v.start()]), line[m.start():m.end() + v.end()]))
    return out


def _signatures(texts: dict[int, str], idx: list[int], date_line: int | None) -> list[str]:
    """The bodies signing above the date line: short lines ending in a body's name (several co-signers)."""
    if date_line is None:
        return []
    out: list[str] = []
    k = idx.index(date_line) - 1
    while k >= 0 and len(out) < 6:
        t = texts[idx[k]]
        if 3 <= len(t) <= 40 and not re.search(r"[，。；：！？、]", t) and _SIGNATURE_SUFFIX.search(t):
            out.insert(0, t)
            k -= 1
            continue
        break
    return out


def extract_metadata(normal: NormalText, span: DocSpan,
                     meta: dict[str, str] | None = None) -> tuple[Document, list[tuple[str, int, bool]]]:
    """The document's metadata, and its body lines as (text, offset, whole line) for the structure stage.

    ``meta``: labelled fields the publication format carried (a portal page's information table, a sidecar,
    a collection's header) — used where the text itself does not say, and recorded as method
    ``page-metadata``."""
    idx = list(range(span.start_line, span.end_line))
    texts = {i: normal.line(i) for i in idx}
    end_matter = next((i for i in idx if END_MATTER.match(texts[i])), span.end_line)
    # an attachment list printed above the signature (附件：1.… 2.… then the issuer and date): the date under it
    # is still the document's, when only short list lines stand between
    late_date = None
    if end_matter < span.end_line and texts[end_matter].startswith("附件"):
        for i in range(end_matter + 1, min(end_matter + 25, span.end_line)):
            if DATE_LINE.match(texts[i]):
                late_date = i
                break
            if len(texts[i]) > 60 or any(p in texts[i] for p in "。；"):
                break
    head = [texts[i] for i in idx[:12]]
    methods: dict[str, str] = {}

    # a portal page's metadata block: 发文字号：… 成文日期：… (fallbacks for what the text itself says)
    fields: dict[str, str] = {}
    for i in idx[:30]:
        m = FIELD_LINE.match(texts[i])
        if m:
            fields.setdefault(m["label"], m["value"].strip())
    for k, v in (meta or {}).items():
        fields.setdefault(k, v)
    number = _number(head, span.header, span.header_kind)
    if number is None:
        for label in ("发文字号", "文号", "文件编号"):
            value = re.sub(r"\s", "", fields.get(label, ""))
            if value and (DOC_NUMBER.fullmatch(value) or DECREE_NUMBER.fullmatch(value)):
                parsed = DocumentNumber.parse(value)
                number = str(parsed) if parsed else value
                methods["number"] = "page-metadata"
                break
    title = clean_title(span.title) if span.title else None
    if not title and span.header_kind == "令" and number:
        title = number  # a decree is titled by its number; the page's title names the regulation it promulgates
    if not title or len(title) < 4:
        title = clean_title(fields.get("标题") or fields.get("名称") or "") or title
        methods["title"] = "page-metadata"
    if not title:
        title = clean_title(texts[idx[0]]) if idx else ""

    doc_type = classify(title, span.header_kind)
    skip: set[int] = set()
    if span.title_lines:
        skip.update(range(*span.title_lines))

    recipients: list[str] = []
    release = None
    date_signed = None
    date_line = None
    in_force = expiry = None
    note_seen = False
    events: list[DateEvent] = []
    history_open = bool(span.title_lines)
    for i in idx:
        t = texts[i]
        if i >= end_matter:
            skip.add(i)
            if i == late_date and date_signed is None:
                date_signed, date_line = parse_date(t), i
            continue
        if span.header and i == span.start_line:
            skip.add(i)
            continue
        if FIELD_LINE.match(t) and i < span.start_line + 30:
            skip.add(i)
            continue
        if span.title_lines and span.title_lines[1] <= i < span.title_lines[1] + 3 and title_key(t) == title_key(title):
            skip.add(i)  # the title printed again under the header (collections, pages)
            continue
        if not note_seen and span.title_lines and i == span.title_lines[1]:
            m = PROMULGATION_NOTE.match(t)
            if m:
                note_seen = True
                date_signed = date_signed or parse_date(m["date"])
                if m["force"]:
                    in_force = parse_date(m["force"])
                d = DECREE_NUMBER.search(t, m.end("date"))
                if d and number is None:
                    # （2021年7月27日中华人民共和国国务院令第746号公布）: cited by the number of the decree that promulgated it
                    number = f"{d['prefix']}第{d['number']}号"
                    methods["number"] = "promulgation-note"
                skip.add(i)
                continue
        # the legislative history under a regulation's title: dated steps, one or more per line
        if history_open and span.title_lines and i >= span.title_lines[1]:
            if HISTORY_LINE.match(t) or (t in ("）", ")") and events):
                events.extend(history_events(t))
                skip.add(i)
                continue
            if not (events and not t.strip("（）() ")):
                history_open = False
        if is_standalone(t):
            skip.add(i)
            if RELEASE_LINE.match(t) and release is None:
                release = t[1:-1]
            elif DATE_LINE.match(t) and date_signed is None and not t.endswith("印发"):
                date_signed = parse_date(t)
                date_line = i
            continue
        if (
            not recipients
            and t.endswith("：")
            and not starts_with_marker(t)
            and "。" not in t
            and span.title_lines
            and i - span.title_lines[1] <= 2
        ):
            recipients = [r for r in t[:-1].split("，") if r]
            skip.add(i)
            continue
    signatures = _signatures(texts, idx, date_line)
    skip.update(i for i in idx if texts[i] in signatures and (date_line is None or i < date_line))
    body = [(texts[i], normal.lines[i][0], True) for i in idx if i not in skip]
    if date_signed:
        methods["signed"] = "signature" if date_line is not None else "promulgation-note"

    if date_signed is None:
        for label in ("成文日期", "印发日期"):
            if label in fields and parse_date(fields[label]):
                date_signed = parse_date(fields[label])
                methods["signed"] = "page-metadata"
                break
    if date_signed is None and not events and parse_date(fields.get("版本日期", "")):
        # a collection names each file by its version's date and the text prints none: the only date there is
        date_signed = parse_date(fields["版本日期"])
        methods["signed"] = "file-name"
    if date_signed is None and events:
        # a regulation's text is the version of its latest step (adoption or amendment)
        date_signed = max(e.date for e in events if e.kind != "approved") if any(
            e.kind != "approved" for e in events) else events[-1].date
        methods["signed"] = "history"
    # the issuing footer of the end matter: 广州市人民政府办公厅秘书处 2024年7月29日印发
    issued_on = next((parse_date(texts[i]) for i in idx if ISSUE_FOOTER.match(texts[i])), None)
    on_issue = False
    date_published = None
    for label in ("发布日期", "公布日期", "发布时间", "发表时间"):
        if label in fields and parse_date(fields[label]):
            date_published = parse_date(fields[label])
            methods["published"] = "page-metadata"
            break
    if doc_type != "interpretation":
        for label in ("施行日期", "实施日期", "生效日期"):
            if in_force is None and label in fields and parse_date(fields[label]):
                in_force = parse_date(fields[label])
                methods["in-force"] = "page-metadata"
        for label in ("有效期至", "失效日期", "废止日期"):
            if expiry is None and label in fields and parse_date(fields[label]):
                expiry = parse_date(fields[label])
                methods["expiry"] = "page-metadata"
        body_text = "\n".join(t for t, _, _ in body)
        if in_force is None and doc_type == "decree":
            # 现公布修订后的《…》，自2019年1月1日起施行: a decree takes effect with what it promulgates
            m = re.search(r"自(?P<date>[^，。；]{6,12}日)起(?:施行|实施|生效)", body_text)
            if m and parse_date(m["date"]):
                in_force, methods["in-force"] = parse_date(m["date"]), "text"
        if in_force is None:
            m = IN_FORCE.search(body_text)
            if m:
                # 自公布之日起施行: the signing date, when one is printed (a history's latest step is not it);
                # 自印发之日起施行: the date of the issuing footer (…2024年7月29日印发) when there is one
                known = date_signed if methods.get("signed") not in (None, "history") else None
                if m["date"] == "印发之日" and issued_on:
                    known = issued_on
                in_force = known if m["date"].endswith("之日") else parse_date(m["date"])
                on_issue = in_force is None and m["date"].endswith("之日")
                if in_force:
                    methods["in-force"] = "text"
        elif "in-force" not in methods:
            methods["in-force"] = "promulgation-note"
        m = EXPIRY.search(body_text)
        if m:
            expiry = parse_date(m["date"])
            methods["expiry"] = "text"

    if number is None and events and events[-1].kind == "promulgated":
        # （2021年7月27日中华人民共和国国务院令第746号公布）: the text as promulgated by that decree carries its number
        d = DECREE_NUMBER.search(events[-1].text)
        if d:
            number = f"{d['prefix']}第{d['number']}号"
            methods["number"] = "history"
    issuer, method = None, None
    issuers: list[str] = []
    if span.header:
        issuer, method = span.header, "header"
    else:
        m = NOTICE_TITLE.match(title)
        if m and m.group("issuer"):
            # 国务院办公厅转发国家地震局关于…: the issuer is the body that forwards
            issuer, method = re.split(r"(?:转发|批转|印发)", m.group("issuer"), maxsplit=1)[0] or m.group("issuer"), "title"
        elif signatures:
            issuer, method = signatures[0], "signature"
        elif fields.get("发文机关") or fields.get("发文单位") or fields.get("发布机构"):
            issuer = fields.get("发文机关") or fields.get("发文单位") or fields.get("发布机构")
            method = "page-metadata"
        elif methods.get("number") in ("history", "promulgation-note") and "令第" in number:
            issuer, method = number.split("令第")[0], "history"  # the body whose decree promulgated it
        elif events and next((e.body for e in events if e.kind == "adopted" and e.body), None):
            issuer, method = next(e.body for e in events if e.kind == "adopted" and e.body), "history"
    if method == "title" and len(signatures) > 1 and re.sub(r"\s", "", issuer) == "".join(signatures):
        issuer = signatures[0]  # co-issuers named together in the title: the signature block says where each ends
    if issuer:
        issuers = []
        for named in [issuer] + signatures:
            for part in split_bodies(named):  # 广州市医疗保障局广州市财政局 on one line: two bodies
                if part not in issuers:
                    issuers.append(part)
        issuer = issuers[0]
        if method == "page-metadata":
            # co-issuers in one field: 人力资源社会保障部 财政部 / 国务院办公厅、国家发展改革委
            parts = [x for x in re.split(r"[\s、，,；;]+", issuer) if x]
            if len(parts) > 1:
                issuer, issuers = parts[0], parts

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
        date_published=date_published,
        events=events,
        date_methods=methods,
        issuers=issuers,
        recipients=recipients,
        issued_on=issued_on,
        in_force_on_issue=on_issue,
        release_marking=release,
        issued_titles=list(span.issued_titles),
        site=fields.get("网站名称") or None,
        publishers=page_source_bodies(fields),
    )
    return doc, body


def document_key(doc: Document) -> str:
    """Identity of a document: its number where it has one, else year and title. A decree's number (…令第N号)
    identifies the decree; the regulation it promulgates, which is cited by that number too, is identified by its
    year and title."""
    if doc.number and (doc.doc_type == "decree" or not DECREE_NUMBER.fullmatch(doc.number)):
        parsed = DocumentNumber.parse(doc.number)
        if parsed:
            return parsed.slug
        return slug(doc.number)
    year = None
    for d in (doc.date_signed, doc.in_force, doc.date_published):
        if d:
            year = d[:4]
            break
    if year is None:
        m = TITLE_YEAR_SUFFIX.search(doc.title)
        if m:
            year = m["from"]
    return f"{year}/{slug(doc.title)}" if year else slug(doc.title)
