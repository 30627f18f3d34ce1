"""This app's credit facts, registered as a ``core.hooks.CREDIT_FACT_SOURCES`` provider like any
other app's, so that grading gathers every fact through one path (``hooks.credit_facts``).

Records (an accident, a penalty, a broken commitment) are dated by their own date; states (an overdue
重大 hazard, a current listing) hold on the grading date and are dated by it."""

from datetime import date

from django.db.models import Q
from django.utils.translation import gettext as _

from safeserve.core.hooks import CreditFact
from safeserve.hazards.choices import HazardLevel
from safeserve.hazards.models import Hazard
from safeserve.hazards.queries import OPEN_STATES

from .choices import CommitmentStatus, PartyKind, PenaltyMeasure, PenaltyStatus, Subject
from .models import Accident, Commitment, Listing, Penalty, listed_on_q


def _ids(qs, field, ids):
    return qs if ids is None else qs.filter(**{f"{field}__in": list(ids)})


def enterprise_facts(ids, as_of: date) -> list[CreditFact]:
    out = []
    accidents = _ids(Accident.objects.filter(occurred_on__lte=as_of), "enterprise_id", ids)
    for a in accidents.order_by("occurred_on", "id"):
        src, url = f"credit.accident:{a.pk}", a.get_absolute_url()
        detail = {"deaths": a.deaths, "level": a.level}
        label = _("%(date)s %(title)s（%(level)s，死亡 %(d)d 人）") % {
            "date": a.occurred_on.isoformat(),
            "title": a.title,
            "level": a.get_level_display(),
            "d": a.deaths,
        }
        out.append(
            CreditFact("enterprise", a.enterprise_id, a.occurred_on, f"accident.{a.level}", label, src, url, detail)
        )
        if a.concealed:
            out.append(
                CreditFact(
                    "enterprise",
                    a.enterprise_id,
                    a.occurred_on,
                    "accident.concealed",
                    _("%(title)s：瞒报、谎报或迟报") % {"title": a.title},
                    src,
                    url,
                )
            )
    out += _penalty_facts(
        _ids(Penalty.objects.filter(party_kind=PartyKind.ENTERPRISE), "enterprise_id", ids), "enterprise", as_of
    )
    commitments = Commitment.objects.filter(status=CommitmentStatus.BROKEN, checked_on__lte=as_of)
    for c in _ids(commitments, "enterprise_id", ids).order_by("checked_on", "id"):
        out.append(
            CreditFact(
                "enterprise",
                c.enterprise_id,
                c.checked_on,
                "commitment.broken",
                _("%(y)d 年度安全承诺未履行：%(note)s") % {"y": c.year, "note": c.check_note or c.content},
                f"credit.commitment:{c.pk}",
                c.get_absolute_url(),
            )
        )
    hazards = Hazard.objects.filter(level=HazardLevel.MAJOR, state__in=OPEN_STATES).filter(
        Q(deadline__lt=as_of) | Q(supervised=True)
    )
    for h in _ids(hazards, "enterprise_id", ids).order_by("deadline", "id"):
        src, url = f"hazards.hazard:{h.pk}", h.get_absolute_url()
        if h.deadline < as_of:
            label = _("重大事故隐患逾期未整改：%(loc)s（期限 %(d)s）") % {
                "loc": h.location,
                "d": h.deadline.isoformat(),
            }
            out.append(CreditFact("enterprise", h.enterprise_id, as_of, "hazard.major_overdue", label, src, url))
        if h.supervised:
            label = _("挂牌督办的重大事故隐患未销号：%(loc)s") % {"loc": h.location}
            out.append(CreditFact("enterprise", h.enterprise_id, as_of, "hazard.listed_major", label, src, url))
    out += _listing_facts(_ids(Listing.objects.filter(subject=Subject.ENTERPRISE), "enterprise_id", ids), as_of)
    return out


def agency_facts(ids, as_of: date) -> list[CreditFact]:
    out = _penalty_facts(_ids(Penalty.objects.filter(party_kind=PartyKind.AGENCY), "agency_id", ids), "agency", as_of)
    out += _listing_facts(_ids(Listing.objects.filter(subject=Subject.AGENCY), "agency_id", ids), as_of)
    return out


def _penalty_facts(qs, subject, as_of) -> list[CreditFact]:
    out = []
    for p in qs.exclude(status=PenaltyStatus.REVOKED).filter(decided_on__lte=as_of).order_by("decided_on", "id"):
        sid = p.enterprise_id if subject == "enterprise" else p.agency_id
        src, url = f"credit.penalty:{p.pk}", p.get_absolute_url()
        label = _("行政处罚 %(n)s：%(v)s") % {"n": p.decision_number, "v": p.violation[:40]}
        out.append(CreditFact(subject, sid, p.decided_on, "penalty", label, src, url, {"fine": str(p.fine)}))
        if PenaltyMeasure.SUSPEND in (p.measures or []):
            label = _("行政处罚 %(n)s：责令停产停业整顿") % {"n": p.decision_number}
            out.append(CreditFact(subject, sid, p.decided_on, "penalty.suspend", label, src, url))
    return out


def _listing_facts(qs, as_of) -> list[CreditFact]:
    out = []
    for li in qs.filter(listed_on_q(as_of)).order_by("id"):
        sid = li.enterprise_id if li.subject == Subject.ENTERPRISE else li.agency_id
        label = _("列入严重失信主体名单：%(n)s（%(s)s 至 %(e)s）") % {
            "n": li.decision_number,
            "s": li.decided_on.isoformat(),
            "e": li.expires_on.isoformat(),
        }
        out.append(
            CreditFact(li.subject, sid, as_of, "listing", label, f"credit.listing:{li.pk}", li.get_absolute_url())
        )
    return out


def credit_fact_source(subject: str, subject_ids, as_of: date) -> list[CreditFact]:
    """The ``CREDIT_FACT_SOURCES`` provider of this app."""
    if subject == "enterprise":
        return enterprise_facts(subject_ids, as_of)
    if subject == "agency":
        return agency_facts(subject_ids, as_of)
    return []
