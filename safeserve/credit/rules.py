"""Credit rule tables as data and the one function that applies them (docs/decisions/0032).

A table (``RuleTable.rules``, or the default below when a year has none) is a dict:

- ``grades``: the grades, best first.
- ``window_days``: facts dated within this many days before the grading date count.
- ``base``: the starting grade by 标准化 grade ("1", "2", "3", "none"); an agency's table has "agency".
- ``kinds``: kind -> rule. ``levels`` moves the grade (negative = down) once the kind has ``min_count``
  facts in the window, per fact when ``per_event``; ``max_levels`` caps the kind's total move;
  ``ceiling`` is the best grade while the kind has a fact; ``force`` (with ``force_count``) sets the
  grade outright. ``label`` names the rule in the explanation.
- ``unknown``: the rule for a kind the table does not name (another app's new kind of fact).
- ``ceiling`` / ``floor``: the best and worst grades moves can reach (forced grades ignore the floor).

The default follows DOMAIN.md's published example (聊城): A+/A/B from 标准化 一/二/三级, no 标准化 = C
(四级); an accident −2 levels; ≥ 1 较大 or ≥ 2 一般 accidents in a year → D; ≥ 2 penalties −1; an
unresolved listed (挂牌督办) 重大 hazard → D; a broken safety commitment −1.
"""

import copy
from dataclasses import dataclass

from django.utils.translation import gettext as _

GRADES = ["A+", "A", "B", "C", "D"]

# Kinds of fact this app knows (its own and those other apps announce). Any other kind is priced by
# the table's "unknown" row.
KNOWN_KINDS = {
    "accident.general": "一般生产安全事故",
    "accident.serious": "较大生产安全事故",
    "accident.major": "重大生产安全事故",
    "accident.extraordinary": "特别重大生产安全事故",
    "accident.concealed": "瞒报、谎报或迟报事故",
    "penalty": "行政处罚",
    "penalty.suspend": "责令停产停业整顿",
    "commitment.broken": "安全承诺未履行",
    "hazard.major_overdue": "重大事故隐患逾期未整改",
    "hazard.listed_major": "挂牌督办的重大事故隐患未销号",
    "listing": "列入严重失信主体名单",
    "report.verified": "举报经查属实",
    "sampling.false_record": "抽查发现虚假服务记录",
    "sampling.copied_record": "抽查发现抄袭服务记录",
    "agency.no_notice": "未履行执业告知即开展服务",
}

DEFAULT_ENTERPRISE = {
    "version": "默认（聊城示例）",
    "grades": GRADES,
    "window_days": 365,
    "base": {"1": "A+", "2": "A", "3": "B", "none": "C"},
    "ceiling": "A+",
    "floor": "D",
    "kinds": {
        "accident.general": {
            "label": "每起事故降2级；一年内2起以上一般事故定为D",
            "levels": -2,
            "per_event": True,
            "force": "D",
            "force_count": 2,
        },
        "accident.serious": {"label": "发生较大事故定为D", "force": "D", "force_count": 1},
        "accident.major": {"label": "发生重大事故定为D", "force": "D", "force_count": 1},
        "accident.extraordinary": {"label": "发生特别重大事故定为D", "force": "D", "force_count": 1},
        "accident.concealed": {"label": "瞒报、谎报或迟报事故定为D", "force": "D", "force_count": 1},
        "penalty": {"label": "一年内2次以上行政处罚降1级", "levels": -1, "min_count": 2},
        "penalty.suspend": {"label": "被责令停产停业整顿，最高为C", "ceiling": "C"},
        "commitment.broken": {"label": "安全承诺未履行降1级", "levels": -1},
        "hazard.major_overdue": {"label": "重大隐患逾期未整改降1级", "levels": -1},
        "hazard.listed_major": {"label": "挂牌督办的重大隐患未销号定为D", "force": "D", "force_count": 1},
        "listing": {"label": "列入严重失信主体名单定为D", "force": "D", "force_count": 1},
        "report.verified": {"label": "举报经查属实，每起降1级", "levels": -1, "per_event": True, "max_levels": -2},
    },
    "unknown": {"label": "其他失信事实，每项降1级", "levels": -1, "per_event": True, "max_levels": -2},
}

DEFAULT_AGENCY = {
    "version": "默认（服务机构）",
    "grades": GRADES,
    "window_days": 365,
    "base": {"agency": "A"},
    "ceiling": "A+",
    "floor": "D",
    "kinds": {
        "penalty": {"label": "每次行政处罚降1级", "levels": -1, "per_event": True},
        "sampling.false_record": {"label": "抽查发现虚假服务记录定为D", "force": "D", "force_count": 1},
        "sampling.copied_record": {"label": "抽查发现抄袭服务记录，每项降1级", "levels": -1, "per_event": True},
        "report.verified": {"label": "举报经查属实，每起降1级", "levels": -1, "per_event": True},
        "agency.no_notice": {"label": "未执业告知开展服务，最高为B", "ceiling": "B"},
        "listing": {"label": "列入严重失信主体名单定为D", "force": "D", "force_count": 1},
    },
    "unknown": {"label": "其他失信事实，每项降1级", "levels": -1, "per_event": True, "max_levels": -2},
}

DEFAULTS = {"enterprise": DEFAULT_ENTERPRISE, "agency": DEFAULT_AGENCY}


def default_table(subject: str) -> dict:
    return copy.deepcopy(DEFAULTS[subject])


RULE_KEYS = {"label", "levels", "per_event", "min_count", "max_levels", "ceiling", "force", "force_count"}


def table_errors(table) -> list[str]:
    """What is wrong with a rule table, in Chinese (empty when it can be applied)."""
    if not isinstance(table, dict):
        return [_("规则须为 JSON 对象")]
    errors = []
    grades = table.get("grades")
    if not isinstance(grades, list) or len(grades) < 2 or not all(isinstance(g, str) for g in grades):
        return [_("grades：须为由好到差排列的等级列表")]
    if not isinstance(table.get("window_days"), int) or not 1 <= table["window_days"] <= 3660:
        errors.append(_("window_days：须为 1 至 3660 之间的整数"))
    base = table.get("base")
    if not isinstance(base, dict) or not base or any(g not in grades for g in base.values()):
        errors.append(_("base：须为各标准化等级对应的起始等级，等级须在 grades 中"))
    for key in ("ceiling", "floor"):
        if table.get(key) not in grades:
            errors.append(_("%(k)s：须为 grades 中的等级") % {"k": key})
    kinds = table.get("kinds")
    if not isinstance(kinds, dict):
        errors.append(_("kinds：须为“事实类型 → 规则”的对象"))
        kinds = {}
    rows = list(kinds.items())
    if "unknown" not in table:
        errors.append(_("unknown：须设置未列明类型的计分规则"))
    else:
        rows.append(("unknown", table["unknown"]))
    for kind, rule in rows:
        if not isinstance(rule, dict):
            errors.append(_("%(k)s：规则须为对象") % {"k": kind})
            continue
        extra = set(rule) - RULE_KEYS
        if extra:
            errors.append(_("%(k)s：不认识的设置 %(x)s") % {"k": kind, "x": "、".join(sorted(extra))})
        for key in ("levels", "max_levels"):
            if key in rule and (not isinstance(rule[key], int) or abs(rule[key]) > len(grades)):
                errors.append(_("%(k)s.%(f)s：须为整数（升降级数）") % {"k": kind, "f": key})
        for key in ("min_count", "force_count"):
            if key in rule and (not isinstance(rule[key], int) or rule[key] < 1):
                errors.append(_("%(k)s.%(f)s：须为不小于 1 的整数") % {"k": kind, "f": key})
        for key in ("ceiling", "force"):
            if key in rule and rule[key] not in grades:
                errors.append(_("%(k)s.%(f)s：须为 grades 中的等级") % {"k": kind, "f": key})
    return errors


@dataclass
class Outcome:
    grade: str
    explanation: dict


def _fact_dict(fact) -> dict:
    return {
        "kind": fact.kind,
        "label": fact.label,
        "date": fact.date.isoformat(),
        "source": fact.source,
        "url": fact.url,
    }


def apply(table: dict, *, base_key: str, facts: list, version: str) -> Outcome:
    """The grade ``table`` gives a subject with ``base_key`` (its 标准化 grade) and ``facts`` (already
    limited to the window), and why: the base, every fact with the rule that priced it, the forces."""
    grades = table["grades"]
    index = {g: i for i, g in enumerate(grades)}
    base = table["base"].get(base_key) or table["base"].get("none") or grades[len(grades) // 2]
    by_kind: dict[str, list] = {}
    for fact in sorted(facts, key=lambda f: (f.date, f.source)):
        by_kind.setdefault(fact.kind, []).append(fact)
    steps, forced, ceilings, lines = 0, [], [], []
    for kind, group in sorted(by_kind.items()):
        known = kind in table["kinds"]
        rule = table["kinds"].get(kind) or table["unknown"]
        n = len(group)
        move = 0
        if rule.get("levels") and n >= rule.get("min_count", 1):
            move = rule["levels"] * (n if rule.get("per_event") else 1)
            if "max_levels" in rule:
                move = max(move, rule["max_levels"]) if move < 0 else min(move, rule["max_levels"])
        force = rule.get("force") if rule.get("force") and n >= rule.get("force_count", 1) else None
        ceiling = rule.get("ceiling")
        steps += move
        if force:
            forced.append(force)
        if ceiling:
            ceilings.append(ceiling)
        lines.append(
            {
                "kind": kind,
                "kind_label": KNOWN_KINDS.get(kind, kind),
                "rule": rule.get("label", ""),
                "known": known,
                "count": n,
                "levels": move,
                "force": force or "",
                "ceiling": ceiling or "",
                "facts": [_fact_dict(f) for f in group],
            }
        )
    i = index[base] - steps
    best = max([index[table["ceiling"]]] + [index[c] for c in ceilings])
    i = min(max(i, best), index[table["floor"]])
    grade = grades[i]
    if forced:
        grade = grades[max(index[g] for g in forced)]
    return Outcome(
        grade=grade,
        explanation={
            "version": version,
            "base_key": base_key,
            "base": base,
            "lines": lines,
            "forced": sorted(set(forced), key=lambda g: index[g]),
            "grade": grade,
        },
    )
