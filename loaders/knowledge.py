"""Stage 5b, knowledge: who must do what — responsibility, deontic statements, legal bases and
other document links, places, quantified targets.

Each extractor is a pure function of a parsed document (and the authority lists);
what it guarantees is stated in its docstring. Their records hang on the
:class:`~policykg.loaders.model.Document` and are emitted as RDF by
:mod:`policykg.loaders.emit`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .authority import Authority, Unit, leading_units, split_units
from .model import Document, Provision
from .patterns import BOOK_TITLE
from .structure import MEASURE_TYPES as PLAN_TYPES_SET

# ---------------------------------------------------------------------- records


@dataclass
class Responsibility:
    provision: str  # path of the measure (or leaf provision)
    unit: Unit
    role: str  # lead | co | responsible
    method: str  # explicit | subject | default


@dataclass
class Statement:
    provision: str  # path of the leaf provision holding it
    ordinal: int
    modality: str  # obligation | prohibition | permission | encouragement
    keyword: str
    bearers: list[Unit]
    text: str  # the clause
    action: str


@dataclass
class DocLink:
    relation: str  # based-on | repeals | interprets | revises
    title: str | None  # as printed
    number: str | None
    source_provision: str | None = None


@dataclass
class Target:
    provision: str
    ordinal: int
    metric: str
    value: float
    unit: str
    year: int | None
    comparator: str  # = | >= | > | <=
    group: str | None
    text: str


@dataclass
class Knowledge:
    responsibilities: list[Responsibility] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    links: list[DocLink] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    places: dict[str, list] = field(default_factory=dict)  # provision path ('' = document) → places
    district: object | None = None  # Place: the document's county-level place, if it has one
    place: object | None = None  # Place: the document's place at any level (None: not known)


# ---------------------------------------------------------------------- helpers
_LIST_LABELS = re.compile(r"(?P<label>牵头单位|主责单位|责任单位|配合单位|协办单位|参与单位|责任部门|牵头部门|配合部门)[：:]")
_ROLE_OF_LABEL = {"牵头单位": "lead", "牵头部门": "lead", "主责单位": "lead", "配合单位": "co", "协办单位": "co",
                  "参与单位": "co", "配合部门": "co"}


def _tail_parenthesis(text: str) -> tuple[str, str] | None:
    """The outermost parenthesis that ends ``text`` (nested ones allowed): (inside, text before it)."""
    t = text.rstrip().rstrip("。；")
    if not t.endswith("）"):
        return None
    depth = 0
    for i in range(len(t) - 1, -1, -1):
        if t[i] == "）":
            depth += 1
        elif t[i] == "（":
            depth -= 1
            if depth == 0:
                return t[i + 1:-1], t[:i]
    return None


#: a duty note closing a measure, without labels: （A、B负责）, （A、B按职责分工负责）, （A牵头，B、C参与）
_DUTY_NOTE = re.compile(
    r"^(?:(?P<lead>[^（）]+?)牵头(?:负责)?(?:[，,；;](?P<co>[^（）]+?)(?:参与|配合)(?:负责)?)?"
    r"|(?P<all>[^（）]+?)(?:按职责分工|按照职责分工|根据职责|分别|共同)?负责)"
    r"(?:。(?P<first_leads>列第一位者为牵头单位)(?:[，,]下同)?)?$"
)
#: 列第一位者为牵头单位，下同: in this document's duty notes, the body listed first leads and the others assist
FIRST_LEADS = "列第一位者为牵头单位"
#: a name that is a body or a kind of body (not a clause such as 确保落实到位)
_NAMES_A_BODY = re.compile(r"(?:局|委|办|厅|部|部门|单位|中心|政府|管委会|委员会|院|署|行|会|海关|总局|机构|监管局)(?:等(?:有关)?(?:部门|单位|部门和单位)?)?$")


def explicit_units(text: str, first_leads: bool = False) -> list[tuple[str, str]] | None:
    """Units listed in a trailing parenthesis, as (name as printed, role); None if there is no such list.

    （责任单位：A、B） → responsible; （牵头单位：A；责任单位：B） → A lead, B co;
    （区市场局、区行政服务中心） → responsible, when every name is a body;
    （A、B负责） → responsible, or A lead and B co where the document says 列第一位者为牵头单位 (``first_leads``);
    （A牵头，B参与） → A lead, B co.
    """
    tail = _tail_parenthesis(text)
    if tail is None:
        return None
    inside = tail[0].strip()
    labelled = list(_LIST_LABELS.finditer(inside))
    out: list[tuple[str, str]] = []
    if labelled:
        has_lead = any(_ROLE_OF_LABEL.get(m["label"]) == "lead" for m in labelled)
        for k, m in enumerate(labelled):
            end = labelled[k + 1].start() if k + 1 < len(labelled) else len(inside)
            chunk = inside[m.end():end].strip().strip("；;，, ")
            role = _ROLE_OF_LABEL.get(m["label"], "co" if has_lead else "responsible")
            # an explicit list names each body in full: split it, never expand shared heads
            names = [n.strip() for n in _split_top_list(chunk) if n.strip()]
            out += [(n, role) for n in names]
        return out or None
    duty = _DUTY_NOTE.match(inside)
    if duty:
        # national documents: （财政部、人民银行负责）, （A牵头，B、C参与）, （…，各省级人民政府按职责分工负责）
        if duty["lead"]:
            out = [(n, "lead") for n in _split_top_list(duty["lead"]) if n.strip()]
            out += [(n, "co") for n in _split_top_list(duty["co"] or "") if n.strip()]
        elif duty["first_leads"] or first_leads:
            names = [n for n in _split_top_list(duty["all"]) if n.strip()]
            out = [(n, "lead" if k == 0 else "co") for k, n in enumerate(names)]
        else:
            out = [(n, "responsible") for n in _split_top_list(duty["all"]) if n.strip()]
        # 人力资源社会保障部等有关部门和单位: the body named, the rest being unnamed
        out = [(re.sub(r"等(?:有关)?(?:部门和单位|部门|单位|机构)?$", "", n.strip()), r) for n, r in out
               if _NAMES_A_BODY.search(n.strip())]
        return out or None
    names = split_units(inside)
    if names and all(re.search(r"(局|委|办|厅|部门|中心|政府|管委会|委员会|院|署|海关|总部|分局|街道|镇)$", re.sub(r"（[^（）]*）$", "", n)) for n in names):
        return [(n, "responsible") for n in names]
    return None


def _split_top_list(text: str) -> list[str]:
    """Split a printed list on 、 and ， outside parentheses."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch == "（":
            depth += 1
        elif ch == "）":
            depth = max(0, depth - 1)
        if depth == 0 and ch in "、，,":
            out.append(cur)
            cur = ""
            continue
        cur += ch
    out.append(cur)
    return out


def _clauses(text: str) -> list[str]:
    """Sentences and their ；-clauses, in order (the terminators kept)."""
    out, cur = [], ""
    for ch in text:
        cur += ch
        if ch in "。；！？":
            out.append(cur)
            cur = ""
    if cur.strip():
        out.append(cur)
    return out


# ---------------------------------------------------------------------- deontic
_MODAL = re.compile(
    r"(?P<prohibition>禁止|不得|严禁|不准)"
    r"|(?P<obligation>应当|应该|必须|(?<!直接)负责(?![的人、])|(?<![相响供适对反呼答])应(?=[\u4e00-\u9fff])(?![当该用急对届收付变]))"
    r"|(?P<subject_must>(?<=[\u4e00-\u9fff])要(?![求素点闻害是么]))"
    r"|(?P<permission>可以)"
    r"|(?P<encouragement>鼓励和支持|鼓励|支持)"
)
_CONNECTIVE = re.compile(r"^(并且|并|且|还|也|均|都|同时|另外|但|但是|亦)$")
_ENCOURAGED_STOP = re.compile(r"(开展|参与|进行|提供|建设|使用|采取|实施|从事|投资|设立|在|通过|加强|发展|积极|主动|依法|按照)")


def deontic_statements(doc: Document, auth: Authority, district: "Place | None") -> list[Statement]:
    """Deontic statements of a regulation or a notice.

    One statement per modal expression in a clause (clauses end at 。 or ；): obligation (应当, 必须,
    负责), prohibition (禁止, 不得, 严禁), permission (可以), encouragement (鼓励, 支持, 鼓励和支持). The
    bearers are the bodies or parties the modal applies to: the unit list before the modal in its
    comma-segment; if that segment is empty or a connective (并、还、但), the bearers of the previous
    statement of the sentence, else the unit list at the start of an earlier segment of the clause
    (conditions ending in 的 are passed over). A subject that is an activity or a thing (植树造林应当…,
    检查验收情况应当…) gives no bearer: the bearer stays null, never invented. For encouragement the
    encouraged parties after 鼓励/支持 are the bearers. 支持 counts only at the start of a segment.
    """
    out: list[Statement] = []
    for prov in doc.walk():
        if not prov.text or prov.children and any(c.kind in ("paragraph", "point") for c in prov.children):
            continue
        if prov.kind in ("preamble", "intro", "measure") and doc.doc_type not in ("regulation", "notice", "decree"):
            continue
        k = 0
        sentence_bearers: list[Unit] | None = None
        for clause in _clauses(prov.text):
            if clause.endswith("。"):
                pass
            segments = re.split(r"[，,]", clause.rstrip("。；！？"))
            prev_bearers: list[Unit] | None = None
            seen_modal = False
            for si, seg in enumerate(segments):
                for m in _MODAL.finditer(seg):
                    modality = m.lastgroup
                    keyword = m.group(0)
                    before = seg[: m.start()]
                    needs_subject = modality == "subject_must"  # 要 is a modal only after a stated subject
                    if needs_subject:
                        modality = "obligation"
                    if modality == "encouragement" and before.strip() not in ("", "本市", "国家", "市", "区", "各区", "政府", "并", "同时"):
                        continue
                    bearers: list[Unit] | None = None
                    if modality == "encouragement":
                        after = seg[m.end():]
                        stop = _ENCOURAGED_STOP.search(after)
                        names = split_units(after[: stop.start()] if stop else after)
                        bearers = [auth.resolve(n, district) for n in names] if names else []
                    else:
                        b = before.strip()
                        if b.startswith("由"):
                            b = b[1:]  # 由区民政部门负责发放
                        if b and not _CONNECTIVE.match(b):
                            names = split_units(b) or leading_units(b)
                            if names and (split_units(b) or _starts_unit(b)):
                                bearers = [auth.resolve(n, district) for n in names]
                            else:
                                bearers = []  # an activity or a thing as subject
                        elif prev_bearers is not None and seen_modal:
                            bearers = prev_bearers
                        else:
                            for j in range(si - 1, -1, -1):
                                earlier = segments[j].strip()
                                if earlier.endswith("的") or not earlier:
                                    continue
                                names = leading_units(earlier)
                                bearers = [auth.resolve(n, district) for n in names] if names else []
                                break
                            if bearers is None:
                                # across a ；, only a connective (并、还) carries the bearer on
                                bearers = sentence_bearers if (sentence_bearers and b and _CONNECTIVE.match(b)) else []
                    if needs_subject and not bearers:
                        continue
                    k += 1
                    action = seg[m.end():].strip() or "".join(segments[si + 1: si + 2]).strip()
                    out.append(Statement(prov.path, k, modality, keyword, bearers or [], clause.strip(), action))
                    prev_bearers = bearers
                    seen_modal = True
            if clause.endswith("。"):
                sentence_bearers = None
            else:
                sentence_bearers = prev_bearers or sentence_bearers
    return out


def _starts_unit(segment: str) -> bool:
    names = leading_units(segment)
    return bool(names)


# ---------------------------------------------------------------------- responsibility
_SUBJECT_TAIL = re.compile(r"^(是|为|具体负责|负责|应当|要(?!求)|应(?!用)|须|根据|依据|配合|协助|开展|会同|牵头|统筹|按照|依托|加强|建立|做好|发挥|及时|定期|对|在|将|设立|制定|承担|推进|推动|完善|探索|落实|加快|指导)")


def subject_units(text: str) -> list[str] | None:
    """Bodies that are the subject of a sentence: 市民政局是…主管部门, 区民政部门具体负责…,
    上海自贸试验区管委会、临港新片区管委会按照… — a unit list at the very start, followed by a verb."""
    t = text.lstrip("“")
    for cut in range(min(len(t), 60), 1, -1):
        head = t[:cut]
        if not re.search(r"(局|委|办|厅|部门|中心|政府|管委会|委员会|院|署|海关|总部|分局|机构|办事处|居村委会|林长)$", re.sub(r"（[^（）]*）$", "", head)):
            continue
        if not _SUBJECT_TAIL.match(t[cut:]):
            continue
        names = split_units(head)
        if names and all(_name_like(n) for n in names):
            return names
    return None


_VERB_START = re.compile(
    r"^(探索|落实|推进|推动|加强|完善|建立|开展|支持|鼓励|深化|优化|持续|全面|实施|做好|发挥|引导|提升|加快|强化|"
    r"健全|构建|打造|创新|扩大|积极|依托|围绕|聚焦|坚持|促进|组织|规范|严格|指导|协调|通过|对|在|按照|根据|具体|统一|逐步|进一步|"
    r"后续|今后|同时|此外|与|和|同|向|由|为|被|以|从)"
)


def _name_like(name: str) -> bool:
    """Could this be the name of a body (not a verb phrase that happens to end in 中心 or 部署)?"""
    return not _VERB_START.match(name) and not re.search(r"[“”《》的由在将对]|应当|会同|协助|配合|负责", name)


def _government_of(issuer: str | None) -> str | None:
    """The government a plan's issuer acts for: 上海市人民政府办公厅 → 上海市人民政府."""
    if not issuer:
        return None
    m = re.match(r"^(.*?人民政府)(办公厅|办公室)?$", issuer)
    return m.group(1) if m else issuer


def responsibilities(doc: Document, auth: Authority, district: "Place | None", statements: list[Statement]) -> list[Responsibility]:
    """Responsible units of every measure (plans) and of provisions with a stated subject (others).

    Plans: a measure takes the explicit list that ends its own text or its numbered item's text
    (method explicit; 牵头 → lead, 配合 → co, else responsible); failing that, the bodies that are
    its sentence's subject (method subject); failing that, the government that issued the plan
    (method default, role responsible). Regulations and notices: the bodies a sentence names as its
    subject (X是…主管部门, X负责…, X应当…) — from the deontic statements' bearers that are bodies.
    """
    out: list[Responsibility] = []
    if doc.doc_type in PLAN_TYPES_SET:
        default = _government_of(doc.issuer)
        first_leads = any(FIRST_LEADS in (p.text or "") for p in doc.walk())
        parents: dict[str, Provision] = {}
        for p in doc.walk():
            for c in p.children:
                parents[c.path] = p
        for p in doc.walk():
            if p.kind != "measure":
                continue
            listed = explicit_units(p.text or "", first_leads)
            parent = parents.get(p.path)
            if listed is None and parent is not None and parent.text:
                listed = explicit_units(parent.text, first_leads)
            if listed:
                for name, role in listed:
                    out.append(Responsibility(p.path, auth.resolve(name, district), role, "explicit"))
                continue
            names = subject_units(p.text or "")
            if names:
                for n in names:
                    out.append(Responsibility(p.path, auth.resolve(n, district), "responsible", "subject"))
                continue
            if default:
                out.append(Responsibility(p.path, auth.resolve(default, district), "responsible", "default"))
        return out
    seen = set()
    for p in doc.walk():
        if not p.text or p.children:
            continue
        for names in filter(None, (subject_units(c) for c in _clauses(p.text))):
            for n in names:
                u = auth.resolve(n, district)
                if (p.path, u.iri) not in seen:
                    seen.add((p.path, u.iri))
                    out.append(Responsibility(p.path, u, "responsible", "subject"))
    for s in statements:
        if s.modality != "obligation":
            continue
        for u in s.bearers:
            if u.kind == "agency" or re.search(r"(部门|政府|机构|办事处|居村委会|林长)$", u.label):
                if (s.provision, u.iri) not in seen:
                    seen.add((s.provision, u.iri))
                    out.append(Responsibility(s.provision, u, "responsible", "subject"))
    return out


# ---------------------------------------------------------------------- document links
_BASIS = re.compile(
    r"(?:根据|依据|依照|按照|为(?:深入)?贯彻(?:落实)?|贯彻落实|以)"
    r"(?P<titles>(?:《(?:[^《》]|《[^《》]*》)+》(?:（[^（）]*）)?[、和及与]?)+)"
    r"(?P<after>为依据|(?:的)?(?:要求|规定|精神|部署))?"
)
_NUMBER_IN = re.compile(r"（(?:[^（）]*?)(?P<number>[\u4e00-\u9fff]{1,12}〔(?:19|20)\d{2}〕\d{1,5}号|[\u4e00-\u9fff]{2,30}令第\d{1,5}号)")
_REPEAL = re.compile(r"(?P<what>(?:(?!。).){0,160}?)《(?P<title>[^《》]+)》同时废止")
_DECREE_NO = re.compile(r"(?P<number>(?:(?![日月年])[\u4e00-\u9fff]){2,30}?令第\d{1,5}号)公布")


def _purpose_clause(doc: Document) -> tuple[str, str | None]:
    """The text that states why and under what the document is made: its preamble, or first article."""
    for p in doc.provisions:
        if p.kind == "preamble":
            return p.text or "", p.path
        if p.kind == "article":
            return p.text or "", p.path
        if p.kind == "chapter":
            arts = [c for c in p.walk() if c.kind == "article"]
            if arts:
                return arts[0].text or "", arts[0].path
        break
    return "", None


def document_links(doc: Document) -> list[DocLink]:
    """Legal bases (from the purpose clause only: 根据《X》, 依据《X》, 以《X》为依据, 为贯彻《X》,
    按照《X》要求), repeals (《X》同时废止, with the repealed act's decree number when printed),
    the act an interpretation explains (关于《X》的政策解读), and revisions an interpretation states
    (the act explained revises the act named with its number: 《…通知》（沪府发〔2016〕24号…）)."""
    out: list[DocLink] = []
    text, path = _purpose_clause(doc)
    if doc.doc_type != "interpretation":
        for m in _BASIS.finditer(text):
            if m.group(0).startswith("以") and m.group("after") != "为依据":
                continue
            # （以下简称《总体方案》） names an alias, not another act
            titles = re.sub(r"（[^（）]*简称[^（）]*）", "", m.group("titles"))
            for t in BOOK_TITLE.finditer(titles):
                title = t.group("t").replace("〈", "《").replace("〉", "》")
                number = None
                rest = titles[t.end():]
                n = _NUMBER_IN.match(rest)
                if n:
                    number = n.group("number")
                out.append(DocLink("based-on", title, number, path))
    for p in doc.walk():
        for m in _REPEAL.finditer(p.text or ""):
            numbers = _DECREE_NO.findall(m.group("what"))
            out.append(DocLink("repeals", m.group("title"), numbers[0] if numbers else None, p.path))
    if doc.doc_type == "interpretation":
        m = re.match(r"^(?:关于)?《(?P<t>(?:[^《》]|《[^《》]*》)+)》", doc.title)
        if m:
            out.append(DocLink("interprets", m.group("t"), None, None))
            for p in doc.walk():
                for r in re.finditer(r"《(?P<t>[^《》]+)》（(?P<n>[\u4e00-\u9fff]{1,12}〔(?:19|20)\d{2}〕\d{1,5}号)", p.text or ""):
                    if "修订" in (p.text or "") or "修订" in "".join(x.text or "" for x in doc.walk()):
                        out.append(DocLink("revises", r.group("t"), r.group("n"), p.path))
                        break
    return out


# ---------------------------------------------------------------------- targets
_NUM = r"(?P<value>\d+(?:\.\d+)?)"
_UNIT = r"(?P<unit>%|个百分点|个|项|家|件|万元|亿元|元|万人|人|小时|分钟|天|日|年|倍|公里|平方米|亩|公顷|户|次|类|批|条|所|座|套)"
_TARGET = re.compile(
    rf"(?P<metric>[^，。；：]{{0,40}}?)(?P<verb>总体达到|达到|超过|不少于|不低于|提高到|提升至|提升到|提高至|控制在|缩短至|压缩至|降至|至少|突破)"
    rf"{_NUM}{_UNIT}(?P<more>以上|以内|左右)?"
)
_RATE_FIRST = re.compile(rf"{_NUM}{_UNIT}(?P<metric>[\u4e00-\u9fff]{{1,6}}率|响应|办结|解决)")
_MONEY = re.compile(r"每人每月(?P<value>\d+(?:\.\d+)?)元")
_YEAR = re.compile(r"(?:^|[。；\s])(?P<y>20\d{2})年[，,]")
_COMPARATOR = {"超过": ">", "不少于": ">=", "不低于": ">=", "至少": ">=", "突破": ">", "控制在": "<=",
               "缩短至": "<=", "压缩至": "<=", "降至": "<="}


_NOT_COMMITMENT = re.compile(r"(之日起|期限|期间|情况下|时限|届满|以前|之前|前$)")


def _clean_metric(raw: str) -> str:
    """The metric as printed, trimmed, with its quotes balanced: 高频事项“首办成功率 → “首办成功率”."""
    metric = raw.strip("，、 \n")
    metric = re.sub(r"^(推进|推动|实现|确保|力争|其中|到20\d{2}年|20\d{2}年)", "", metric).strip("，、 ")
    if metric.count("“") > metric.count("”"):
        metric = metric[metric.rindex("“"):] + "”"
    elif metric.count("”") > metric.count("“"):
        metric = "“" + metric
    return metric


def quantified_targets(doc: Document) -> list[Target]:
    """Quantified commitments of plans: a metric reaching a number with a unit (达到/超过/不少于/提高到 …
    N%/个/项 …; “1分钟响应，90%解决率”), with the year of its paragraph when the paragraph (or an earlier
    sentence of it) starts with one (2025年，…); procedural time limits (自…之日起不少于25日) are rules,
    not commitments, and are left out. In any document: money amounts (每人每月N元) with the group they
    apply to (the provision's text before the amount, e.g. 65-69周岁)."""
    out: list[Target] = []
    plan = doc.doc_type in PLAN_TYPES_SET
    for container in doc.walk():
        leaves = [c for c in container.children if c.kind == "measure"] or ([container] if not container.children else [])
        if not container.text or container.kind == "preamble" or not leaves:
            continue
        text = container.text
        years = [(m.start(), int(m.group("y"))) for m in re.finditer(r"(?:^|[。；])(?P<y>20\d{2})年[，,]", text)]

        def year_at(pos: int) -> int | None:
            found = [y for s, y in years if s <= pos]
            return found[-1] if found else None

        def leaf_of(snippet: str) -> Provision:
            return next((l for l in leaves if snippet in (l.text or "")), leaves[0])

        counters: dict[str, int] = {}

        def add(snippet: str, pos: int, metric: str, value: str, unit: str, comp: str, group: str | None) -> None:
            leaf = leaf_of(snippet)
            counters[leaf.path] = counters.get(leaf.path, 0) + 1
            out.append(Target(leaf.path, counters[leaf.path], metric, float(value), unit, year_at(pos), comp, group, snippet))

        if plan:
            for m in _TARGET.finditer(text):
                metric = _clean_metric(m.group("metric"))
                if not metric or _NOT_COMMITMENT.search(metric):
                    continue
                comp = _COMPARATOR.get(m.group("verb"), "=")
                if m.group("more") == "以上":
                    comp = ">="
                elif m.group("more") == "以内":
                    comp = "<="
                add(m.group(0), m.start(), metric, m.group("value"), m.group("unit"), comp, None)
            for m in _RATE_FIRST.finditer(text):
                add(m.group(0), m.start(), m.group("metric"), m.group("value"), m.group("unit"), "=", None)
        for m in _MONEY.finditer(text):
            group = text[: m.start()].strip("，、 ") or None
            add(m.group(0), m.start(), "每人每月金额", m.group("value"), "元/人/月", "=", group)
    return out


# ---------------------------------------------------------------------- all together
def extract_knowledge(doc: Document, auth: Authority) -> Knowledge:
    k = Knowledge()
    district = k.place = auth.document_place(doc)
    if district is not None and district.kind == "District":
        k.district = district
    if doc.doc_type in ("regulation", "notice", "decree"):
        k.statements = deontic_statements(doc, auth, district)
    k.responsibilities = responsibilities(doc, auth, district, k.statements)
    k.links = document_links(doc)
    k.targets = quantified_targets(doc)
    for p in doc.walk():
        if p.kind in ("measure", "article", "paragraph", "point") and p.text:
            found = auth.places_in(p.text, k.place.code if k.place is not None else None)
            if found:
                k.places[p.path] = list(found)
    return k
