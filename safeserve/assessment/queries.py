"""Reads shared by the pages, the exports and the PDF report; each takes the acting user."""

from django.apps import apps
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from safeserve.core.scoping import get_visible_or_404

from .choices import ObjectionState
from .models import Assessment, Objection, Scheme, Score, Sheet

EVIDENCE_LIMIT = 500


def schemes_for(user):
    return Scheme.objects.visible_to(user).prefetch_related("indicators")


def assessments_for(user):
    return Assessment.objects.visible_to(user).select_related("scheme")


def sheets_for(user, assessment):
    """The sheets of ``assessment`` the user may see: the county all, a town its own only."""
    return Sheet.objects.visible_to(user).filter(assessment=assessment).order_by("rank", "subject_label")


def scores_of(user, sheet):
    objections = Objection.objects.visible_to(user).prefetch_related("files").select_related("raised_by", "ruled_by")
    return (
        Score.objects.visible_to(user)
        .filter(sheet=sheet)
        .select_related("indicator", "adjusted_by")
        .prefetch_related(Prefetch("objections", queryset=objections))
        .order_by("indicator__order", "indicator_id")
    )


def figure_text(score) -> str:
    """The figure as read: "92.50%（37/40）", "3项", or 无数据 / 人工评分."""
    if score.indicator.is_manual:
        return _("人工评分")
    if score.value is None:
        return _("无可计量数据")
    value = format(score.value.normalize(), "f")
    text = f"{value}{score.indicator.unit}"
    if score.denominator is not None and score.numerator is not None:
        text += f"（{format(score.numerator.normalize(), 'f')}/{format(score.denominator.normalize(), 'f')}）"
    return text


def ranking(user, assessment) -> dict:
    """The ranking table and bar chart data: every sheet for the county; for a town its own row and
    the number of subjects ranked (never another town's score)."""
    rows = list(sheets_for(user, assessment))
    return {
        "rows": rows,
        "count": assessment.sheets.count(),
        "chart": {
            "labels": [s.subject_label for s in rows],
            "values": [float(s.total) for s in rows],
            "vetoed": [s.vetoed for s in rows],
        },
    }


def radar(scores) -> dict:
    """Each indicator's share of its weight (0–100), for the sheet's radar chart."""
    return {
        "indicators": [{"name": s.indicator.name, "max": 100} for s in scores],
        "values": [round(float(s.final / s.indicator.weight * 100), 1) for s in scores],
    }


def evidence(user, score) -> list[dict]:
    """The records behind a frozen figure, each shown only if the user may see it (with its link)."""
    out = []
    for label, ids in sorted((score.records or {}).items()):
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            out.append({"label": label, "title": label, "rows": [], "hidden": len(ids), "total": len(ids)})
            continue
        visible = (
            model.objects.visible_to(user).filter(pk__in=ids[:EVIDENCE_LIMIT])
            if hasattr(model.objects, "visible_to")
            else model.objects.none()
        )
        rows = [{"id": o.pk, "text": str(o), "url": o.get_absolute_url()} for o in visible.order_by("pk")]
        out.append(
            {
                "label": label,
                "title": str(model._meta.verbose_name),
                "rows": rows,
                "total": len(ids),
                "hidden": min(len(ids), EVIDENCE_LIMIT) - len(rows),
                "more": max(0, len(ids) - EVIDENCE_LIMIT),
            }
        )
    return out


def pending_objections(assessment) -> int:
    return Objection.objects.filter(score__sheet__assessment=assessment, state=ObjectionState.PENDING).count()


def get_score(user, pk, action="view"):
    return get_visible_or_404(Score.objects.select_related("sheet__assessment", "indicator"), user, action, pk=pk)


# ---------------------------------------------------------------- published agency grades (core.hooks)


def yearly_grades_provider(ids, year=None) -> dict:
    """core.hooks.agency_yearly_grades: {agency id: YearlyGrade} of the *finalised* agency gradings
    of ``year`` (None: each agency's latest). Two queries whatever the number of agencies."""
    from django.db.models import Count

    from safeserve.core.hooks import YearlyGrade

    from .choices import AssessmentState, Grade, Subject

    sheets = Sheet.objects.filter(
        assessment__subject=Subject.AGENCY, assessment__state=AssessmentState.FINAL, subject_id__in=list(ids)
    )
    if year is not None:
        sheets = sheets.filter(assessment__year=year)
    rows = list(
        sheets.order_by("subject_id", "-assessment__year").values(
            "pk", "subject_id", "assessment_id", "assessment__year", "grade", "total", "vetoed", "rank"
        )
    )
    counts = dict(
        Sheet.objects.filter(assessment_id__in={r["assessment_id"] for r in rows})
        .values_list("assessment_id")
        .annotate(n=Count("id"))
        .values_list("assessment_id", "n")
    )
    out = {}
    for r in rows:
        if r["subject_id"] in out or not r["grade"]:
            continue
        out[r["subject_id"]] = YearlyGrade(
            year=r["assessment__year"],
            grade=r["grade"],
            label=str(Grade(r["grade"]).label),
            total=r["total"],
            vetoed=r["vetoed"],
            rank=r["rank"],
            count=counts.get(r["assessment_id"], 0),
            url=reverse("assessment:sheet_detail", args=[r["pk"]]),
        )
    return out


def agency_file_sections(user, agency) -> list[dict]:
    """core.hooks.AGENCY_FILE_SECTIONS: the agency's yearly grading history. The grades are published
    (every reader of the file sees them); the link to a sheet only for those who may open it."""
    from .choices import AssessmentState, Subject

    sheets = (
        Sheet.objects.filter(
            assessment__subject=Subject.AGENCY, assessment__state=AssessmentState.FINAL, subject_id=agency.pk
        )
        .select_related("assessment")
        .order_by("-assessment__year")
    )
    rows = list(sheets)
    own = set(Sheet.objects.visible_to(user).filter(pk__in=[s.pk for s in rows]).values_list("pk", flat=True))
    return [
        {
            "key": "yearly_grades",
            "title": _("年度考评"),
            "headers": [_("年度"), _("考评"), _("总分"), _("等次"), _("排名")],
            "rows": [
                [s.assessment.year, s.assessment.title, s.total, s.get_grade_display(), s.rank or ""] for s in rows
            ],
            "links": [s.get_absolute_url() if s.pk in own else "" for s in rows],
            "flags": [_("一票否决") if s.vetoed else "" for s in rows],
        }
    ]
