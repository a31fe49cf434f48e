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
from functools import lru_cache

from .authority import Authority, Unit, head_ends, leading_units, split_units
from .model import Document, Provision
from .numerals import CN_CHARS, cn_number, year_expressions, year_of
from .patterns import BOOK_TITLE
from .structure import MEASURE_TYPES as PLAN_TYPES_SET

# ---------------------------------------------------------------------- records


@dataclass
class Responsibility:
    provision: str  # path of the measure (or leaf provision)
    unit: Unit
    role: str  # lead | co | responsible
    method: str  # explicit | section | subject | default


@dataclass
class Statement:
    provision: str  # path of the leaf provision holding it
    ordinal: int
    modality: str  # obligation | prohibition | permission | right | exemption | cap | encouragement
    keyword: str  # the cue as printed: a modal word, or the verb (or 由) of a mandate without one
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
    value_text: str | None = None  # the numeral as printed: 百分之九十, 1.5, 五千
    value_start: int | None = None  # where it is printed in the provision's text
    value_end: int | None = None


@dataclass
class Knowledge:
    responsibilities: list[Responsibility] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    links: list[DocLink] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    places: dict[str, list] = field(default_factory=dict)  # provision path ('' = document) → places
    deadlines: dict[str, str] = field(default_factory=dict)  # measure path → deadline as printed in a task table
    #: task-table rows and the measure path each restates (None: no measure is close enough)
    task_links: list[tuple[object, str | None]] = field(default_factory=list)
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


#: one clause of a duty note closing a measure, without labels: A、B负责 / A牵头 / B、C参与 / A指导 / A会同B负责
_DUTY_CLAUSE = re.compile(
    r"^(?P<names>[^（）]+?)(?P<verb>牵头负责|牵头|(?:按照?职责分工|根据职责|分别|共同|具体)?负责(?:落实)?|指导|参与|配合|协助)$"
)
#: 列第一位者为牵头单位，下同 (or 排在第一位的部门为牵头部门): in this document's duty notes, the body listed first
#: leads and the others assist
FIRST_LEADS = re.compile(r"列第一位者?为牵头单位|排在第一位的(?:部门|单位)为牵头(?:部门|单位)")
#: clauses of a duty note that state a rule of the document rather than name bodies
_DUTY_META = re.compile(rf"^(?:(?P<first>{FIRST_LEADS.pattern})|下同|不再列出|以下均需(?P<standing>.+?)落实)$")
#: a name that is a body or a kind of body (not a clause such as 确保落实到位)
_NAMES_A_BODY = re.compile(r"(?:局|委|办|厅|部|部门|单位|中心|政府|管委会|委员会|院|署|行|会|海关|总局|机构|监管局|总社)(?:等(?:有关)?(?:部门|单位|部门和单位)?)?$")
_UNNAMED = re.compile(r"等(?:有关|相关)?(?:部门和单位|部门|单位|机构)?$")


@dataclass(frozen=True)
class DutyNote:
    """What a parenthesis closing a measure says: the units with their roles, and document rules it states."""

    units: list[tuple[str, str]]
    first_leads: bool = False  # 列第一位者为牵头单位
    standing: list[str] = field(default_factory=list)  # 以下均需X落实，不再列出: X is responsible for what follows


@lru_cache(maxsize=16384)
def duty_note(text: str, first_leads: bool = False) -> DutyNote | None:
    """The units listed in a parenthesis that ends ``text``, as (name as printed, role); None if there is none.

    Labelled lists: （责任单位：A、B，各区政府） → responsible (groups split on 、，；); （牵头单位：A；配合单位：B、C）
    and （牵头单位：A，配合单位：B） → A lead, B and C co; a lead alone (（牵头单位：A）) → lead.
    Duty notes: （A、B负责） → responsible, or A lead and B co where the document says 列第一位者为牵头单位 /
    排在第一位的部门为牵头部门 (``first_leads``, or the note itself); （A牵头，B、C参与） → A lead, B and C co;
    （A指导，B负责落实） → responsible; （A会同B负责） → A, and B co. 以下均需X落实，不再列出 makes X responsible
    for every later measure (``standing``). （区市场局、区行政服务中心）: bodies alone → responsible.
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
            out += [(n, role) for n in _list_names(chunk)]
        return DutyNote(out) if out else None
    first_rule, standing = False, []
    clauses = [c.strip() for c in re.split(r"[，,；;。]", inside) if c.strip()]
    found: list[tuple[list[str], str]] = []
    pending: list[str] = []
    complete = False
    for clause in clauses:
        meta = _DUTY_META.match(clause)
        if meta:
            first_rule = first_rule or bool(meta["first"])
            if meta["standing"]:
                standing += _list_names(meta["standing"])
            continue
        m = _DUTY_CLAUSE.match(clause)
        if not m:
            named = _list_names(clause)
            if named and all(_NAMES_A_BODY.search(n) for n in named):
                pending += named  # （A、B，各省级人民政府按职责分工负责）: names before the clause with the verb
                continue
            break
        names = m["names"]
        helpers: list[str] = []
        joint = re.match(r"^(?P<a>.+?)会同(?P<b>.+)$", names)
        if joint:
            names, helpers = joint["a"], [h for h in _list_names(joint["b"]) if not re.match(r"^(?:有关|相关|其他)", h)]
        named = _list_names(names)
        if not named or not all(_NAMES_A_BODY.search(n) for n in named):
            break
        found.append((pending + named, m["verb"]))
        pending = []
        if helpers:
            found.append((helpers, "会同"))
    else:
        complete = not pending  # every clause named bodies with a verb of duty, or stated a rule
    if not complete:
        found = []
    if found:
        has_lead = any(v.startswith("牵头") for _, v in found)
        first = first_rule or first_leads
        for names, verb in found:
            for i, n in enumerate(names):
                if verb.startswith("牵头"):
                    role = "lead"
                elif verb in ("参与", "配合", "协助", "会同") or has_lead:
                    role = "co"
                elif first and not out:
                    role = "lead" if i == 0 else "co"
                elif first:
                    role = "co"
                else:
                    role = "responsible"
                out.append((n, role))
        return DutyNote(out, first_rule, standing)
    if first_rule or standing:
        return DutyNote([], first_rule, standing)
    # not a duty note: bodies alone — （区市场局、区行政服务中心）
    names = split_units(inside)
    if names and all(re.search(r"(局|委|办|厅|部门|中心|政府|管委会|委员会|院|署|海关|总部|分局|街道|镇)$", re.sub(r"（[^（）]*）$", "", n)) for n in names):
        return DutyNote([(n, "responsible") for n in names])
    return None


def explicit_units(text: str, first_leads: bool = False) -> list[tuple[str, str]] | None:
    """The units of :func:`duty_note`, or None."""
    note = duty_note(text, first_leads)
    return note.units if note and note.units else None


def _list_names(chunk: str) -> list[str]:
    """The names of a printed list, each in full, without 等 and 等有关部门 (the unnamed rest)."""
    out = []
    for n in _split_top_list(chunk):
        n = _UNNAMED.sub("", n.strip()).strip()
        if n:
            out.append(n)
    return out


def _split_outside_brackets(text: str, separators: str) -> list[str]:
    """Split ``text`` on any of ``separators`` outside （） and () brackets."""
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(0, depth - 1)
        if depth == 0 and ch in separators:
            out.append(cur)
            cur = ""
            continue
        cur += ch
    out.append(cur)
    return out


def _split_top_list(text: str) -> list[str]:
    """Split a printed list on 、，； outside parentheses."""
    return _split_outside_brackets(text, "、，,；;")


def _segments(clause: str) -> list[str]:
    """The comma segments of a clause; a comma inside brackets (（包括…，下同）) does not end one."""
    return _split_outside_brackets(clause, "，,")


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
#: cues with a modal word; the order of the alternatives decides at one position (不应 before 应, 可以 before 可)
_MODAL = re.compile(
    r"(?P<prohibition>禁止|不得|严禁|不准|不许(?!可)|不应当|不应(?=[\u4e00-\u9fff]))"
    r"|(?P<exemption>(?:不需要|不需|无需|无须|免于|免予|不再)(?=申请|办理|提交|审批|提供|缴纳|登记|备案|领取|核准|报送|重复)|免征|免收)"
    r"|(?P<obligation>应当|应该|必须|负有(?=[^，。；]{0,12}(?:义务|职责|责任))|(?<!直接)(?<!分级)负责(?![的人、])|(?<![享拥具持共所占没])有(?=[^，。；]{1,30}的义务)"
    r"|(?<![相响供适对反呼答理顺])应(?=[\u4e00-\u9fff])(?![当该用急对届收付变])|(?<![必无毋])须(?=[\u4e00-\u9fff])(?![知]))"
    r"|(?P<subject_must>(?<=[\u4e00-\u9fff])(?<![主需重必首紧只摘纲提概简])要(?![求素点闻害是么件])(?=[\u4e00-\u9fff]))"
    r"|(?P<permission>可以|(?<![许认不即宁无])可(?=[\u4e00-\u9fff])(?![能行靠持视见知喜怜惜谓供以是否比疑支及]))"
    r"|(?P<right>(?<![所享拥占产])有权|享有(?=[^，。；]{0,20}权)|(?<![享拥具持共所占没])有(?=[^，。；]{1,12}的权利)|依法自主(?=经营|决定|管理|开展|选择))"
    r"|(?P<cap>(?:一般|最长|最多|最高|原则上)不(?:超过|高于|多于))"
    r"|(?P<encouragement>鼓励和支持|鼓励|支持(?!、)|提倡|倡导)"
)
#: a modal word inside a relative clause names a thing, not a duty: 应当具备的条件, 法规禁止的其他事项
_RELATIVE_CLAUSE = re.compile(
    r"^(?!在|按照|根据|依照|依据|对|向|从|为|与|将|把|经|由|于|以)[\u4e00-\u9fff]{0,8}的(?:条件|情形|事项|内容|材料|义务|职责|责任|资料|文件|其他|事由|范围|标准|要求|期限|行为|费用|信息|项目|措施|证明|权益|权利|利益|待遇)"
    r"[^，。；：]{0,8}$"
)
#: verbs by which a body as subject is given a duty without a modal word (本市建立…, 市林业部门主管…, 由X组织…)
_MANDATE = re.compile(
    r"(?P<verb>主管|负责|进行|组织实施|组织|制定|统筹|指导|监督|管理|实施|做好|建立|纳入|协调|履行|确定|审批|审核|编制|公布|发布|设立|"
    r"开展|加强|保障|推进|落实|承担|会同|核发|受理|责令|给予|提供|协助|配合|保护|促进|推动|引导|扶持|规范|完善|健全|实行)"
)
_CONNECTIVE = re.compile(r"^(并且|并|且|还|也|均|都|同时|另外|但|但是|亦|其中)$")
#: a clause after ； that opens with a connective carries the bearer of the clause before it
_OPENS_WITH_CONNECTIVE = re.compile(r"^(?:并且|并|且|还|也|同时|但是|但|亦)")
_ENCOURAGED_STOP = re.compile(r"(开展|参与|进行|提供|建设|使用|采取|实施|从事|投资|设立|在|通过|加强|发展|积极|主动|依法|按照|以|为|向|利用|兴办|举办|捐赠|依托|担任|参加|投入|开发|对接)")
#: a short name the text introduces: 市住房保障办公室（以下称市住房保障部门）
_ALIAS = re.compile(r"（(?:(?:以下|下文)?简?称|包括|含|不含|不包括)[^（）]{1,40}）")
#: verbs after 本市/本省 that make the place the subject of a policy: 本市实行…, 本市采取…
_PLACE_VERB = re.compile(r"^(?:实行|采取|完善|健全|推行|支持|鼓励|加大|加快|建设|构建|推动|促进|按照|依法|各级)")
#: a conjunction before a condition's subject: 如果提名的候选人…
_IF = re.compile(r"^(?:如果|假如|若|凡是|凡|如)(?=[\u4e00-\u9fff]{2})")
#: what follows a subject: an adverbial before its verb (X按照职责分工…, X在…, X对…)
_SUBJECT_FOLLOWER = re.compile(
    r"^(?:按照|依照|依据|根据|在|对|向|与|会同|共同|分别|要|应|须|可|依法|各自|具体|是|都|均|也|"
    r"申请|提出|变更|从事|进行|使用|设立|办理|取得|需要|发现|违反|拟|未|不|因|经|有|享有|持有|承担)"
)
_CONDITION_OPENING = re.compile(r"^(?:在|对|经|未经|因|为|除|如|凡|按照|根据|依照|依据|违反|自|从|当|有下列|属于)")
#: printed subjects that are not bodies but stand for the government of the place: 本市建立…, 本省实行…
_PLACE_SUBJECT = re.compile(r"^(本市|本省|本自治区|本区|本县|本州|国家|各级人民政府)")


def _mandate_verb(rest: str):
    """The first verb of duty in the first 40 characters after a subject, not one inside a body's name
    (住房保障部门, 城市管理局)."""
    if _CONDITION_OPENING.match(rest) and re.search(r"(?:时|中|后|前|的)$", rest):
        return None  # 在制定干部规划时: a circumstance, the duty follows in the next segment
    for m in _MANDATE.finditer(rest[:40]):
        if re.search(r"(?:不予|不|未|无需|无须)$", rest[: m.start()]):
            continue  # 不予受理: a refusal, not a duty
        if not re.match(r"(?:部门|局|机构|办公室|委员会|中心|单位|委|办|的|方案|计划)", rest[m.end():]):
            return m
    return None


def _bodies(names: list[str], auth: Authority, district) -> list[Unit]:
    return [auth.resolve(n, district) for n in names]


def _subject_of(segment: str, loose: bool = False) -> tuple[list[str] | None, str]:
    """The bodies or parties a segment opens with, and the rest after them and their adverbials
    (由X…, 本市…, 县级以上人民政府卫生健康主管部门…, 经营者…); (None, segment) if it opens with none."""
    seg = _IF.sub("", _ALIAS.sub("", segment.strip().lstrip("“（")))
    agent = seg.startswith("由")  # 由X划定: whatever follows X is its verb
    if agent:
        seg = seg[1:]
    else:
        topic = re.match(r"^[^，由]{1,40}?由(?=[\u4e00-\u9fff])", seg)  # 商品林由林业经营者依法自主经营
        if topic and not split_units(topic.group(0)[:-1]):
            seg, agent = seg[topic.end():], True
    their = re.match(r"^(?P<x>[^，。；]{2,30}?)及其(?!他)(?P<y>[^，。；及]{2,20}?(?:部门|机构|工作人员|机关|会员|成员|人员))(?=应|不得|可|须|必须|负责|要|在|对|按照|依法|$)", seg)
    if their and split_units(their["x"]):
        xs = split_units(their["x"])
        return xs + [x + their["y"] for x in xs], seg[their.end():]  # 省、设区的市人民政府及其司法行政部门
    names = split_units(seg) or leading_units(seg)
    if names and not all(_name_like(n) for n in names):
        names = None  # 指导各区住房保障部门, 会同相关职能部门: a verb phrase, not a subject
    if not names:
        # 市林业部门主管本市林业工作: the longest unit list followed by a verb of duty or a modal word
        for cut in head_ends(seg[:-1]):
            if cut < 2:
                break
            head = split_units(seg[:cut])
            if head and all(_name_like(n) for n in head) and (_MANDATE.match(seg[cut:]) or _MODAL.match(seg[cut:])
                                                              or _SUBJECT_FOLLOWER.match(seg[cut:]) or agent
                                                              or (loose and re.match(r"[\u4e00-\u9fff]", seg[cut:]))):
                return head, seg[cut:]
        place = _PLACE_SUBJECT.match(seg)
        if place and place.group(1) in ("本市", "本省", "本自治区", "本区", "本县", "本州", "国家"):
            rest = seg[place.end():]
            if _MANDATE.match(rest) or _MODAL.match(rest) or _PLACE_VERB.match(rest):
                return [place.group(1)], rest  # 本市建立…: the place as printed subject (本市航道… is a thing)
        return None, seg
    # where the names end in the segment: after the longest unit-list prefix
    for cut in head_ends(seg):
        found = split_units(seg[:cut])
        if found and (found == names or leading_units(seg) == found):
            return names, seg[cut:]
    return names, ""


def _is_body(name: str, unit: Unit) -> bool:
    """A body (a listed agency, a kind of department or government, or a name ending as bodies do), not a
    private party and not a phrase that merely ends in 办 or 会 (联审联办)."""
    return (unit.kind == "agency" and unit.resolved) or bool(re.search(
        r"(部门|政府|机构|机关|办事处|委员会|居村委会|林长|本市|本省|本自治区|国家|局|厅|中心|管委会|总队|支队|大队|办公室|公司)$", name))


def deontic_statements(doc: Document, auth: Authority, district: "Place | None") -> list[Statement]:
    """Deontic statements of a regulation or a notice — one per deontic clause.

    A clause ends at 。；！？. Cues: obligation (应当, 应, 必须, 须, 负责, 负有…义务, 要 after a stated subject),
    prohibition (禁止, 不得, 严禁, 不准, 不应), permission (可以, 可 before a verb), right (有权, 享有…权,
    有…的权利, 依法自主经营), exemption (无需/不需要/免于 申请…, 免征), cap (一般/最长不超过), encouragement
    (鼓励, 支持, 提倡, 倡导); and, with no modal word, a body as subject of a mandate verb (X主管/负责/组织/
    制定…, 由X会同Y制定, 本市建立…: obligation, the cue the verb or 由). Short forms never match inside words
    (相应, 应用, 可能, 许可, 主要, 需要, 要求 …) or in a relative clause (应当具备的条件).

    Bearers: the bodies or parties before the cue in its comma segment (由X → X, shared heads spread by
    :func:`split_units`); else those of the clause's previous statement; else the subject of an earlier
    segment of the clause (conditions …的, 在…, 对… passed over); across a ； only after a connective
    (并、还、但). For encouragement, the parties after the cue. A subject that is an activity or a thing
    gives no bearer: null, never invented. A statement whose segment has no subject of its own and the
    same modality and bearers as the one before it in the clause is the same statement (coordinated
    verbs: 应当A，并B，C is one); a change of modality or bearer starts a new one.
    """
    out: list[Statement] = []
    for prov in doc.walk():
        if not prov.text or prov.children and any(c.kind in ("paragraph", "point") for c in prov.children):
            continue
        if prov.kind in ("preamble", "intro", "measure") and doc.doc_type not in ("regulation", "notice", "decree"):
            continue
        k = 0
        carried: list[Unit] | None = None  # bearers a following clause may carry after a connective
        text = prov.text
        note = duty_note(text)
        if note is not None and note.units:
            text = _tail_parenthesis(text)[1]  # （A、B负责）: a designation, read as responsibility, not a clause
        for clause in _clauses(text):
            body = clause.rstrip("。；！？")
            if re.match(r"^(?:为了|为)[^，。]*[，,]", body) and re.search(r"制定本(?:条例|规定|办法|细则|实施办法)|特制定本", body):
                carried = None
                continue  # the purpose article
            if re.search(r"^本(?:条例|规定|办法|细则)(?:所称|中)?[^。；]{0,30}?(?:是指|指|包括)", body) or re.search(r"(?:自\S{0,20}起施行|同时废止)$", body):
                carried = None
                continue
            segments = _segments(body)
            clause_statements: list[Statement] = []
            subject_cache: dict[int, list[Unit] | None] = {}

            def clause_subject(before: int) -> list[Unit] | None:
                """The subject named by an earlier segment of the clause (conditions passed over)."""
                for j in range(before - 1, -1, -1):
                    if j in subject_cache:
                        if subject_cache[j] is not None:
                            return subject_cache[j]
                        continue
                    seg = segments[j].strip()
                    names, _rest = _subject_of(seg, loose=True)  # 人民调解委员会调解民间纠纷，应当…
                    # 法人申请设立…的，应当…: the party a condition opens with bears what follows; a condition
                    # that opens with a preposition (对…的, 在…时, 经…) names none
                    subject_cache[j] = _bodies(names, auth, district) if names and not _CONDITION_OPENING.match(seg) else None
                    if subject_cache[j] is not None:
                        return subject_cache[j]
                return None

            pending: tuple[list[str], str] | None = None  # a subject whose verb of duty is in the next segment
            for si, seg in enumerate(segments):
                cues = [m for m in _MODAL.finditer(seg) if not (m.lastgroup not in ("encouragement", "right") and _RELATIVE_CLAUSE.match(seg[m.end():]))
                        and not (m.lastgroup == "right" and seg[m.end():].startswith("的"))  # 享有的权益: a thing
                        and not re.search(r"的[^，。；]{0,12}除外$", seg[m.end():])]  # …或者禁止…的纠纷除外: an exception
                mandate = None
                carried_subject = False
                if cues:
                    pending = None  # the subject found its verb
                if not cues:
                    names, rest = _subject_of(seg)
                    mv = _mandate_verb(rest) if names and not re.match(r"^(?:是|为|系|指|包括|所称|的)", rest) else None
                    if names and mv is None and (re.match(r"^(?:按照|依照|根据|依据|结合)", rest) or not rest):
                        pending = (names, seg)  # X按照职责分工，协同做好…: the verb is in the next segment
                        continue
                    if not names and pending is not None and not _subject_of(seg)[0]:
                        mv = _mandate_verb(seg)
                        if mv is not None:
                            names, rest, carried_subject = pending[0], seg, True
                    pending = None
                    # 由X…: 由 marks X as the agent
                    by_agent = bool(names) and re.search(r"由$", seg[: max(0, seg.find(names[0][:2]))]) is not None
                    if by_agent and mv is None and re.match(r"^[\u4e00-\u9fff]", rest):
                        mv = re.match(r"^(?P<verb>[\u4e00-\u9fff]{1,2})", rest)  # 由X提出: any verb after 由X
                    if names and mv and not seg.strip().endswith("的"):
                        units = _bodies(names, auth, district)
                        # 由父母或者其他法定监护人…办理: the agent may be a party as well as a body
                        if by_agent or all(_is_body(n, u) for n, u in zip(names, units)):
                            mandate = (units, "由" if by_agent else mv["verb"])
                    if mandate is None:
                        continue
                if mandate is not None:
                    units, cue = mandate
                    # 由X会同Y制定: Y is a bearer too
                    joint = re.search(r"会同(?P<b>[^，。；]{2,40}?)(?:制定|组织|负责|开展|编制|做好|实施|建立|确定|进行|研究)", seg)
                    if joint:
                        extra = split_units(joint["b"])
                        if extra:
                            units = units + _bodies([e for e in extra if not e.startswith(("有关", "相关"))], auth, district)
                    found = [("obligation", cue, units, rest, not carried_subject)]
                else:
                    found = []
                    for m in cues:
                        modality, keyword = m.lastgroup, m.group(0)
                        before = seg[: m.start()]
                        if modality == "subject_must":
                            modality = "obligation"
                            if not before.strip() or _CONNECTIVE.match(before.strip()):
                                if not clause_statements:
                                    continue  # 要 is a modal only after a stated subject
                        if modality == "encouragement":
                            if before.strip() not in ("", "本市", "本省", "国家", "市", "区", "各区", "政府", "并", "同时", "积极", "大力"):
                                continue
                            after = seg[m.end():]
                            stop = _ENCOURAGED_STOP.search(after)
                            names = split_units(after[: stop.start()] if stop else after)
                            if not names:
                                cut = next((j for j in head_ends(after) if split_units(after[:j])), None)
                                names = split_units(after[:cut]) if cut else None
                            found.append((modality, keyword, _bodies(names, auth, district) if names else [], after, True))
                            continue
                        b = before.strip()
                        bearers: list[Unit] | None
                        if b and not _CONNECTIVE.match(b):
                            names, _rest = _subject_of(b)
                            bearers = _bodies(names, auth, district) if names else []  # an activity or a thing: null
                        else:
                            bearers = None  # carried: decided below
                        after = seg[m.end():]
                        if not bearers and modality == "permission":
                            by = re.match(r"^由(?P<n>[^，。；]{2,40}?)(?:提出|负责|组织|决定|批准|实施|办理|确定|处理|予以)", after)
                            if by and split_units(by["n"]):
                                bearers = _bodies(split_units(by["n"]), auth, district)
                        found.append((modality, keyword, bearers, after, True))
                for modality, keyword, bearers, action, stated in found:
                    own = stated and bearers is not None and (bearers or modality == "encouragement")
                    if bearers is None:
                        if clause_statements:
                            bearers = clause_statements[-1].bearers
                        else:
                            sub = clause_subject(si)
                            if sub is not None:
                                bearers = sub
                            elif carried is not None and _OPENS_WITH_CONNECTIVE.match(segments[0].strip()):
                                bearers = carried
                            else:
                                bearers = []
                    prev = clause_statements[-1] if clause_statements else None
                    if prev is not None and not own and prev.modality == modality and [u.iri for u in prev.bearers] == [u.iri for u in bearers]:
                        continue  # coordinated verbs of one bearer and modality: the same statement
                    k += 1
                    st = Statement(prov.path, k, modality, keyword, list(bearers), clause.strip(), action.strip() or "".join(segments[si + 1: si + 2]).strip())
                    clause_statements.append(st)
                    out.append(st)
            if clause_statements:
                carried = clause_statements[-1].bearers or carried
    return out


# ---------------------------------------------------------------------- responsibility
_SUBJECT_TAIL = re.compile(r"^(是|为|具体负责|负责|应当|要(?!求)|应(?!用)|须|根据|依据|配合|协助|开展|会同|牵头|统筹|按照|依托|加强|建立|做好|发挥|及时|定期|对|在|将|设立|制定|承担|推进|推动|完善|探索|落实|加快|指导)")


_BODY_ENDS = ("局", "委", "办", "厅", "部门", "中心", "政府", "管委会", "委员会", "院", "署", "海关", "总部", "分局", "机构",
              "办事处", "居村委会", "林长")


_BODY_LAST = {w[-1] for w in _BODY_ENDS} | {"）"}  # the last characters a head _body_end accepts can have


def _body_end(head: str) -> bool:
    """Whether ``head`` ends with a word that ends a body's name (局, 委员会, 办事处 …), after one closing
    parenthetical (市林业局（市绿化市容局）); plain string tests, for they run at every cut of every sentence."""
    if head.endswith("）"):
        k = head.rfind("（")
        if k >= 0 and "）" not in head[k + 1:-1]:
            head = head[:k]
    return head.endswith(_BODY_ENDS)


def subject_units(text: str) -> list[str] | None:
    """Bodies that are the subject of a sentence: 市民政局是…主管部门, 区民政部门具体负责…, 区建设管理委：负责…,
    上海自贸试验区管委会、临港新片区管委会按照… — a unit list at the very start, followed by a verb."""
    t = text.lstrip("“")
    if t.startswith("（"):
        return None  # a note, not a subject
    for cut in range(min(len(t), 60), 1, -1):
        if t[cut - 1] not in _BODY_LAST:  # cheap: most cuts end on no body word
            continue
        head = t[:cut]
        if not _body_end(head):
            continue
        rest = t[cut:]
        if rest[:1] in "：:":
            rest = rest[1:]  # 区建设管理委：负责… in a 职责分工 list
        if not _SUBJECT_TAIL.match(rest):
            continue
        names = split_units(head)
        if names and all(_name_like(n) for n in names):
            return names
    return None


_VERB_START = re.compile(
    r"^(探索|落实|推进|推动|加强|完善|建立|开展|支持|鼓励|深化|优化|持续|全面|实施|做好|发挥|引导|提升|加快|强化|"
    r"健全|构建|打造|创新|扩大|积极|依托|围绕|聚焦|坚持|促进|组织|规范|严格|指导|协调|通过|对|在|按照|根据|具体|统一|逐步|进一步|"
    r"后续|今后|同时|此外|与|和|同|向|由|为|被|以|从|使|让|令|新建|改建|扩建|设置|造成|移送|报送|提交|交由|报请|提请|通知|告知|督促|责令|予以)"
)


def _name_like(name: str) -> bool:
    """Could this be the name of a body (not a verb phrase that happens to end in 中心 or 部署)?"""
    short_noun = len(name) <= 6 and re.search(r"(?:机关|单位|机构|组织|者|人)$", name)  # 实施机关, 建设单位, 组织
    return (short_noun or not _VERB_START.match(name)) and not re.search(r"[“”《》由在将对是向之]|应当|会同|协助|配合|负责(?!人)|批准|报|需要", name) \
        and len(name) <= 24 and not re.search(r"[一二三四五六七八九十百千\d]+(?:人|名)$", name) \
        and not re.search(r"(?:政府|部门|机关|机构|委员会|局)(?:设立|成立|建立|组织|负责|制定|设置)", name) \
        and not re.search(r"的(?![\u4e00-\u9fff]{0,8}(?:机构|机关|单位|部门|组织|妇女|人|者|成员|人员|代表)$)", name)


def _government_of(issuer: str | None) -> str | None:
    """The government a plan's issuer acts for: 上海市人民政府办公厅 → 上海市人民政府."""
    if not issuer:
        return None
    m = re.match(r"^(.*?人民政府)(办公厅|办公室)?$", issuer)
    return m.group(1) if m else issuer


def _paragraph_notes(measures: list[Provision], first_leads: bool) -> dict[str, DutyNote]:
    """The duty note that covers each measure of one leaf: its own (a note closing the sentence), else the
    next note in the same printed paragraph (sentences that follow each other without a line break)."""
    out: dict[str, DutyNote] = {}
    pending: list[Provision] = []
    for k, m in enumerate(measures):
        pending.append(m)
        note = duty_note(m.text or "", first_leads)
        if note is not None and note.units:
            for q in pending:
                out[q.path] = note
            pending = []
        elif k + 1 < len(measures) and measures[k + 1].start > m.end:
            pending = []  # a line break: the paragraph ended without a note
    return out


def responsibilities(doc: Document, auth: Authority, district: "Place | None", statements: list[Statement]) -> list[Responsibility]:
    """Responsible units of every measure (plans, opinions and any document with measures) and of
    provisions with a stated subject (regulations, notices).

    A measure takes, in this order: the duty note that closes it or its printed paragraph (method explicit;
    牵头 → lead, 配合/参与/会同 → co, else responsible, or the first listed leads where the document says
    列第一位者为牵头单位); the note that closes its numbered item; the note that closes the heading or lead
    sentence of an enclosing part (method section); failing all, the bodies that are its sentence's subject
    (method subject); failing that, the government that issued it (method default, role responsible).
    Units a note makes standing (以下均需X落实，不再列出) are added to every later measure of the same top-level
    part (method explicit).
    Provisions of regulations and notices: the bodies a sentence names as its subject (X是…主管部门, X负责…,
    X：负责… in a 职责分工 list, X应当…) — from the deontic statements' bearers that are bodies.
    """
    out: list[Responsibility] = []
    measures_of: dict[str, list[Provision]] = {}
    for p in doc.walk():
        for c in p.children:
            if c.kind == "measure":
                measures_of.setdefault(p.path, []).append(c)
    if measures_of:
        default = _government_of(doc.issuer)
        first_leads = any(FIRST_LEADS.search(p.text or "") for p in doc.walk())
        parents: dict[str, Provision] = {}
        for p in doc.walk():
            for c in p.children:
                parents[c.path] = p
        covering: dict[str, DutyNote] = {}
        for ms in measures_of.values():
            covering.update(_paragraph_notes(ms, first_leads))

        def section_note(p: Provision) -> DutyNote | None:
            """A note closing the heading or the lead sentence (intro) of an enclosing part."""
            a = parents.get(p.path)
            while a is not None:
                for text in (a.heading, *(c.text for c in a.children if c.kind == "intro")):
                    note = duty_note(text or "", first_leads)
                    if note is not None and note.units:
                        return note
                a = parents.get(a.path)
            return None

        standing: dict[str, list[str]] = {}  # top-level part → units its notes make standing
        for p in doc.walk():
            if p.kind != "measure":
                continue
            note, method = covering.get(p.path), "explicit"
            parent = parents.get(p.path)
            if note is None and parent is not None and parent.text:
                note = duty_note(parent.text, first_leads)
            if note is None or not note.units:
                note, method = section_note(p), "section"
            listed = list(note.units) if note is not None else []
            top = p.path.split("__")[0]
            listed += [(n, "responsible") for n in standing.get(top, []) if n not in {x for x, _ in listed}]
            if note is not None and note.standing:
                standing[top] = list(dict.fromkeys(standing.get(top, []) + note.standing))
            if listed:
                for name, role in listed:
                    out.append(Responsibility(p.path, auth.resolve(name, district), role, method))
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
    by_notes = any((n := duty_note(p.text or "")) is not None and n.units for p in doc.walk() if not p.children)
    for p in doc.walk():
        if not p.text or p.children:
            continue
        note = duty_note(p.text)
        if note is not None and note.units and _tail_parenthesis(p.text)[1].strip():
            for name, role in note.units:  # a numbered provision closed by a duty note: （市场监管总局负责）
                u = auth.resolve(name, district)
                if (p.path, u.iri) not in seen:
                    seen.add((p.path, u.iri))
                    out.append(Responsibility(p.path, u, role, "explicit"))
            continue
        if "art_" not in p.path and by_notes:
            continue  # a document that designates by duty notes (（X负责）) does not designate by sentence subjects
        for names in filter(None, (subject_units(c) for c in _clauses(p.text))):
            for n in names:
                u = auth.resolve(n, district)
                if (p.path, u.iri) not in seen:
                    seen.add((p.path, u.iri))
                    out.append(Responsibility(p.path, u, "responsible", "subject"))
    for s in statements:
        if s.modality != "obligation" or ("art_" not in s.provision and by_notes):
            continue
        assisting = re.search(r"协同|配合|协助|参与", s.text)
        for u in s.bearers:
            if u.kind == "agency" or re.search(r"(部门|政府|机构|办事处|居村委会|林长)$", u.label):
                if (s.provision, u.iri) not in seen:
                    seen.add((s.provision, u.iri))
                    # 会同Y…: Y assists; X、Y等部门按照职责分工，协同做好…: they assist
                    joined = re.search(r"会同[^，。；]*" + re.escape(u.text), s.text) is not None
                    role = "co" if joined or (assisting and 0 <= s.text.find(u.text[:2]) < assisting.start()) else "responsible"
                    out.append(Responsibility(s.provision, u, role, "subject"))
    return out


# ---------------------------------------------------------------------- task tables
def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[^\u4e00-\u9fff0-9A-Za-z]", "", text)
    return {t[i:i + 2] for i in range(len(t) - 1)}


#: how close a task row's text must be to a measure (Dice coefficient of character bigrams) to restate it
TASK_MATCH = 0.5


def link_task_rows(doc: Document) -> list[tuple[object, list[str]]]:
    """Each task-table row with the measures it restates: the measure, or the numbered item (all its
    measures), whose text is closest to the row's task (Dice of character bigrams, at least TASK_MATCH);
    an empty list when none is close enough."""
    candidates: list[tuple[set[str], list[str]]] = []
    for p in doc.walk():
        measures = [c.path for c in p.children if c.kind == "measure"]
        if p.kind == "measure":
            candidates.append((_bigrams(p.text or ""), [p.path]))
        elif measures and p.text:
            candidates.append((_bigrams((p.heading or "") + p.text), measures))
    out = []
    for row in doc.tasks:
        task = _bigrams(row.task)
        best, score = [], 0.0
        for grams, paths in candidates:
            if not grams or not task:
                continue
            dice = 2 * len(task & grams) / (len(task) + len(grams))
            if dice > score:
                best, score = paths, dice
        out.append((row, best if score >= TASK_MATCH else []))
    return out


def _table_responsibilities(doc: Document, auth: Authority, district, k: "Knowledge") -> None:
    """Units of task-table rows on the measures they restate (method table); they replace an assumed
    (default) owner; deadlines are kept per measure."""
    links = link_task_rows(doc)
    for row, paths in links:
        k.task_links.append((row, paths[0] if paths else None))
        for path in paths:
            if row.deadline:
                k.deadlines.setdefault(path, row.deadline)
            have = {(r.unit.iri) for r in k.responsibilities if r.provision == path and r.method != "default"}
            k.responsibilities = [r for r in k.responsibilities if not (r.provision == path and r.method == "default")]
            for cell, role in row.units:
                for name in _list_names(cell):
                    u = auth.resolve(name, district)
                    if u.iri not in have:
                        have.add(u.iri)
                        k.responsibilities.append(Responsibility(path, u, role, "table"))


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
        if "同时废止" not in (p.text or ""):  # the pattern's own words: without them it cannot match (and scans
            continue                          # 160 characters back from every position to find out)
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
_CNV = rf"[{CN_CHARS}万亿点]*[{CN_CHARS}]"  # a Chinese numeral not ending in a group unit (两万个: 万 joins the unit)
_VALUE = (rf"(?:(?P<pct>百分之(?P<pctv>[{CN_CHARS}点]+))|(?P<cheng>[一二三四五六七八九十])成"
          rf"|(?P<value>\d+(?:\.\d+)?|{_CNV}))")
_BASE_UNIT = (r"%|个百分点|个工作日|工作日|个月|个|项|家|件|元|人|小时|分钟|天|日|年|倍|千瓦|公里|平方米|亩|公顷|户|次|类|批"
              r"|条|所|座|套|辆|吨")
_UNIT = rf"(?P<mult>万亿|万|亿)?(?P<unit>{_BASE_UNIT})"
_VERBS = (r"总体达到|达到|超过|不少于|不低于|提高到|提升至|提升到|提高至|稳定在|控制在|缩短至|压缩至|降至|降低到|至少|突破|超")
_TARGET = re.compile(
    rf"(?P<metric>[^，。；：]{{0,40}}?)(?P<verb>{_VERBS})(?P<num>{_VALUE}(?(pct)|(?(cheng)|{_UNIT})))(?P<more>以上|以内|左右)?"
)
_NEXT_VALUE = re.compile(rf"[和、](?P<num>{_VALUE}(?(pct)|(?(cheng)|{_UNIT})))(?P<more>以上|以内|左右)?")
_RATE_FIRST = re.compile(r"(?P<num>(?P<value>\d+(?:\.\d+)?)(?P<unit>%|个|项|家|件|小时|分钟|天|日))"
                         r"(?P<metric>[\u4e00-\u9fff]{1,6}率|响应|办结|解决)")
_MONEY = re.compile(r"每人每月(?P<value>\d+(?:\.\d+)?)元")
_COMPARATOR = {"超过": ">", "超": ">", "不少于": ">=", "不低于": ">=", "至少": ">=", "突破": ">", "控制在": "<=",
               "缩短至": "<=", "压缩至": "<=", "降至": "<=", "降低到": "<="}
_TIME_UNITS = {"日", "天", "个工作日", "工作日", "个月", "年", "小时"}


_NOT_COMMITMENT = re.compile(r"(之日起|期限|期间|情况下|时限|届满|以前|之前|前$)")
_NEGATED = re.compile(r"(不|不得|不应|最高|最长|最多)$")
_LEAD = re.compile(r"^(?:推进|推动|实现|确保|力争|争取|其中|(?:到|至|在|于)?(?:(?:19|20)\d{2}|二[〇○零][〇○零一二三四五六七八九]{2})年"
                   r"(?:年底|底|末)?(?:前|以前)?|[“\"]?十[一二三四五六七八九]五[”\"]?(?:末|期末|期间|时期))")


def _clean_metric(raw: str) -> str:
    """The metric as printed, trimmed, with its quotes balanced: 高频事项“首办成功率 → “首办成功率”;
    leading verbs and year expressions (力争到2026年试点企业 → 试点企业) and a trailing 均/分别 dropped."""
    metric = raw.strip("，、 \n")
    while True:
        m = _LEAD.match(metric)
        if not m or not m.group(0):
            break
        metric = metric[m.end():].strip("，、 ")
    metric = re.sub(r"(均|分别|总体)$", "", metric)
    if metric.count("“") > metric.count("”"):
        metric = metric[metric.rindex("“"):] + "”"
    elif metric.count("”") > metric.count("“"):
        metric = "“" + metric
    return metric


def _reading(m: re.Match) -> tuple[float, str] | None:
    """(value, unit) of a matched numeral: 百分之九十 → (90, '%'), 三成 → (30, '%'), 两万个 → (2, '万个')."""
    if m.group("pct"):
        v = cn_number(m.group("pctv"))
        return (v, "%") if v is not None else None
    if m.group("cheng"):
        return cn_number(m.group("cheng")) * 10, "%"
    v = cn_number(m.group("value"))
    if v is None:
        return None
    return v, (m.group("mult") or "") + m.group("unit")


def _numeral(m: re.Match) -> tuple[int, int]:
    """Where the numeral of a reading is printed: 百分之九十, 三成, 五千 (not its unit)."""
    if m.group("pct"):
        return m.span("pct")
    if m.group("cheng"):
        return m.start("cheng"), m.end("cheng") + 1
    return m.span("value")


def _chinese(m: re.Match) -> bool:
    return not (m.group("value") or "0")[0].isdigit()


def quantified_targets(doc: Document) -> list[Target]:
    """Quantified commitments of plans: a metric reaching a number with a unit (达到/超过/不少于/提高到/稳定在 …
    N%/个/项 …; “1分钟响应，90%解决率”), the number Arabic or Chinese (百分之九十 → 90 %, 三成 → 30 %, 五千家 →
    5000 家, 两万个 → 2 万个: a 万/亿 right before the measure word stays in the unit, as in 120亿元);
    ``分别达到65%和55%`` gives one target per value. The year is the nearest year expression before the value
    in its sentence (到2025年, 到二〇二五年, 至2027年, 2025年底前, “十四五”末 …, see :mod:`.numerals`), otherwise
    the one leading an earlier sentence of the paragraph (2025年，… / 到2025年，…). Left out: procedural time
    limits (自…之日起不少于25日; a minimum number of days), negated or capped amounts (不超过, 最高), conditions
    (超过100人的企业) and asides in parentheses. In any document: money amounts (每人每月N元) with the group they
    apply to (the provision's text before the amount, e.g. 65-69周岁). Each target keeps where its numeral is
    printed in its provision's text (``value_start``/``value_end``)."""
    out: list[Target] = []
    plan = doc.doc_type in PLAN_TYPES_SET
    covered: set[str] = set()
    for container in doc.walk():
        if container.path in covered:
            continue  # a measure whose paragraph was read: reading it again would double its targets
        leaves = [c for c in container.children if c.kind == "measure"] or ([container] if not container.children else [])
        if not container.text or container.kind == "preamble" or not leaves:
            continue
        covered.update(l.path for l in leaves)
        text = container.text
        years = year_expressions(text)

        def leaf_of(snippet: str) -> Provision:
            return next((l for l in leaves if snippet in (l.text or "")), leaves[0])

        counters: dict[str, int] = {}
        where: dict[str, int] = {}

        def add(start: int, end: int, metric: str, value: float, unit: str, comp: str, group: str | None,
                num: tuple[int, int]) -> None:
            snippet = text[start:end]
            leaf = leaf_of(snippet)
            counters[leaf.path] = counters.get(leaf.path, 0) + 1
            # the numeral's place in the leaf's text: the snippet's first place at or after the previous one
            ltext = leaf.text or ""
            at = ltext.find(snippet, where.get(leaf.path, 0))
            if at < 0:
                at = ltext.find(snippet)
            vs = at + num[0] - start if at >= 0 else None
            if at >= 0:
                where[leaf.path] = at
            out.append(Target(leaf.path, counters[leaf.path], metric, value, unit, year_of(text, num[0], years), comp,
                              group, snippet, text[num[0]:num[1]], vs, vs + num[1] - num[0] if vs is not None else None))

        if plan:
            for m in _TARGET.finditer(text):
                metric = _clean_metric(m.group("metric"))
                reading = _reading(m)
                if not metric or reading is None or _NOT_COMMITMENT.search(metric) or _NEGATED.search(m.group("metric")):
                    continue
                after = text[m.end():m.end() + 1]
                if after == "的" or text[:m.start("verb")].count("（") > text[:m.start("verb")].count("）"):
                    continue  # 超过100人的企业: a condition; （…达到15%）: an aside
                if m.group("verb") in ("不少于", "不低于", "至少") and reading[1] in _TIME_UNITS:
                    continue  # a minimum period is a procedural rule
                if _chinese(m) and not m.group("more") and after and re.match(r"[\u4e00-\u9fff]", after):
                    continue  # 达到一个新台阶: a Chinese numeral inside a phrase, not a value
                comp = _COMPARATOR.get(m.group("verb"), "=")
                if m.group("more") == "以上":
                    comp = ">="
                elif m.group("more") == "以内":
                    comp = "<="
                add(m.start(), m.end(), metric, reading[0], reading[1], comp, None, _numeral(m))
                if m.group("metric").endswith("分别"):
                    pos = m.end()
                    while (n := _NEXT_VALUE.match(text, pos)) and (r := _reading(n)) is not None:
                        add(n.start(), n.end(), metric, r[0], r[1], comp, None, _numeral(n))
                        pos = n.end()
            for m in _RATE_FIRST.finditer(text):
                add(m.start(), m.end(), m.group("metric"), float(m.group("value")), m.group("unit"), "=", None,
                    m.span("value"))
        for m in _MONEY.finditer(text):
            group = text[: m.start()].strip("，、 ") or None
            add(m.start(), m.end(), "每人每月金额", float(m.group("value")), "元/人/月", "=", group, m.span("value"))
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
    if doc.tasks:
        _table_responsibilities(doc, auth, district, k)
    k.links = document_links(doc)
    k.targets = quantified_targets(doc)
    for p in doc.walk():
        if p.kind in ("measure", "article", "paragraph", "point") and p.text:
            found = auth.places_in(p.text, k.place.code if k.place is not None else None)
        elif p.heading:  # a section whose heading names a place (浦东新区打造营商环境综合示范区): its measures are addressed there
            found = auth.places_in(p.heading, k.place.code if k.place is not None else None)
        else:
            continue
        if found:
            k.places[p.path] = list(found)
    return k
