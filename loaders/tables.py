"""Task tables (任务分工表, 重点任务分工, 责任分工表): the rows of a table whose header names a task column and
responsible-unit columns, read from the lines of a document (cells separated by tabs, as the HTML and DOCX
readers write table rows, or by ``|`` in Markdown).

Header cells are recognised by their printed labels: 序号; 任务 / 重点任务 / 工作任务 / 主要任务 / 具体任务 / 工作内容 /
具体措施 / 任务措施; 牵头单位 / 牵头部门 / 主责单位 (lead); 配合单位 / 配合部门 / 协办单位 / 参与单位 (co); 责任单位 /
责任部门 (responsible, or co when a lead column exists); 完成时限 / 完成时间 / 时间节点 / 时限 / 进度安排 (deadline).
A row belongs to the table while it has as many cells as the header (a row with one cell fewer lacks its
number). Each unit cell is kept as printed; the units are split by the knowledge stage.
"""
from __future__ import annotations

import re

from .model import TaskRow

_TASK = re.compile(r"^(?:重点|主要|工作|具体)?(?:任务|措施)(?:内容|措施|名称|事项)?$|^工作内容$|^任务措施$|^改革举措$")
_LEAD = re.compile(r"^(?:牵头|主责)(?:单位|部门)$")
_CO = re.compile(r"^(?:配合|协办|参与|协同)(?:单位|部门)$")
_RESP = re.compile(r"^责任(?:单位|部门)$")
_DEADLINE = re.compile(r"^(?:完成)?(?:时限|时间)$|^时间(?:节点|安排)$|^进度安排$")
_NUMBER = re.compile(r"^序号$")


def _cells(line: str) -> list[str] | None:
    if "\t" in line:
        return [c.strip() for c in line.split("\t")]
    t = line.strip()
    if t.startswith("|") and t.endswith("|") and t.count("|") >= 3:
        return [c.strip() for c in t.strip("|").split("|")]
    return None


def task_rows(lines: list[tuple[str, int]]) -> list[TaskRow]:
    """The task rows of every task table among ``lines`` ((text, offset in the normalised text))."""
    out: list[TaskRow] = []
    columns: dict[str, int] | None = None
    width = 0
    for text, off in lines:
        cells = _cells(text)
        if cells is None:
            columns = None
            continue
        labels = [re.sub(r"\s", "", c) for c in cells]
        kinds = {}
        for i, c in enumerate(labels):
            for kind, pattern in (("number", _NUMBER), ("task", _TASK), ("lead", _LEAD), ("co", _CO),
                                  ("responsible", _RESP), ("deadline", _DEADLINE)):
                if pattern.match(c) and kind not in kinds:
                    kinds[kind] = i
        if "task" in kinds and ({"lead", "responsible", "co"} & set(kinds)):
            columns, width = kinds, len(cells)
            continue
        if columns is None or set(re.sub(r"-", "", "".join(labels))) <= {""}:
            continue  # a separator row (|---|---|) or not in a table
        if len(cells) == width - 1 and "number" in columns:
            cells = [""] + cells  # the number cell left empty or merged
        if len(cells) != width:
            columns = None
            continue
        task = cells[columns["task"]]
        if not task:
            continue
        has_lead = "lead" in columns
        units: list[tuple[str, str]] = []
        for kind in ("lead", "responsible", "co"):
            if kind in columns and cells[columns[kind]]:
                role = "co" if kind == "responsible" and has_lead else kind
                units.append((cells[columns[kind]], role))
        number = cells[columns["number"]] if "number" in columns else None
        deadline = cells[columns["deadline"]] if "deadline" in columns and cells[columns["deadline"]] else None
        out.append(TaskRow(number or None, task, units, deadline, off, off + len(text)))
    return out
