"""Reads shared by the pages, the exports, the hooks (credit facts, indicators) and the jobs.

Every read that shows records takes the acting user and goes through ``visible_to``."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from safeserve.accounts.choices import Role
from safeserve.core import hooks
from safeserve.core.display import display_value
from safeserve.core.hooks import CreditFact, IndicatorFigure, IndicatorSource
from safeserve.hazards.models import Hazard
from safeserve.registry.models import Agency, AgencyQualification, AgencyStaff
from safeserve.services.models import ContractEnterprise, ServiceContract, ServiceVisit, VisitRating

from .choices import MISCONDUCT_OUTCOMES, OUTCOME_FACTS, MisconductKind, RecheckOutcome
from .conf import setting
from .models import MisconductFinding, PracticeNotice, ReCheck, SampledItem

# ---------------------------------------------------------------- practice notices (执业告知)


def agencies_with_valid_notice(agency_ids, on) -> set:
    """core.hooks.CREDIT_PROVIDERS["notice"]: of ``agency_ids``, those holding a recorded notice
    whose period covers ``on``."""
    return set(
        PracticeNotice.objects.filter(PracticeNotice.valid_on_q(on), agency_id__in=agency_ids).values_list(
            "agency_id", flat=True
        )
    )


def with_notice_flag(visits):
    """Visits annotated with ``has_notice``: a recorded notice of their agency covers their local day."""
    return visits.annotate(local_day=TruncDate("visited_at")).annotate(has_notice=Exists(_covering()))


def _covering():
    """The notices valid on the outer row's ``local_day`` for its agency (one rule: valid_on_q)."""
    return PracticeNotice.objects.filter(
        PracticeNotice.valid_on_q(OuterRef("local_day")), agency_id=OuterRef("agency_id")
    )


def visit_has_notice(visit) -> bool:
    day = timezone.localtime(visit.visited_at).date()
    return visit.agency_id in agencies_with_valid_notice([visit.agency_id], day)


def notices_for(user):
    return PracticeNotice.objects.visible_to(user).select_related("agency")


# ---------------------------------------------------------------- staff sufficiency


@dataclass
class Sufficiency:
    counted: list  # full-time (named on a valid notice) and holding a confirmed, valid certificate
    declared: list  # named on a valid notice (full-time), certificate or not
    minimum: int

    @property
    def count(self) -> int:
        return len(self.counted)

    @property
    def sufficient(self) -> bool:
        return self.count >= self.minimum


def staff_sufficiency(agency_id, day) -> Sufficiency:
    """Full-time certified staff on ``day``: staff named on the agency's notices valid that day
    (the notice declares them full-time in the county) who are active and hold a registered-engineer
    certificate the county has confirmed valid that day (AgencyStaff.is_qualified_on)."""
    notices = PracticeNotice.objects.filter(PracticeNotice.valid_on_q(day), agency_id=agency_id)
    declared = list(
        AgencyStaff.objects.filter(agency_id=agency_id, practice_notices__in=notices).distinct().order_by("name", "id")
    )
    counted = [s for s in declared if s.is_qualified_on(day)]
    return Sufficiency(counted=counted, declared=declared, minimum=int(setting("MIN_CERTIFIED_STAFF")))


# ---------------------------------------------------------------- credit facts


def _label_of(kind):
    return {
        "agency.no_notice": _("未经执业告知开展服务"),
        "sampling.passed": _("抽查复核：记录属实"),
        "sampling.missed_hazards": _("抽查复核：漏查隐患"),
        "sampling.false_record": _("抽查复核：记录与实际不符（虚假记录）"),
        "sampling.copied_record": _("抽查复核：抄袭雷同记录"),
        "supervision.misconduct": _("弄虚作假，已提议列入严重失信名单"),
    }[kind]


def credit_facts(subject, subject_ids, as_of):
    """core.hooks.CREDIT_FACT_SOURCES: this app's facts about agencies up to ``as_of``."""
    if subject != "agency":
        return []
    facts = []
    rechecks = ReCheck.objects.filter(checked_on__lte=as_of).select_related("item")
    if subject_ids is not None:
        rechecks = rechecks.filter(item__agency_id__in=subject_ids)
    for r in rechecks.order_by("checked_on", "id"):
        kind = OUTCOME_FACTS[r.outcome]
        facts.append(
            CreditFact(
                subject="agency",
                subject_id=r.item.agency_id,
                date=r.checked_on,
                kind=kind,
                label=_label_of(kind),
                source=f"supervision.recheck:{r.pk}",
                url=reverse("supervision:item_detail", args=[r.item_id]),
                detail={"visit": r.item.visit_id, "round": r.item.round_id},
            )
        )
    findings = MisconductFinding.objects.filter(proposed_on__lte=as_of)
    if subject_ids is not None:
        findings = findings.filter(agency_id__in=subject_ids)
    for f in findings.order_by("proposed_on", "id"):
        facts.append(
            CreditFact(
                subject="agency",
                subject_id=f.agency_id,
                date=f.proposed_on,
                kind="supervision.misconduct",
                label=_label_of("supervision.misconduct"),
                source=f"supervision.misconductfinding:{f.pk}",
                url=f.get_absolute_url(),
                detail={"staff": sorted(f.staff.values_list("pk", flat=True)), "recheck": f.recheck_id},
            )
        )
    if setting("NO_NOTICE_COUNTS"):
        visits = with_notice_flag(ServiceVisit.objects.all()).filter(has_notice=False, local_day__lte=as_of)
        if subject_ids is not None:
            visits = visits.filter(agency_id__in=subject_ids)
        for v in visits.order_by("visited_at", "id").values("pk", "agency_id", "local_day"):
            facts.append(
                CreditFact(
                    subject="agency",
                    subject_id=v["agency_id"],
                    date=v["local_day"],
                    kind="agency.no_notice",
                    label=_label_of("agency.no_notice"),
                    source=f"services.servicevisit:{v['pk']}",
                    url=reverse("services:visit_detail", args=[v["pk"]]),
                )
            )
    return facts


# ---------------------------------------------------------------- indicator sources (agency grading)


def _pass_rate(subject, subject_ids, start, end):
    rechecks = ReCheck.objects.filter(checked_on__range=(start, end), item__agency_id__in=subject_ids)
    by_agency: dict[int, list] = {}
    for pk, agency_id, outcome in rechecks.values_list("pk", "item__agency_id", "outcome"):
        by_agency.setdefault(agency_id, []).append((pk, outcome))
    out = {}
    for agency_id in subject_ids:
        rows = by_agency.get(agency_id, [])
        passed = sum(1 for _pk, o in rows if o == RecheckOutcome.CONFIRMED)
        value = (Decimal(passed * 100) / len(rows)).quantize(Decimal("0.1"), ROUND_HALF_UP) if rows else None
        out[agency_id] = IndicatorFigure(
            value=value,
            numerator=passed,
            denominator=len(rows),
            records={"supervision.recheck": sorted(pk for pk, _o in rows)},
        )
    return out


def _staff(subject, subject_ids, start, end):
    out = {}
    for agency_id in subject_ids:
        s = staff_sufficiency(agency_id, end)
        out[agency_id] = IndicatorFigure(
            value=Decimal(s.count),
            numerator=s.count,
            denominator=s.minimum,
            records={"registry.agencystaff": [p.pk for p in s.counted]},
        )
    return out


def _misconduct(subject, subject_ids, start, end):
    """弄虚作假、租借资质 (veto): per agency, the re-checks of the period (``checked_on``) that found a
    false or copied record — whether or not a finding was proposed from them — plus the findings of a
    rented qualification made in the period (``proposed_on``). A count; the records behind it are
    those re-checks and findings."""
    rechecks = ReCheck.objects.filter(
        checked_on__range=(start, end), item__agency_id__in=subject_ids, outcome__in=MISCONDUCT_OUTCOMES
    ).values_list("pk", "item__agency_id")
    rented = MisconductFinding.objects.filter(
        proposed_on__range=(start, end), agency_id__in=subject_ids, kind=MisconductKind.RENTED_QUALIFICATION
    ).values_list("pk", "agency_id")
    found: dict = {sid: {"supervision.recheck": [], "supervision.misconductfinding": []} for sid in subject_ids}
    for pk, agency_id in rechecks.order_by("pk"):
        found[agency_id]["supervision.recheck"].append(pk)
    for pk, agency_id in rented.order_by("pk"):
        found[agency_id]["supervision.misconductfinding"].append(pk)
    out = {}
    for sid, records in found.items():
        n = sum(len(v) for v in records.values())
        out[sid] = IndicatorFigure(value=Decimal(n), numerator=n, records={k: v for k, v in records.items() if v})
    return out


INDICATORS = [
    IndicatorSource(
        key="supervision.sampling_pass_rate",
        label=_l("抽查复核合格率"),
        unit="%",
        subjects=("agency",),
        compute=_pass_rate,
    ),
    IndicatorSource(
        key="supervision.staff_sufficiency",
        label=_l("专职持证人员数（对照最低人数）"),
        unit="人",
        subjects=("agency",),
        compute=_staff,
    ),
    IndicatorSource(
        key="supervision.misconduct",
        label=_l("弄虚作假、租借资质（抽查查实的虚假或抄袭记录、租借资质）"),
        unit="次",
        subjects=("agency",),
        compute=_misconduct,
    ),
]


# ---------------------------------------------------------------- the agency file (一机构一档)


def file_agencies(user):
    """The agencies whose file ``user`` may open: the county all, the agency itself, a town those
    working in it (a visit, a contract or a notice there)."""
    if not user.has_perm("supervision.view_agencyfile"):
        return Agency.objects.none()
    if user.role == Role.COUNTY:
        return Agency.objects.all()
    if user.role == Role.AGENCY:
        return Agency.objects.filter(pk=user.agency_id)
    if user.role == Role.TOWN:
        town = user.town_id
        by_visit = ServiceVisit.objects.filter(enterprise__town_id=town).values("agency_id")
        by_contract = ContractEnterprise.objects.filter(enterprise__town_id=town).values("contract__agency_id")
        by_notice = PracticeNotice.objects.visible_to(user).values("agency_id")
        return Agency.objects.filter(Q(pk__in=by_visit) | Q(pk__in=by_contract) | Q(pk__in=by_notice))
    return Agency.objects.none()


@dataclass
class Section:
    key: str
    title: str
    headers: list
    rows: list = field(default_factory=list)  # lists of plain values (str, int, date)
    links: list = field(default_factory=list)  # one URL (or "") per row
    flags: list = field(default_factory=list)  # one warning text (or "") per row
    note: str = ""

    @property
    def table(self):
        return list(zip(self.rows, self.links, self.flags, strict=False))


def _d(value):
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value


def agency_file(user, agency) -> list[Section]:
    """The sections of an agency's file, each read through ``visible_to(user)`` (a town officer
    gets its own town's records only)."""
    today = timezone.localdate()
    sections = []
    fields = ("name", "credit_code", "address", "service_types", "is_local", "contact_person", "contact_phone")
    basic = Section("basic", _("基本信息"), [_("项目"), _("内容")])
    for name in fields:
        basic.rows.append([str(Agency._meta.get_field(name).verbose_name), display_value(agency, name, user)])
    suff = staff_sufficiency(agency.pk, today)
    basic.rows.append(
        [
            _("专职持证人员"),
            _("%(n)s人（最低%(min)s人）：%(state)s")
            % {"n": suff.count, "min": suff.minimum, "state": _("达标") if suff.sufficient else _("不足")},
        ]
    )
    # The credit app's answers through core.hooks (nothing shown when it is absent).
    grade = hooks.credit_grades("agency", [agency.pk]).get(agency.pk)
    listed = agency.pk in hooks.listed_ids("agency", [agency.pk], today)
    extra = []
    if grade:
        extra.append([_("诚信等级"), str(grade)])
    yearly = hooks.agency_yearly_grades([agency.pk]).get(agency.pk)
    if yearly is not None:
        extra.append(
            [
                _("年度考评"),
                _("%(y)s年度：%(g)s（%(t)s分，第%(r)s名/共%(n)s家）")
                % {"y": yearly.year, "g": yearly.label, "t": yearly.total, "r": yearly.rank, "n": yearly.count},
            ]
        )
    if "listed" in hooks.CREDIT_PROVIDERS:
        extra.append([_("严重失信主体名单"), _("已列入") if listed else _("未列入")])
    basic.rows += extra
    basic.flags = [""] * (len(basic.rows) - 1 - len(extra)) + ["" if suff.sufficient else _("人员不足")]
    basic.flags += [
        _("已列入严重失信名单")
        if row[0] == _("严重失信主体名单") and listed
        else _("一票否决")
        if row[0] == _("年度考评") and yearly is not None and yearly.vetoed
        else ""
        for row in extra
    ]
    basic.links = [""] * len(basic.rows)
    sections.append(basic)

    quals = Section(
        "qualifications", _("资质"), [_("资质名称"), _("证书编号"), _("发证机关"), _("有效期至"), _("状态")]
    )
    for q in AgencyQualification.objects.visible_to(user).filter(agency=agency).order_by("valid_until"):
        quals.rows.append([q.name, q.number, q.issuer, q.valid_until, str(q.get_status_display())])
        quals.links.append(q.get_absolute_url())
    sections.append(quals)

    counted = {s.pk for s in suff.counted}
    declared = {s.pk for s in suff.declared}
    staff = Section(
        "staff",
        _("人员及证书"),
        [
            _("姓名"),
            _("身份证号"),
            _("手机号"),
            _("职称/岗位"),
            _("注安证号"),
            _("注安证有效期至"),
            _("其他证书"),
            _("在职"),
            _("执业告知专职"),
            _("计入持证人数"),
        ],
    )
    for s in AgencyStaff.objects.visible_to(user).filter(agency=agency).order_by("name", "id"):
        staff.rows.append(
            [
                s.name,
                display_value(s, "id_number", user),
                display_value(s, "phone", user),
                s.title,
                s.engineer_certificate_no,
                s.engineer_certificate_valid_until or "",
                s.other_certificates,
                _("是") if s.is_active else _("否"),
                _("是") if s.pk in declared else _("否"),
                _("是") if s.pk in counted else _("否"),
            ]
        )
        staff.links.append(s.get_absolute_url())
    sections.append(staff)

    notices = Section("notices", _("执业告知"), [_("执业期起"), _("执业期止"), _("服务事项"), _("服务区域"), _("状态")])
    for n in notices_for(user).filter(agency=agency).prefetch_related("towns"):
        notices.rows.append(
            [
                n.start_date,
                n.end_date,
                n.get_services_display(),
                "、".join(t.name for t in n.towns.all()),
                str(n.get_status_display()),
            ]
        )
        notices.links.append(n.get_absolute_url())
    sections.append(notices)

    contracts = Section(
        "contracts", _("服务合同"), [_("合同编号"), _("服务期起"), _("服务期止"), _("服务费（元）"), _("状态")]
    )
    for c in ServiceContract.objects.visible_to(user).filter(agency=agency).order_by("-start_date", "-id"):
        contracts.rows.append([c.number, c.start_date, c.end_date, c.fee, str(c.get_status_display())])
        contracts.links.append(c.get_absolute_url())
    sections.append(contracts)

    visits = Section("visits", _("服务记录"), [_("服务时间"), _("企业"), _("合同"), _("执业告知")])
    rows = with_notice_flag(ServiceVisit.objects.visible_to(user).filter(agency=agency)).select_related(
        "enterprise", "contract"
    )
    for v in rows.order_by("-visited_at", "-id")[:500]:
        visits.rows.append(
            [_d(v.visited_at), v.enterprise.name, v.contract.number, _("有") if v.has_notice else _("无")]
        )
        visits.links.append(v.get_absolute_url())
        visits.flags.append("" if v.has_notice else _("未经执业告知"))
    sections.append(visits)

    reports = Section(
        "reports", _("上报隐患"), [_("发现时间"), _("企业"), _("隐患部位"), _("隐患等级"), _("状态"), _("执业告知")]
    )
    hazards = Hazard.objects.visible_to(user).filter(agency=agency).select_related("enterprise")
    hazards = hazards.annotate(local_day=TruncDate("reported_at")).annotate(has_notice=Exists(_covering()))
    for h in hazards.order_by("-reported_at", "-id")[:500]:
        reports.rows.append(
            [
                _d(h.reported_at),
                h.enterprise.name,
                h.location,
                str(h.get_level_display()),
                str(h.get_state_display()),
                _("有") if h.has_notice else _("无"),
            ]
        )
        reports.links.append(h.get_absolute_url())
        reports.flags.append("" if h.has_notice else _("未经执业告知"))
    sections.append(reports)

    sampling = Section(
        "sampling", _("抽查结果"), [_("抽查批次"), _("服务记录"), _("复核日期"), _("复核人"), _("复核结论")]
    )
    items = SampledItem.objects.visible_to(user).filter(agency=agency).select_related("round", "visit__enterprise")
    rechecks = {r.item_id: r for r in ReCheck.objects.visible_to(user).filter(item__in=items)}
    for i in items.order_by("-round__year", "-round__half", "rank"):
        r = rechecks.get(i.pk)
        sampling.rows.append(
            [
                str(i.round),
                str(i.visit),
                r.checked_on if r else "",
                r.checker_name if r else "",
                str(r.get_outcome_display()) if r else _("待复核"),
            ]
        )
        sampling.links.append(i.get_absolute_url())
        sampling.flags.append(_("不合格") if r and r.outcome != RecheckOutcome.CONFIRMED else "")
    sections.append(sampling)

    ratings = Section("ratings", _("企业评价"), [_("服务记录"), _("评分"), _("评价")])
    for r in VisitRating.objects.visible_to(user).filter(agency=agency).select_related("visit__enterprise")[:500]:
        ratings.rows.append([str(r.visit), r.score, r.comment])
        ratings.links.append(r.get_absolute_url())
    sections.append(ratings)

    misconduct = Section(
        "misconduct",
        _("失信线索"),
        [_("提议日期"), _("失信情形"), _("失信事实"), _("责任人员"), _("状态"), _("严重失信名单")],
    )
    for f in MisconductFinding.objects.visible_to(user).filter(agency=agency).prefetch_related("staff"):
        listings = hooks.listings_of_source(user, f.source_key)
        misconduct.rows.append(
            [
                f.proposed_on,
                str(f.get_kind_display()),
                f.finding,
                "、".join(s.name for s in f.staff.all()),
                str(f.get_status_display()),
                "；".join(f"{li.party_name}：{li.state_label}" for li in listings),
            ]
        )
        misconduct.links.append(f.get_absolute_url())
    sections.append(misconduct)

    # Sections other apps own (reports against the agency, penalties, grade history):
    # core.hooks.AGENCY_FILE_SECTIONS, each read through visible_to(user) by its provider.
    for provider in hooks.AGENCY_FILE_SECTIONS:
        for s in provider(user, agency) or []:
            sections.append(
                Section(
                    s["key"],
                    s["title"],
                    list(s["headers"]),
                    [list(r) for r in s.get("rows", [])],
                    list(s.get("links", [])),
                    list(s.get("flags", [])),
                    s.get("note", ""),
                )
            )
    for s in sections:
        s.links += [""] * (len(s.rows) - len(s.links))
        s.flags += [""] * (len(s.rows) - len(s.flags))
    return sections


def pending_hook_sections() -> list[str]:
    """What the file will show once other apps register: named on the page so the gap is visible."""
    return [_("举报"), _("行政处罚"), _("诚信等级历史")] if not hooks.AGENCY_FILE_SECTIONS else []


def home_summary(user) -> dict:
    """Cards for the role home page (core.home hook): notices waiting for the county's registration."""
    if not user.has_perm("supervision.view_practicenotice") or user.role not in (Role.COUNTY, Role.AGENCY):
        return {}
    waiting = PracticeNotice.objects.visible_to(user).filter(status="filed").count()
    return {
        "cards": [
            {
                "key": "notices-filed",
                "label": _("待登记执业告知"),
                "value": waiting,
                "url": reverse("supervision:practicenotice_list") + "?status=filed",
            }
        ]
    }
