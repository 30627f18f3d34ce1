"""Reads of the training app: each enterprise's key people against the required hours, and the views
that share it (the enterprise's status page, the town/county list, the 360° panel, the home cards)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core.display import display_value
from safeserve.registry.models import Enterprise

from . import conf
from .choices import BAD, INITIAL_COURSE, KEY_ROLES, YEARLY_COURSE, CourseType, PersonRole
from .choices import TrainingStatus as S
from .models import Attendance, Certificate, TrainingSession

# Most severe first: a person's status is the first of these that applies.
PRIORITY = (S.EXPIRED, S.NO_CERTIFICATE, S.MISSING, S.UNTRAINED, S.REVIEW_DUE, S.YEARLY_DUE, S.EXPIRING, S.OK)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def is_high_risk(enterprise) -> bool:
    code = enterprise.industry.code if enterprise.industry_id else ""
    return bool(enterprise.is_hazchem) or code.startswith(conf.HIGH_RISK_INDUSTRY_PREFIXES)


def required_hours(enterprise) -> tuple[int, int]:
    """(initial, yearly) hours for principals and safety managers: 32/12, or 48/16 when high-risk."""
    if is_high_risk(enterprise):
        return conf.get("TRAINING_HIGH_RISK_INITIAL_HOURS"), conf.get("TRAINING_HIGH_RISK_YEARLY_HOURS")
    return conf.get("TRAINING_INITIAL_HOURS"), conf.get("TRAINING_YEARLY_HOURS")


@dataclass
class PersonStatus:
    enterprise_id: int
    name: str
    role: str
    status: str
    record: object = None  # the latest attendance or certificate (its ID number is shown masked as it says)
    required_initial: int | None = None
    initial_hours: Decimal = Decimal(0)
    required_yearly: int | None = None
    yearly_hours: Decimal = Decimal(0)
    certificate: Certificate | None = None
    problems: list = field(default_factory=list)

    @property
    def is_bad(self) -> bool:
        return self.status in BAD

    def get_status_display(self):
        return S(self.status).label

    def get_role_display(self):
        return PersonRole(self.role).label


def _pick(problems) -> str:
    return next(s for s in PRIORITY if s in problems) if problems else S.OK


def _certificate_problems(cert, on_date, problems):
    if cert is None:
        return
    if cert.valid_until < on_date:
        problems.add(S.EXPIRED)
    elif (cert.valid_until - on_date).days <= conf.get("TRAINING_CERT_REMINDER_DAYS"):
        problems.add(S.EXPIRING)


def _manager_status(enterprise, key, records, certs, on_date) -> PersonStatus:
    eid, _id_number, role = key
    initial_req, yearly_req = required_hours(enterprise)
    initial = sorted(
        (a for a in records if a.session.course.course_type == INITIAL_COURSE[role]), key=lambda a: a.session.date
    )
    completed_on, total = None, Decimal(0)
    for a in initial:
        total += a.hours
        if completed_on is None and total >= initial_req:
            completed_on = a.session.date
    since = on_date - timedelta(days=365)
    yearly = sum(
        (a.hours for a in records if a.session.course.course_type == YEARLY_COURSE[role] and since < a.session.date),
        Decimal(0),
    )
    problems = set()
    if completed_on is None:
        problems.add(S.UNTRAINED)
    elif completed_on <= since and yearly < yearly_req:
        problems.add(S.YEARLY_DUE)
    cert = max(certs, key=lambda c: c.valid_until) if certs else None
    _certificate_problems(cert, on_date, problems)
    latest = max(records, key=lambda a: a.session.date) if records else cert
    return PersonStatus(
        enterprise_id=eid,
        name=(latest.name if isinstance(latest, Attendance) else latest.holder_name),
        role=role,
        status=_pick(problems),
        record=latest,
        required_initial=initial_req,
        initial_hours=total,
        required_yearly=yearly_req,
        yearly_hours=yearly,
        certificate=cert,
    )


def _special_status(key, records, certs, on_date) -> PersonStatus:
    eid, _id_number, role = key
    cert = max(certs, key=lambda c: c.valid_until) if certs else None
    problems = set()
    review_hours = Decimal(0)
    if cert is None:
        problems.add(S.NO_CERTIFICATE)
    else:
        _certificate_problems(cert, on_date, problems)
        review_on = add_years(cert.issued_on, conf.get("TRAINING_SPECIAL_REVIEW_YEARS"))
        window = review_on - timedelta(days=365)  # review training in the year before the review date counts
        review_hours = sum(
            (
                a.hours
                for a in records
                if a.session.course.course_type == CourseType.SPECIAL_REVIEW and a.session.date >= window
            ),
            Decimal(0),
        )
        if on_date >= review_on and review_hours < conf.get("TRAINING_SPECIAL_REVIEW_HOURS"):
            problems.add(S.REVIEW_DUE)
    latest = cert or max(records, key=lambda a: a.session.date)
    return PersonStatus(
        enterprise_id=eid,
        name=(latest.holder_name if isinstance(latest, Certificate) else latest.name),
        role=role,
        status=_pick(problems),
        record=latest,
        required_yearly=conf.get("TRAINING_SPECIAL_REVIEW_HOURS"),
        yearly_hours=review_hours,
        certificate=cert,
    )


def training_status(enterprises, on_date: date | None = None) -> dict[int, list[PersonStatus]]:
    """Every key person (principal, safety manager, special-operations worker) of each enterprise and
    their status on ``on_date``, from the attendance and certificate records up to that day. An
    enterprise with no principal's or no safety manager's training record gets a "无培训记录" row.
    Two queries whatever the number of enterprises."""
    on_date = on_date or timezone.localdate()
    enterprises = list(enterprises)
    ids = [e.pk for e in enterprises]
    records = defaultdict(list)
    for a in Attendance.objects.filter(
        enterprise_id__in=ids, person_role__in=KEY_ROLES, session__date__lte=on_date
    ).select_related("session__course"):
        records[(a.enterprise_id, a.id_number, a.person_role)].append(a)
    certs = defaultdict(list)
    for c in Certificate.objects.filter(enterprise_id__in=ids, person_role__in=KEY_ROLES, issued_on__lte=on_date):
        certs[(c.enterprise_id, c.id_number, c.person_role)].append(c)
    by_enterprise = {e.pk: e for e in enterprises}
    out = {pk: [] for pk in ids}
    for key in sorted(set(records) | set(certs)):
        eid, _id, role = key
        if role == PersonRole.SPECIAL_WORKER:
            out[eid].append(_special_status(key, records[key], certs[key], on_date))
        else:
            out[eid].append(_manager_status(by_enterprise[eid], key, records[key], certs[key], on_date))
    for e in enterprises:
        rows = out[e.pk]
        initial_req, yearly_req = required_hours(e)
        for role, name in (
            (PersonRole.PRINCIPAL, e.legal_representative),
            (PersonRole.SAFETY_MANAGER, e.safety_manager),
        ):
            if not any(r.role == role for r in rows):
                rows.insert(
                    0,
                    PersonStatus(
                        enterprise_id=e.pk,
                        name=name or "",
                        role=role,
                        status=S.MISSING,
                        required_initial=initial_req,
                        required_yearly=yearly_req,
                    ),
                )
        rows.sort(key=lambda r: (KEY_ROLES.index(r.role), r.name))
    return out


def person_rows(user, rows) -> list[dict]:
    """Rows for a page or export, the ID number shown as the viewer may see it."""
    return [
        {
            "person": r,
            "id_number": display_value(r.record, "id_number", user) if r.record is not None else "",
        }
        for r in rows
    ]


def may_view_status(user) -> bool:
    return user.has_perm("training.view_attendance") and user.role in (Role.COUNTY, Role.TOWN, Role.ENTERPRISE)


def flagged_enterprises(user, on_date: date | None = None) -> list[dict]:
    """Enterprises (in the user's scope) whose key people are untrained or expired, with counts by role."""
    if not may_view_status(user) or user.role == Role.ENTERPRISE:
        return []
    enterprises = Enterprise.objects.visible_to(user).select_related("industry", "town").order_by("town", "name")
    enterprises = list(enterprises)
    status = training_status(enterprises, on_date)
    out = []
    for e in enterprises:
        bad = [r for r in status[e.pk] if r.is_bad]
        if not bad:
            continue
        counts = {role: sum(1 for r in bad if r.role == role) for role in KEY_ROLES}
        out.append({"enterprise": e, "high_risk": is_high_risk(e), "bad": bad, "counts": counts})
    return out


def home_summary(user) -> dict:
    cards = []
    if user.role == Role.ENTERPRISE and may_view_status(user) and user.enterprise_id:
        enterprise = Enterprise.objects.select_related("industry").filter(pk=user.enterprise_id).first()
        if enterprise is not None:
            rows = training_status([enterprise])[enterprise.pk]
            cards.append(
                {
                    "key": "training-bad",
                    "label": _("培训未达标的关键人员"),
                    "value": sum(1 for r in rows if r.is_bad),
                    "url": reverse("training:status", args=[enterprise.pk]),
                }
            )
    elif user.role == Role.AGENCY and user.has_perm("training.add_attendance"):
        today = timezone.localdate()
        cards.append(
            {
                "key": "training-sessions",
                "label": _("本年培训班次"),
                "value": TrainingSession.objects.filter(
                    course__provider_id=user.agency_id, date__year=today.year
                ).count(),
                "url": reverse("training:trainingsession_list"),
            }
        )
    return {"cards": cards}


def enterprise_panels(request, enterprise) -> list[dict]:
    user = request.user
    if not may_view_status(user):
        return []
    if enterprise.industry_id and "industry" not in enterprise._state.fields_cache:
        enterprise = Enterprise.objects.select_related("industry").get(pk=enterprise.pk)
    rows = training_status([enterprise])[enterprise.pk]
    url = reverse("training:status", args=[enterprise.pk])
    bad = [r for r in rows if r.is_bad]
    return [
        {
            "key": "training",
            "title": _("安全培训"),
            "figures": [
                {"key": "people", "label": _("关键人员"), "value": len(rows), "url": url},
                {"key": "bad", "label": _("未达标或证书过期"), "value": len(bad), "url": url},
            ],
            "items": [
                {
                    "text": f"{r.get_role_display()} {r.name}",
                    "url": url,
                    "meta": r.get_status_display(),
                    "badge": "danger",
                }
                for r in bad[:5]
            ],
            "url": url,
        }
    ]


def expiring_certificates(today: date):
    """Certificates whose expiry falls within the reminder window (for the reminder job)."""
    until = today + timedelta(days=conf.get("TRAINING_CERT_REMINDER_DAYS"))
    return Certificate.objects.filter(valid_until__gte=today, valid_until__lte=until).select_related(
        "enterprise", "provider"
    )
