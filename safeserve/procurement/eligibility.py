"""Supplier eligibility (供应商资格) on a day, checked when a bid is recorded and again at the award.

Four checks, each with its reason in words:
1. a qualification valid on the day (as far as the county confirmed it) covering the service type;
2. a valid practice notice (执业告知) on the day, where the notice system exists (the hook answers);
3. not on the serious-default list (严重失信主体名单) on the day;
4. no major violation within the look-back (3 years): a penalty with 责令停产停业整顿, or a fine at or
   above ``MAJOR_FINE`` (credit facts "penalty.suspend" / "penalty" with its fine).
"""

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from safeserve.core import hooks
from safeserve.registry.choices import ServiceType
from safeserve.registry.models import Agency, AgencyQualification

from . import conf


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    ok: bool
    reason: str


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def qualified_ids(agency_ids, service_type: str, day: date) -> set:
    """Agencies holding a qualification valid on ``day`` for ``service_type``. A licensed type
    (settings LICENSED_SERVICE_TYPES) needs a qualification of exactly that type; another type also
    accepts a valid qualification without a type when the agency registers the type as its business."""
    quals = AgencyQualification.objects.filter(AgencyQualification.counts_on_q(day), agency_id__in=list(agency_ids))
    ids = set(quals.filter(service_type=service_type).values_list("agency_id", flat=True))
    if service_type not in set(settings.SAFESERVE["LICENSED_SERVICE_TYPES"]):
        untyped = set(quals.filter(service_type="").values_list("agency_id", flat=True))
        for a in Agency.objects.filter(pk__in=untyped).only("pk", "service_types"):
            if service_type in (a.service_types or []):
                ids.add(a.pk)
    return ids


def major_violations(agency_ids, day: date) -> dict[int, list[str]]:
    since = _years_before(day, conf.setting("VIOLATION_YEARS"))
    threshold = Decimal(conf.setting("MAJOR_FINE"))
    out: dict[int, list[str]] = {}
    for fact in hooks.credit_facts("agency", list(agency_ids), day):
        if not (since < fact.date <= day):
            continue
        major = fact.kind == "penalty.suspend"
        if fact.kind == "penalty":
            try:
                major = Decimal(str(fact.detail.get("fine", "0"))) >= threshold
            except InvalidOperation:
                major = False
        if major:
            out.setdefault(fact.subject_id, []).append(f"{fact.date.isoformat()} {fact.label}")
    return out


def check_suppliers(agency_ids, service_type: str, day: date) -> dict[int, list[Check]]:
    """{agency id: [Check, ...]} for every agency of ``agency_ids`` on ``day`` (four queries in all)."""
    ids = list(agency_ids)
    qualified = qualified_ids(ids, service_type, day)
    notice = hooks.agencies_with_notice(ids, day)
    listed = hooks.listed_ids("agency", ids, day)
    violations = major_violations(ids, day)
    type_label = dict(ServiceType.choices).get(service_type, service_type)
    years = conf.setting("VIOLATION_YEARS")
    out = {}
    for aid in ids:
        checks = [
            Check(
                "qualification",
                _("有效资质"),
                aid in qualified,
                _("持有 %(d)s 有效的“%(t)s”资质") % {"d": day.isoformat(), "t": type_label}
                if aid in qualified
                else _("%(d)s 无有效的“%(t)s”资质（或延期未经县局核验）") % {"d": day.isoformat(), "t": type_label},
            ),
            Check(
                "notice",
                _("执业告知"),
                notice is None or aid in notice,
                _("本县未建立执业告知制度，不审查")
                if notice is None
                else (_("执业告知有效") if aid in notice else _("%(d)s 无有效的执业告知") % {"d": day.isoformat()}),
            ),
            Check(
                "listing",
                _("严重失信主体名单"),
                aid not in listed,
                _("未列入") if aid not in listed else _("%(d)s 在严重失信主体名单中") % {"d": day.isoformat()},
            ),
            Check(
                "violation",
                _("近%(n)d年无重大违法记录") % {"n": years},
                aid not in violations,
                _("无") if aid not in violations else "；".join(violations[aid]),
            ),
        ]
        out[aid] = checks
    return out


def as_data(checks: list[Check]) -> list[dict]:
    return [asdict(c) for c in checks]


def failures(checks: list[dict]) -> list[str]:
    """The failed checks of a stored list (``as_data``), in words."""
    return [f"{c['label']}：{c['reason']}" for c in checks if not c["ok"]]
