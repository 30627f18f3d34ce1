"""Who may be drawn for a request, and why each of the others may not (回避).

``eligibility(request)`` starts from the pool (在库 experts holding one of the specialties asked
for) and applies every rule; an expert caught by several rules shows every reason. The rules:

- same employer: the expert's employer (registry.Expert.employer_enterprise, or a declared current
  employer, or the employer's name) is one of the enterprises;
- agency serving: the expert's employer is an agency with a contract (active, expired or
  terminated — a contract that ever existed) for one of the enterprises;
- served recently: within EXPERT_SERVED_MONTHS (36) before the work date, the expert was present on
  a service visit to the enterprise (an agency staff entry with the expert's ID number), or did an
  expert job (accepted invitation) about it;
- declared interests: a past employer within EXPERT_PAST_EMPLOYER_YEARS (3), a relative's employer
  or an investment in one of the enterprises (by registry link or by name);
- unavailable: a period away covering the work date;
- manual: the requester's own exclusions, each with its reason.

Reads only; the draw (actions.request_freeze) freezes what this returns.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils.translation import gettext as _

from safeserve.registry.models import AgencyStaff, Expert
from safeserve.services.models import ContractEnterprise, VisitStaff

from . import conf
from .choices import InterestKind, InvitationState, PoolStatus, Recusal
from .models import Absence, Interest, Invitation


@dataclass
class Eligibility:
    candidates: list  # Expert rows that may be drawn, by id
    excluded: dict  # expert id -> list of (rule, reason text)
    names: dict  # expert id -> name (for the exclusion list)

    def exclusions(self) -> list[dict]:
        """The frozen draw's exclusion list: every excluded expert with all its reasons."""
        return [
            {"id": str(pk), "label": self.names[pk], "reason": "；".join(text for _rule, text in reasons)}
            for pk, reasons in sorted(self.excluded.items())
        ]

    def rules_of(self, expert_id) -> set[str]:
        return {rule for rule, _text in self.excluded.get(expert_id, [])}


def pool_for(request):
    """The experts a request draws from: active in the pool, with a specialty asked for."""
    qs = Expert.objects.filter(is_active=True, pool_profile__status=PoolStatus.ACTIVE)
    specialty_ids = list(request.specialties.values_list("pk", flat=True))
    if specialty_ids:
        qs = qs.filter(pool_profile__specialty_list__in=specialty_ids)
    return qs.distinct().order_by("pk")


def _months_before(day, months):
    return day - timedelta(days=round(months * 365.25 / 12))


def eligibility(request) -> Eligibility:
    pool = list(pool_for(request).select_related("employer_enterprise", "employer_agency"))
    ids = [e.pk for e in pool]
    ents = list(request.enterprises.all())
    ent_ids = {e.pk for e in ents}
    ent_names = {e.name: e for e in ents}
    ent_label = {e.pk: e.name for e in ents}
    reasons = defaultdict(list)
    day = request.work_date

    def add(pk, rule, text):
        reasons[pk].append((rule, text))

    # Same employer (register link, declared current employer, or the employer's name).
    current = Interest.objects.filter(expert_id__in=ids, kind=InterestKind.EMPLOYER)
    declared_employer = defaultdict(set)
    for i in current:
        if i.enterprise_id in ent_ids:
            declared_employer[i.expert_id].add(i.enterprise_id)
        elif i.party_name in ent_names:
            declared_employer[i.expert_id].add(ent_names[i.party_name].pk)
    for e in pool:
        hit = set(declared_employer.get(e.pk, ()))
        if e.employer_enterprise_id in ent_ids:
            hit.add(e.employer_enterprise_id)
        if e.employer in ent_names:
            hit.add(ent_names[e.employer].pk)
        for ent_id in sorted(hit):
            add(e.pk, Recusal.SAME_EMPLOYER, _("与“%(e)s”为同一工作单位") % {"e": ent_label[ent_id]})

    # The employer is an agency that has (had) a contract with one of the enterprises.
    agency_ids = {e.employer_agency_id for e in pool if e.employer_agency_id}
    serving = defaultdict(set)
    for agency_id, ent_id in ContractEnterprise.objects.filter(
        contract__agency_id__in=agency_ids, enterprise_id__in=ent_ids
    ).values_list("contract__agency_id", "enterprise_id"):
        serving[agency_id].add(ent_id)
    for e in pool:
        for ent_id in sorted(serving.get(e.employer_agency_id, ())):
            add(
                e.pk,
                Recusal.AGENCY_SERVING,
                _("所在机构“%(a)s”与“%(e)s”签有服务合同") % {"a": e.employer_agency.name, "e": ent_label[ent_id]},
            )

    # Served or inspected within the window: present on a visit, or an expert job about it.
    months = conf.get("EXPERT_SERVED_MONTHS")
    since = _months_before(day, months)
    by_id_number = {e.id_number: e.pk for e in pool if e.id_number}
    staff = dict(AgencyStaff.objects.filter(id_number__in=list(by_id_number)).values_list("pk", "id_number"))
    served = defaultdict(set)
    for staff_id, ent_id in VisitStaff.objects.filter(
        agencystaff_id__in=list(staff),
        servicevisit__enterprise_id__in=ent_ids,
        servicevisit__visited_at__date__gte=since,
        servicevisit__visited_at__date__lte=day,
    ).values_list("agencystaff_id", "servicevisit__enterprise_id"):
        served[by_id_number[staff[staff_id]]].add((ent_id, _("服务")))
    jobs = Invitation.objects.filter(
        expert_id__in=ids,
        state=InvitationState.ACCEPTED,
        request__work_date__gte=since,
        request__work_date__lt=day,
        request__enterprises__in=ent_ids,
    ).exclude(request_id=request.pk)
    for expert_id, ent_id in jobs.values_list("expert_id", "request__enterprises"):
        if ent_id in ent_ids:
            served[expert_id].add((ent_id, _("检查")))
    for pk, hits in served.items():
        for ent_id, how in sorted(hits):
            add(
                pk,
                Recusal.SERVED_RECENTLY,
                _("%(m)s个月内曾为“%(e)s”%(how)s") % {"m": months, "e": ent_label[ent_id], "how": how},
            )

    # Declared interests: a past employer within the years of the setting, relatives, investments.
    past_since = day - timedelta(days=round(conf.get("EXPERT_PAST_EMPLOYER_YEARS") * 365.25))
    declared = Interest.objects.filter(
        expert_id__in=ids, kind__in=[InterestKind.PAST_EMPLOYER, InterestKind.RELATIVE, InterestKind.INVESTMENT]
    ).filter(Q(enterprise_id__in=ent_ids) | Q(party_name__in=list(ent_names)))
    for i in declared.order_by("expert_id", "kind", "id"):
        ent = ent_label.get(i.enterprise_id) or i.party_name
        if i.kind == InterestKind.PAST_EMPLOYER and i.end is not None and i.end < past_since:
            continue  # left long enough ago
        if i.kind != InterestKind.PAST_EMPLOYER and i.end is not None and i.end < day:
            continue  # ended before the work date
        add(i.expert_id, Recusal.DECLARED, _("申报%(kind)s：%(e)s") % {"kind": i.get_kind_display(), "e": ent})

    # Unavailable on the date.
    for a in Absence.objects.filter(expert_id__in=ids, start__lte=day, end__gte=day).order_by("expert_id", "start"):
        add(
            a.expert_id,
            Recusal.UNAVAILABLE,
            _("%(s)s至%(e)s不在岗") % {"s": a.start, "e": a.end} + (f"（{a.reason}）" if a.reason else ""),
        )

    # Manual exclusions by the requester.
    for m in request.manual_exclusions or []:
        if int(m["expert"]) in set(ids):
            add(int(m["expert"]), Recusal.MANUAL, _("人工排除：%(r)s") % {"r": m["reason"]})

    names = {e.pk: e.name for e in pool}
    candidates = [e for e in pool if e.pk not in reasons]
    return Eligibility(candidates=candidates, excluded=dict(reasons), names=names)
