"""Every write of assessments: atomic, validated, audited, side effects on commit.

The workflow is assessment/transitions.py; scores come from assessment/scoring.py only.
"""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.core import hooks, uploads
from safeserve.core.audit import AuditAction, record, snapshot
from safeserve.notifications.actions import notify
from safeserve.notifications.models import Level
from safeserve.notifications.queries import county_officers

from . import conf, scoring, transitions
from .choices import AssessmentState, Grade, ObjectionState, Rule, Subject
from .models import Assessment, Indicator, Objection, ObjectionFile, Scheme, Score, Sheet
from .subjects import SUBJECTS

MAX_FILES = 5


def _fail(field, message):
    raise ValidationError({field: message})


def _require(actor, perm):
    """``actor`` None is the system acting for the county (the demo seeder, a command); never a request."""
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied(_("您没有该操作的权限"))


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        _fail(field, _("请填写理由"))
    return reason[:300]


# ---------------------------------------------------------------- schemes


def check_weights(indicators: list[dict]) -> None:
    if not indicators:
        _fail("indicators", _("考核方案至少要有一项指标"))
    try:
        weights = [Decimal(str(row.get("weight") or 0)) for row in indicators]
    except InvalidOperation:
        _fail("weight", _("分值须为数字"))
    total = sum(weights, Decimal(0))
    if total != 100:
        _fail(
            "weight",
            _("各指标分值合计须为 100 分，现为 %(t)s 分；方案未保存") % {"t": format(total.normalize(), "f")},
        )


@transaction.atomic
def scheme_save(*, actor, data: dict, indicators: list[dict], scheme: Scheme | None = None) -> Scheme:
    """Create a scheme, or change one. A scheme an assessment already uses is never changed: the change
    becomes the next version (same subject and year), citing the one it replaces. All or nothing."""
    _require(actor, "assessment.change_scheme" if scheme else "assessment.add_scheme")
    if (
        actor is not None
        and scheme is not None
        and not Scheme.objects.visible_to(actor, "change").filter(pk=scheme.pk).exists()
    ):
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    check_weights(indicators)
    subject = data.get("subject") or (scheme.subject if scheme else "town")
    year = data.get("year") or (scheme.year if scheme else None)
    new_version = scheme is None or scheme.in_use or int(year) != scheme.year or subject != scheme.subject
    before = snapshot(scheme) if scheme is not None else {}
    if new_version:
        latest = Scheme.objects.filter(subject=subject, year=year).aggregate(v=Max("version"))["v"] or 0
        target = Scheme(
            subject=subject,
            year=year,
            version=latest + 1,
            supersedes=scheme if scheme is not None and scheme.in_use else None,
            created_by=actor,
        )
    else:
        target = Scheme.objects.select_for_update().get(pk=scheme.pk)
    target.name = (data.get("name") or "").strip()
    target.note = (data.get("note") or "").strip()
    target.full_clean()
    target.save()
    if not new_version:
        target.indicators.all().delete()
    rows = []
    for n, row in enumerate(indicators, start=1):
        ind = Indicator(scheme=target, **{k: v for k, v in row.items() if k in Indicator.FIELDS})
        if not ind.order:
            ind.order = n
        ind.full_clean()
        ind.save()
        rows.append(ind)
    changes = {k: [before.get(k), v] for k, v in snapshot(target).items() if before.get(k) != v}
    changes["indicators"] = [None, [f"{i.name}:{i.weight}:{i.rule}:{i.source}" for i in rows]]
    note = _("方案新版本（第%(v)d版）") % {"v": target.version} if new_version and scheme else ""
    record(
        actor=actor,
        action=AuditAction.CREATE if new_version else AuditAction.UPDATE,
        instance=target,
        changes=changes,
        note=note,
    )
    return target


def agency_scheme_default(*, actor, year: int) -> Scheme:
    """The default agency scheme (assessment/defaults.py) for ``year``, unless that year has one."""
    from .defaults import AGENCY_INDICATORS, AGENCY_SCHEME_NAME

    _require(actor, "assessment.add_scheme")
    if Scheme.objects.filter(subject=Subject.AGENCY, year=year).exists():
        _fail("year", _("%(y)d 年度已有服务机构考评方案，请在该方案上修改") % {"y": year})
    return scheme_save(
        actor=actor,
        data={"subject": Subject.AGENCY, "year": year, "name": AGENCY_SCHEME_NAME, "note": _("默认方案")},
        indicators=[dict(r) for r in AGENCY_INDICATORS],
    )


# ---------------------------------------------------------------- opening: compute and freeze


def compute_figures(scheme: Scheme, subject_ids: list[int], start: date, end: date) -> dict:
    """{indicator id: {subject id: IndicatorFigure}} for every automatic indicator of the scheme, from
    whatever sources are registered (a source that is gone is an error, not a silent zero)."""
    out = {}
    for ind in scheme.indicators.all():
        if ind.is_manual:
            continue
        src = hooks.INDICATOR_SOURCES.get(ind.source)
        if src is None:
            _fail("scheme", _("指标“%(n)s”的数据来源“%(s)s”不存在") % {"n": ind.name, "s": ind.source})
        out[ind.pk] = src.compute(scheme.subject, subject_ids, start, end)
    return out


def _dec(v):
    return None if v is None else Decimal(str(v))


@transaction.atomic
def assessment_open(
    *, actor, scheme: Scheme, cut_off: date, period_start: date | None = None, title: str = ""
) -> Assessment:
    """发起考核: compute every automatic indicator as of the cut-off for every subject and freeze the
    figure and the ids of the records behind it; the towns may object until the deadline."""
    _require(actor, "assessment.add_assessment")
    if actor is not None and not Scheme.objects.visible_to(actor, "change").filter(pk=scheme.pk).exists():
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    today = timezone.localdate()
    period_start = period_start or date(scheme.year, 1, 1)
    if cut_off is None:
        _fail("cut_off", _("请填写数据截止日"))
    if cut_off > today:
        _fail("cut_off", _("数据截止日不能晚于今天（%(d)s）：数据须按已经发生的记录冻结") % {"d": today.isoformat()})
    if Assessment.objects.filter(subject=scheme.subject, year=scheme.year).exists():
        _fail("scheme", _("%(y)d 年度的考核已经发起，不能重复发起") % {"y": scheme.year})
    check_weights([{"weight": i.weight} for i in scheme.indicators.all()])
    kind = SUBJECTS[scheme.subject]
    subjects = list(kind.rows())
    ids = [s.pk for s in subjects]
    figures = compute_figures(scheme, ids, period_start, cut_off)
    assessment = Assessment(
        scheme=scheme,
        subject=scheme.subject,
        year=scheme.year,
        title=(title or "").strip() or _("%(y)d 年度%(n)s") % {"y": scheme.year, "n": scheme.name},
        period_start=period_start,
        cut_off=cut_off,
        objection_deadline=today + timedelta(days=conf.get("ASSESSMENT_OBJECTION_DAYS")),
        opened_by=actor,
        inputs_hash="-",
    )
    assessment.full_clean()
    assessment.save()
    indicators = list(scheme.indicators.all())
    frozen = []
    for subj in subjects:
        sheet = Sheet.objects.create(assessment=assessment, subject_id=subj.pk, subject_label=str(subj)[:100])
        for ind in indicators:
            fig = figures.get(ind.pk, {}).get(subj.pk) if not ind.is_manual else None
            value = _dec(fig.value) if fig else None
            points, vetoes = scoring.score(ind, value)
            s = Score(
                sheet=sheet,
                indicator=ind,
                value=value,
                numerator=_dec(fig.numerator) if fig else None,
                denominator=_dec(fig.denominator) if fig else None,
                records={k: sorted(int(i) for i in v) for k, v in (fig.records if fig else {}).items()},
                computed=points,
                vetoes=vetoes,
            )
            s.full_clean()
            s.save()
            frozen.append((subj.pk, ind.pk, s.value, s.numerator, s.denominator, s.records))
    assessment.inputs_hash = scoring.inputs_digest(frozen)
    assessment.save(update_fields=["inputs_hash"])
    rescore(assessment)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=assessment,
        changes={
            "scheme": [None, str(scheme)],
            "cut_off": [None, cut_off.isoformat()],
            "objection_deadline": [None, assessment.objection_deadline.isoformat()],
            "inputs_hash": [None, assessment.inputs_hash],
        },
        note=_("发起考核，冻结截至 %(d)s 的数据") % {"d": cut_off.isoformat()},
    )
    _notify_opened(actor, assessment)
    return assessment


def _notify_opened(actor, assessment):
    kind = SUBJECTS[assessment.subject]
    for sheet in assessment.sheets.all():
        notify(
            actor=actor,
            recipients=kind.users(sheet.subject_id),
            kind="assessment_opened",
            title=_("%(t)s已发布，请核对本单位考核表") % {"t": assessment.title},
            body=_("如对指标数据有异议，请在 %(d)s 前提出。") % {"d": assessment.objection_deadline.isoformat()},
            link=sheet.get_absolute_url(),
            dedup_key=f"assessment:{assessment.pk}:opened:{sheet.subject_id}",
        )


def remind_objection_deadline(today: date | None = None) -> int:
    """The job: tell each graded party of an open assessment that its objection deadline is near."""
    today = today or timezone.localdate()
    lead = conf.get("ASSESSMENT_REMINDER_DAYS")
    sent = 0
    due = Assessment.objects.filter(
        state=AssessmentState.OPEN,
        objection_deadline__gte=today,
        objection_deadline__lte=today + timedelta(days=lead),
    )
    for assessment in due:
        kind = SUBJECTS[assessment.subject]
        for sheet in assessment.sheets.all():
            sent += len(
                notify(
                    actor=None,
                    recipients=kind.users(sheet.subject_id),
                    kind="assessment_deadline",
                    title=_("%(t)s：异议期将于 %(d)s 截止")
                    % {"t": assessment.title, "d": assessment.objection_deadline.isoformat()},
                    link=sheet.get_absolute_url(),
                    level=Level.WARNING,
                    dedup_key=f"assessment:{assessment.pk}:deadline:{sheet.subject_id}",
                )
            )
    return sent


# ---------------------------------------------------------------- totals and ranks


def rescore(assessment: Assessment) -> None:
    """Totals and ranks of every sheet from its scores (final = adjusted, else the rule's)."""
    sheets = list(assessment.sheets.all())
    finals: dict = {s.pk: [] for s in sheets}
    vetoed: dict = dict.fromkeys(finals, False)
    for sc in Score.objects.filter(sheet__assessment=assessment).only("sheet_id", "computed", "adjusted", "vetoes"):
        finals[sc.sheet_id].append(sc.final)
        vetoed[sc.sheet_id] = vetoed[sc.sheet_id] or sc.vetoes
    totals = {pk: scoring.total(finals[pk], vetoed[pk]) for pk in finals}
    ranks = scoring.ranks([(pk, totals[pk], vetoed[pk]) for pk in finals])
    limits = grade_thresholds()
    for s in sheets:
        s.total, s.vetoed, s.rank = totals[s.pk], vetoed[s.pk], ranks[s.pk]
        s.grade = scoring.grade(s.total, s.vetoed, limits)
    Sheet.objects.bulk_update(sheets, ["total", "vetoed", "rank", "grade"])


def grade_thresholds() -> tuple:
    return tuple(conf.get(f"ASSESSMENT_GRADE_{k}") for k in ("EXCELLENT", "GOOD", "FAIR"))


def result_rows(assessment: Assessment) -> list:
    rows = [
        ("score", sc.sheet.subject_id, sc.indicator_id, sc.final)
        for sc in Score.objects.filter(sheet__assessment=assessment).select_related("sheet")
    ]
    rows += [("sheet", s.subject_id, s.total, s.vetoed, s.rank) for s in assessment.sheets.all()]
    return rows


def _open_for(actor, assessment: Assessment, action: str, sheet=None) -> Assessment:
    """Lock the assessment and check the table: a finalised assessment takes no step at all."""
    fresh = Assessment.objects.select_for_update().get(pk=assessment.pk)
    row = transitions.TABLE.get((fresh.state, action))
    system_may = actor is None and row is not None and transitions.COUNTY in row[1]
    if not (system_may or transitions.allowed(actor, fresh, action, sheet)):
        if fresh.is_final:
            raise ValidationError(_("考核已定稿，结果不能再更改"))
        raise PermissionDenied(_("您不能对该考核执行“%(a)s”") % {"a": transitions.ACTIONS[action]})
    return fresh


def _points(points, score: Score) -> Decimal:
    try:
        value = Decimal(str(points)).quantize(scoring.CENT)
    except (InvalidOperation, TypeError, ValueError):
        _fail("points", _("得分须为数字"))
    if value < 0 or value > score.indicator.weight:
        _fail("points", _("得分须在 0 至 %(w)s 分之间") % {"w": score.indicator.weight})
    return value


def _set_score(actor, score: Score, points: Decimal, reason: str, note: str):
    before = {"adjusted": str(score.adjusted) if score.adjusted is not None else None, "reason": score.adjust_reason}
    score.adjusted, score.adjust_reason = points, reason
    score.adjusted_by, score.adjusted_at = actor, timezone.now()
    score.full_clean()
    score.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=score,
        changes={"adjusted": [before["adjusted"], str(points)], "adjust_reason": [before["reason"], reason]},
        note=note,
    )


# ---------------------------------------------------------------- the county's steps


@transaction.atomic
def score_adjust(*, actor, score: Score, points, reason: str) -> Score:
    """调整得分: a manual indicator's score, or a correction of an automatic one, always with a reason."""
    _require(actor, "assessment.change_score")
    rows = Score.objects.visible_to(actor, "change") if actor is not None else Score.objects.all()
    score = rows.select_related("sheet__assessment", "indicator").get(pk=score.pk)
    assessment = _open_for(actor, score.sheet.assessment, "adjust", score.sheet)
    value = _points(points, score)
    reason = _reason(reason)
    _set_score(actor, score, value, reason, _("调整得分"))
    rescore(assessment)
    return score


@uploads.discard_files_on_error
@transaction.atomic
def objection_raise(*, actor, score: Score, note: str, files=()) -> Objection:
    """提出异议: the graded party, on one indicator of its own sheet, before the deadline."""
    _require(actor, "assessment.add_objection")
    visible = Score.objects.visible_to(actor).select_related("sheet__assessment", "indicator")
    score = visible.filter(pk=score.pk).first()
    if score is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    assessment = _open_for(actor, score.sheet.assessment, "object", score.sheet)
    today = timezone.localdate()
    if today > assessment.objection_deadline:
        _fail(
            "note",
            _("异议期已于 %(d)s 截止，不能再提出异议") % {"d": assessment.objection_deadline.isoformat()},
        )
    note = (note or "").strip()
    if not note:
        _fail("note", _("请填写异议说明"))
    files = [f for f in files if f]
    if len(files) > MAX_FILES:
        _fail("files", _("附件最多 %(n)d 个") % {"n": MAX_FILES})
    documents = [uploads.verify_scan(f) for f in files]
    objection = Objection(score=score, note=note[:2000], raised_by=actor)
    objection.full_clean()
    objection.save()
    for doc in documents:
        f = ObjectionFile(objection=objection, sha256=doc.sha256, name=doc.name[:200])
        uploads.save_document(f.file, doc)
        f.full_clean()
        f.save()
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=objection,
        changes={"note": [None, objection.note], "files": [None, [d.sha256 for d in documents]]},
        note=_("提出异议"),
    )
    notify(
        actor=actor,
        recipients=county_officers(),
        kind="assessment_objection",
        title=_("%(s)s对“%(i)s”提出异议") % {"s": score.sheet.subject_label, "i": score.indicator.name},
        body=objection.note,
        link=objection.get_absolute_url(),
    )
    return objection


@transaction.atomic
def objection_rule(*, actor, objection: Objection, upheld: bool, reason: str, points=None) -> Objection:
    """裁定异议: upheld (optionally with the corrected score) or dismissed, always with a reason."""
    _require(actor, "assessment.change_objection")
    objection = (
        Objection.objects.visible_to(actor, "change")
        .select_related("score__sheet__assessment", "score__indicator")
        .get(pk=objection.pk)
    )
    assessment = _open_for(actor, objection.score.sheet.assessment, "rule", objection.score.sheet)
    if objection.state != ObjectionState.PENDING:
        _fail("reason", _("该异议已经裁定"))
    reason = _reason(reason)
    score = objection.score
    if upheld and points not in (None, ""):
        _set_score(actor, score, _points(points, score), reason, _("异议成立，调整得分"))
    objection.state = ObjectionState.UPHELD if upheld else ObjectionState.DISMISSED
    objection.ruling, objection.ruled_by, objection.ruled_at = reason, actor, timezone.now()
    objection.full_clean()
    objection.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=objection,
        changes={"state": [ObjectionState.PENDING, objection.state], "ruling": [None, reason]},
        note=_("裁定异议"),
    )
    rescore(assessment)
    notify(
        actor=actor,
        recipients=[objection.raised_by] if objection.raised_by else [],
        kind="assessment_ruling",
        title=_("您对“%(i)s”的异议：%(s)s") % {"i": score.indicator.name, "s": objection.get_state_display()},
        body=reason,
        link=objection.get_absolute_url(),
    )
    return objection


@transaction.atomic
def assessment_finalise(*, actor, assessment: Assessment) -> Assessment:
    """定稿: after the objection deadline, with every objection ruled and every manual indicator
    scored. The result is locked (no step is allowed on a final assessment) and its hash recorded."""
    _require(actor, "assessment.change_assessment")
    fresh = _open_for(actor, assessment, "finalise")
    today = timezone.localdate()
    if today <= fresh.objection_deadline:
        _fail("state", _("异议期至 %(d)s 截止，截止后才能定稿") % {"d": fresh.objection_deadline.isoformat()})
    if Objection.objects.filter(score__sheet__assessment=fresh, state=ObjectionState.PENDING).exists():
        _fail("state", _("尚有未裁定的异议，不能定稿"))
    unscored = Score.objects.filter(
        sheet__assessment=fresh, indicator__rule=Rule.MANUAL, adjusted__isnull=True
    ).select_related("sheet", "indicator")
    if unscored.exists():
        first = unscored.first()
        _fail(
            "state",
            _("人工评分指标尚未评分（如%(s)s的“%(i)s”），不能定稿")
            % {"s": first.sheet.subject_label, "i": first.indicator.name},
        )
    rescore(fresh)
    fresh.state = transitions.target(fresh.state, "finalise")
    fresh.finalised_by, fresh.finalised_at = actor, timezone.now()
    fresh.result_hash = scoring.result_digest(result_rows(fresh))
    fresh.full_clean()
    fresh.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes={"state": [AssessmentState.OPEN, fresh.state], "result_hash": [None, fresh.result_hash]},
        note=_("考核定稿"),
    )
    return fresh


# ---------------------------------------------------------------- verification


def verify_assessment(assessment: Assessment) -> list[str]:
    """Recompute the result from the frozen inputs; the differences from what is stored ([] = it matches)."""
    problems = []
    scores = list(
        Score.objects.filter(sheet__assessment=assessment).select_related("indicator", "sheet").order_by("pk")
    )
    frozen = [
        (sc.sheet.subject_id, sc.indicator_id, sc.value, sc.numerator, sc.denominator, sc.records) for sc in scores
    ]
    if scoring.inputs_digest(frozen) != assessment.inputs_hash:
        problems.append(_("冻结数据的校验值与发起时不符"))
    finals: dict = {}
    vetoed: dict = {}
    for sc in scores:
        points, vetoes = scoring.score(sc.indicator, sc.value)
        if (points, vetoes) != (sc.computed, sc.vetoes):
            problems.append(
                _("%(s)s“%(i)s”：按冻结数值重算得 %(p)s 分，存储为 %(c)s 分")
                % {"s": sc.sheet.subject_label, "i": sc.indicator.name, "p": points, "c": sc.computed}
            )
        final = sc.adjusted if sc.adjusted is not None else points
        finals.setdefault(sc.sheet_id, []).append(final)
        vetoed[sc.sheet_id] = vetoed.get(sc.sheet_id, False) or vetoes
    sheets = list(assessment.sheets.all())
    totals = {s.pk: scoring.total(finals.get(s.pk, []), vetoed.get(s.pk, False)) for s in sheets}
    ranks = scoring.ranks([(s.pk, totals[s.pk], vetoed.get(s.pk, False)) for s in sheets])
    limits = grade_thresholds()
    for s in sheets:
        expected = scoring.grade(totals[s.pk], vetoed.get(s.pk, False), limits)
        if s.grade and expected != s.grade:
            problems.append(
                _("%(s)s：按总分应评为“%(g)s”，存储为“%(sg)s”")
                % {"s": s.subject_label, "g": Grade(expected).label, "sg": s.get_grade_display()}
            )
        if (totals[s.pk], vetoed.get(s.pk, False), ranks[s.pk]) != (s.total, s.vetoed, s.rank):
            problems.append(
                _("%(s)s：重算总分 %(t)s、排名 %(r)d，存储为总分 %(st)s、排名 %(sr)s")
                % {"s": s.subject_label, "t": totals[s.pk], "r": ranks[s.pk], "st": s.total, "sr": s.rank}
            )
    if assessment.is_final and scoring.result_digest(result_rows(assessment)) != assessment.result_hash:
        problems.append(_("定稿结果的校验值与定稿时不符"))
    return problems
