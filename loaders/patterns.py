"""Regular expressions for the shapes of Chinese government documents.

They run on *normalised* text (see :mod:`policykg.loaders.normalise`): digits and
letters are ASCII, punctuation is in its Chinese full-width form (，。：；（）《》〈〉),
and spaces next to Chinese characters are gone. One home for them, so that the
normaliser (which must not join a heading onto the previous line), the splitter
and the structure parser agree on what a heading or a date line is.
"""
from __future__ import annotations

import re

#: Chinese numerals as used in headings (一、 (十二) 第三十二条 第一百零五条).
CN_DIGITS = "〇零一二三四五六七八九"
CN_NUMERAL = "〇零一二两三四五六七八九十百千"
_CN_VALUE = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "两": 2}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


def cn_to_int(text: str) -> int | None:
    """Value of a Chinese or Arabic numeral: 十二 → 12, 三十二 → 32, 一百零五 → 105, 12 → 12.

    Returns None for anything that is not a numeral.
    """
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _CN_VALUE:
            current = _CN_VALUE[ch]
        elif ch in _CN_UNIT:
            total += (current or 1) * _CN_UNIT[ch]
            current = 0
        else:
            return None
    return total + current


# --- Heading markers (at the start of a normalised line) ---------------------
# Each kind of marker is one level of the document's own outline; which kind
# sits under which is decided per document by order of first appearance.
MARKERS: list[tuple[str, re.Pattern]] = [
    # 第一编 — books (parts) of long codes
    ("book", re.compile(rf"^第(?P<num>[{CN_NUMERAL}\d]{{1,4}})编")),
    # 第一章 总则 — chapters of regulations
    ("chapter", re.compile(rf"^第(?P<num>[{CN_NUMERAL}\d]{{1,6}})章")),
    # 第二节 — sections of chapters (regulations)
    ("division", re.compile(rf"^第(?P<num>[{CN_NUMERAL}\d]{{1,6}})节")),
    # 第五条 (heading) — articles of regulations
    ("article", re.compile(rf"^第(?P<num>[{CN_NUMERAL}\d]{{1,7}})条")),
    # 一、 — parts of plans and notices
    ("part", re.compile(rf"^(?P<num>[{CN_NUMERAL}]{{1,4}})、")),
    # （一） — sections
    ("section", re.compile(rf"^（(?P<num>[{CN_NUMERAL}]{{1,4}})）")),
    # 1. 1、 — numbered items; never a decimal number like 1.5, but 5.2024年… is item 5
    ("item", re.compile(r"^(?P<num>\d{1,3})[.、](?:(?!\d)|(?=(?:19|20)\d{2}年))")),
    # （1） — sub-items
    ("subitem", re.compile(r"^（(?P<num>\d{1,3})）")),
]

#: Lines that start end matter (attachments list, distribution list, the issuing footer 版记): never provisions.
END_MATTER = re.compile(
    r"^(?:(附件|抄送|附：|主送|印发)[：:]?"
    r"|[\u4e00-\u9fff（）]{2,40}?(?:19|20)\d{2}年\d{1,2}月\d{1,2}日印发$)"
)


def match_marker(line: str) -> tuple[str, int, str, re.Match] | None:
    """The heading marker at the start of ``line``: (kind, number, printed number, match)."""
    for kind, pattern in MARKERS:
        m = pattern.match(line)
        if m:
            value = cn_to_int(m.group("num"))
            if value is None or value == 0:
                continue
            return kind, value, m.group("num"), m
    return None


def starts_with_marker(line: str) -> bool:
    return match_marker(line) is not None or bool(END_MATTER.match(line))


# --- Document numbers (发文字号) ---------------------------------------------
DOC_NUMBER = re.compile(
    rf"""
    (?P<prefix>[{CJK}]{{1,12}}?)            # issuer abbreviation and series: 沪府办发, 杨府发, 国办发
    [〔\[［【（(〖]\s*(?P<year>(?:19|20)\d{{2}})\s*[〕\]］】）)〗]   # year in brackets
    第?\s*(?P<number>\d{{1,5}})\s*号          # running number
    """,
    re.X,
)
#: Decrees: 上海市人民政府令第9号 (the number may stand on its own line: 第9号).
DECREE_NUMBER = re.compile(rf"(?P<prefix>[{CJK}]{{2,30}}?令)第\s*(?P<number>\d{{1,5}})\s*号")
BARE_NUMBER_LINE = re.compile(r"^第(?P<number>\d{1,5})号$")

# --- Standalone lines: never joined with their neighbours -------------------
_CN_YEAR = "[〇○零一二三四五六七八九]{4}"
_CN_SMALL = "[一二三四五六七八九十]{1,3}"
#: 2024年1月13日, or in Chinese numerals as signatures often print it: 二〇二四年一月十三日
DATE = re.compile(
    rf"(?:(?P<y>(?:19|20)\d{{2}})年(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})日"
    rf"|(?P<cy>{_CN_YEAR})年(?P<cm>{_CN_SMALL})月(?P<cd>{_CN_SMALL})日)"
)
DATE_LINE = re.compile(
    rf"^(?:(?:19|20)\d{{2}}年\d{{1,2}}月\d{{1,2}}日|{_CN_YEAR}年{_CN_SMALL}月{_CN_SMALL}日)(?:印发|发布|公布|起施行)?$"
)
#: the issuing footer of an official document: 广州市人民政府办公厅秘书处2021年12月6日印发
ISSUE_FOOTER = re.compile(r"^[\u4e00-\u9fff（）]{2,40}?(?:19|20)\d{2}年\d{1,2}月\d{1,2}日印发$")
RELEASE_LINE = re.compile(r"^（此件[^（）]{0,30}）$")
HEADER_LINE = re.compile(
    rf"^(?P<issuer>[{CJK}（）]{{2,40}}?(?:人民政府|办公厅|办公室|委员会|政府|局|厅|部|委|院))(?P<kind>文件|令)$"
)
SIGNATURE_LINE = re.compile(
    rf"^(?:[{CJK}]{{2,24}}(?:人民政府|人民政府办公厅|人民政府办公室|办公厅|委员会|人民代表大会常务委员会)|国务院)$"
)
OFFICIAL_LINE = re.compile(rf"^(?:市长|区长|县长|省长|主席|主任|局长|部长)[{CJK}]{{2,4}}$")


#: the heading of a table of contents
TOC_LINE = re.compile(r"^目[\s\u3000]*[录次]$")


def is_standalone(line: str) -> bool:
    """A line that is complete on its own (date, number, marking, header, signature) — never a heading
    (第六章特定问题调查委员会 is a chapter, not a signature)."""
    if match_marker(line) is not None:
        return False
    return bool(
        ISSUE_FOOTER.match(line)
        or DATE_LINE.match(line)
        or RELEASE_LINE.match(line)
        or HEADER_LINE.match(line)
        or SIGNATURE_LINE.match(line)
        or OFFICIAL_LINE.match(line)
        or BARE_NUMBER_LINE.match(line)
        or TOC_LINE.match(line)
        or is_number_line(line)
    )


def is_number_line(line: str) -> bool:
    m = DOC_NUMBER.fullmatch(line) or DECREE_NUMBER.fullmatch(line)
    return m is not None


# --- Titles ---------------------------------------------------------------
#: A title may end, after its type word, in a serial part: …工作的通知（二）, …名单（第三批）
TITLE_SERIAL = r"（(?:[一二三四五六七八九十]{1,3}|第[一二三四五六七八九十]{1,3}批)）"
#: 上海市人民政府办公厅关于印发《…》的通知; the issuer part is optional.
NOTICE_TITLE = re.compile(
    rf"^(?P<issuer>[{CJK}（）]{{2,120}}?)?关于(?P<subject>.+)的(?P<kind>通知|决定|意见|批复|通报|函|公告|通告|命令|报告|请示)(?:{TITLE_SERIAL})?$"
)
#: 关于《上海市森林管理规定》的政策解读 / 《…》政策解读 / …的解读
INTERPRETATION_TITLE = re.compile(r"^(?:关于)?(?P<subject>.+?)的?(?:政策)?解读$")
#: The subject of a covering notice: 印发《X》 / 转发《X》 / 发布X
ISSUING_SUBJECT = re.compile(r"^(?:印发|转发|发布|颁布|公布)(?P<titles>.+)$")
BOOK_TITLE = re.compile(r"《(?P<t>(?:[^《》]|《[^《》]*》)+)》")
#: Decree body: 《上海市森林管理规定》已经…通过，现予公布
DECREE_BODY = re.compile(
    r"《(?P<t>(?:[^《》]|《[^《》]*》)+)》(?:已经.{0,60}?(?:通过|同意|批准).{0,10}?现予(?:公布|发布|印发)|现予(?:公布|发布))"
    r"|现(?:予)?(?:公布|发布)(?:修订后的|修改后的)?《(?P<t2>(?:[^《》]|《[^《》]*》)+)》"
    r"|现将(?:修订后的|修改后的)?《(?P<t3>(?:[^《》]|《[^《》]*》)+)》(?:予以)?(?:公布|发布)"
)
SENTENCE_PUNCT = "。！？"
CLAUSE_PUNCT = "，；：。！？"

#: Year ranges and editions in titles: 行动方案（2024-2026年）, 实施方案（2025年版）
#: A title may end in a qualifier: …办法（试行）, …规定（2023年修订）
TITLE_QUALIFIER = r"(?:试行|暂行|修订|修正|草案)）"
TITLE_YEAR_SUFFIX = re.compile(r"（(?P<from>(?:19|20)\d{2})(?:-(?P<to>(?:19|20)\d{2}))?年?版?）$")

#: Self-references that state entry into force: 本规定自2024年5月1日起施行
IN_FORCE = re.compile(
    r"(?:本(?:规定|办法|条例|细则|通知|意见|决定|方案|行动方案|实施方案|计划|规则|措施|规划|实施意见|若干规定)|现予公布，?)"
    rf"自(?P<date>(?:19|20)\d{{2}}年\d{{1,2}}月\d{{1,2}}日|{_CN_YEAR}年{_CN_SMALL}月{_CN_SMALL}日|印发之日|公布之日|发布之日)起(?:施行|实施|执行|生效)"
)
EXPIRY = re.compile(rf"有效期至(?P<date>(?:19|20)\d{{2}}年\d{{1,2}}月\d{{1,2}}日|{_CN_YEAR}年{_CN_SMALL}月{_CN_SMALL}日)")
#: Labelled fields of a portal page's metadata block: 发文字号：沪府办发〔2024〕1号
#: The labels of a portal page's information table (索引号 / 发文机关 / 成文日期 / 发文字号 …).
#: a line that is only a page number or a page marker of extracted text: — 3 —, 第3页 共9页, -3-,
#: ===PAGE 3===, --- Page 3 ---
PAGE_LINE = re.compile(
    r"^(?:[—–\-－~]+\s*\d{1,4}\s*[—–\-－~]+|第\s*\d{1,4}\s*页(?:\s*共\s*\d{1,4}\s*页)?|-\s*\d{1,4}\s*-"
    r"|[=\-]{2,}\s*(?:PAGE|Page|page)\s*\d{1,4}\s*[=\-]{2,})$"
)

INFO_LABELS = (
    "发文字号|文号|成文日期|印发日期|发布日期|公布日期|发文机关|发布机构|发文单位|标题|名称|施行日期|实施日期|生效日期"
    "|有效期至|索引号|主题分类|公文种类|体裁分类|信息来源|主题词|所属机构|组配分类|废止日期|时效性|有效性|文件编号"
)
INFO_LABEL = re.compile(rf"(?:{INFO_LABELS})")
FIELD_LINE = re.compile(rf"^(?P<label>{INFO_LABELS})[：:]\s*(?P<value>.+)$")
#: Running heads of a gazette, repeated on every page: 上海市人民政府公报 / 2024年第3期
RUNNING_HEAD = re.compile(r"^(?:[\u4e00-\u9fff]{2,20}公报(?:\d{4}年第\d{1,3}期)?|\d{4}年第\d{1,3}期|[\u4e00-\u9fff]{2,20}公报·[\u4e00-\u9fff]{2,10})$")
#: （2024年1月22日上海市人民政府令第9号公布 自2024年5月1日起施行） after a regulation's title
PROMULGATION_NOTE = re.compile(
    r"^（(?P<date>(?:19|20)\d{2}年\d{1,2}月\d{1,2}日)(?P<by>[^（）]*?)公布(?:，?自(?P<force>(?:19|20)\d{2}年\d{1,2}月\d{1,2}日)起施行)?）"
)


#: a date in any printed form: 2024年1月13日, 二〇二四年一月十三日, 2024-01-13, 2024.1.13, 2024/1/13
ANY_DATE = re.compile(
    rf"(?:19|20)\d{{2}}年\d{{1,2}}月\d{{1,2}}日|{_CN_YEAR}年{_CN_SMALL}月{_CN_SMALL}日"
    r"|(?:19|20)\d{2}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12]\d|3[01])(?!\d)"
)
#: one dated step of a regulation's history: 2019年11月29日浙江省…第十五次会议通过 / 根据…《…决定》第二次修正
HISTORY_EVENT = re.compile(
    rf"(?P<date>(?:19|20)\d{{2}}年\d{{1,2}}月\d{{1,2}}日|{_CN_YEAR}年{_CN_SMALL}月{_CN_SMALL}日)"
    r"(?P<what>[^。；]{0,200}?)(?P<verb>通过|批准|修正|修订|公布|发布|起?施行)(?!的)"  # …会议通过的《修正案》修正: one step
)
#: a line of history under a title: it starts with a date (or 根据 + date), has an event verb, and is not a sentence
HISTORY_LINE = re.compile(
    rf"^[（(]?(?:根据)?(?:(?:19|20)\d{{2}}年\d{{1,2}}月\d{{1,2}}日|{_CN_YEAR}年{_CN_SMALL}月{_CN_SMALL}日)"
    r"[^。]{0,400}?(?:通过|批准|修正|修订|公布|发布|施行)[^。]{0,400}$"
)
_SESSION = re.compile(r"第[一二三四五六七八九十百零〇\d]+(?:届|次(?:全体)?会议|次主任会议)|会议$")


def acting_body(text: str) -> str | None:
    """The body of a history step, without its session numbers:
    上海市第十二届人民代表大会常务委员会第十四次会议 → 上海市人民代表大会常务委员会."""
    text = re.split(r"[《（]", text.strip().lstrip("根据"), maxsplit=1)[0]
    body = _SESSION.sub("", text)
    body = re.sub(r"第[一二三四五六七八九十]+次$", "", body).strip("，、 ")
    return body if len(body) >= 3 and re.search(r"(?:会|院|府|委|局|厅|部|室)$", body) else None


def parse_date(text: str) -> str | None:
    """2024年1月13日 → 2024-01-13 (ISO), or None when the text holds no valid date."""
    m = DATE.search(text)
    if not m:
        n = re.search(r"(?P<y>(?:19|20)\d{2})[-./](?P<m>\d{1,2})[-./](?P<d>\d{1,2})(?!\d)", text)
        if not n:
            return None
        import datetime

        try:
            return datetime.date(int(n["y"]), int(n["m"]), int(n["d"])).isoformat()
        except ValueError:
            return None
    if m["y"]:
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
    else:
        y = int("".join(str(_CN_VALUE.get(c, 0) if c != "○" else 0) for c in m["cy"]))
        mo, d = cn_to_int(m["cm"]) or 0, cn_to_int(m["cd"]) or 0
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    import datetime

    try:
        return datetime.date(y, mo, d).isoformat()
    except ValueError:
        return None


def title_key(text: str) -> str:
    """A comparison key for titles: only Chinese characters, letters and digits.

    «上海市坚持对标改革　持续打造…» and 《上海市坚持对标改革持续打造…》 have the same key.
    """
    return re.sub(rf"[^{CJK}A-Za-z0-9]", "", text)
