"""Who may take which step of an assessment: ONE table (state × action → target, parties).

The actions layer enforces it (``assessment.actions``), the pages offer exactly the buttons it allows,
and the tests are generated from it. A party is the actor's relation to the assessment or sheet:

- ``county``   a county officer (opens, adjusts, rules, finalises)
- ``subject``  the graded party of the sheet (a town officer of that town): objects

Guards beside the table: an objection only until the objection deadline (a date, inclusive); the
finalisation only when no objection is pending and every manual indicator has its score.
"""

from django.utils.translation import gettext_lazy as _

from safeserve.accounts.choices import Role

from .choices import AssessmentState
from .models import SUBJECT_OF_ROLE

S = AssessmentState
COUNTY, SUBJECT = "county", "subject"
PARTIES = (COUNTY, SUBJECT)

ACTIONS = {
    "object": _("提出异议"),
    "rule": _("裁定异议"),
    "adjust": _("调整得分"),
    "finalise": _("定稿"),
}

TABLE: dict[tuple[str, str], tuple[str, frozenset]] = {
    (S.OPEN, "object"): (S.OPEN, frozenset({SUBJECT})),
    (S.OPEN, "rule"): (S.OPEN, frozenset({COUNTY})),
    (S.OPEN, "adjust"): (S.OPEN, frozenset({COUNTY})),
    (S.OPEN, "finalise"): (S.FINAL, frozenset({COUNTY})),
}


def relations(user, assessment, sheet=None) -> set[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.role == Role.COUNTY:
        return {COUNTY}
    kind = SUBJECT_OF_ROLE.get(user.role)
    if (
        sheet is not None
        and kind is not None
        and assessment.subject == kind[0]
        and getattr(user, kind[1], None) == sheet.subject_id
    ):
        return {SUBJECT}
    return set()


def allowed(user, assessment, action: str, sheet=None) -> bool:
    row = TABLE.get((assessment.state, action))
    return bool(row and relations(user, assessment, sheet) & row[1])


def target(state: str, action: str) -> str | None:
    row = TABLE.get((state, action))
    return row[0] if row else None
