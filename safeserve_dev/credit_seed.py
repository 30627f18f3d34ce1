"""Demo data for credit: accidents, penalties, safety commitments, grades and three listings in
different states (published, in its objection period, removed early after credit repair).

``seed_credit(rng, stdout)`` is called at the end of ``seed_demo``. Listings are written directly
with their historical dates (the seed plays back what the steps would have recorded); their decision
PDFs are rendered exactly as ``actions.listing_transition("decide")`` renders them."""

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from safeserve.credit import actions, conf, documents
from safeserve.credit.choices import AccidentLevel, CommitmentStatus, ListingState, PenaltyMeasure
from safeserve.credit.models import Accident, Commitment, Listing, Penalty
from safeserve.registry.models import Agency, Enterprise

ACCIDENTS = [
    ("机械伤害事故", AccidentLevel.GENERAL, 1, 0),
    ("高处坠落事故", AccidentLevel.GENERAL, 0, 1),
    ("物体打击事故", AccidentLevel.GENERAL, 1, 1),
    ("火灾事故", AccidentLevel.SERIOUS, 3, 2),
    ("粉尘爆炸事故", AccidentLevel.MAJOR, 11, 6),
    ("触电事故", AccidentLevel.GENERAL, 1, 0),
]
VIOLATIONS = [
    ("未按规定开展隐患排查治理", "《中华人民共和国安全生产法》第一百零二条", 20000),
    ("未对从业人员进行安全生产教育和培训", "《中华人民共和国安全生产法》第九十七条", 30000),
    ("特种作业人员未持证上岗", "《中华人民共和国安全生产法》第九十七条", 15000),
    ("未在有较大危险因素的场所设置安全警示标志", "《中华人民共和国安全生产法》第九十九条", 10000),
    ("出具的安全评价报告与实际情况严重不符", "《中华人民共和国安全生产法》第九十二条", 100000),
]


@transaction.atomic
def seed_credit(rng, stdout) -> dict:
    today = timezone.localdate()
    enterprises = list(Enterprise.objects.order_by("pk")[:400])
    agencies = list(Agency.objects.order_by("pk")[:10])
    if len(enterprises) < 10:
        return {"accidents": 0, "penalties": 0, "commitments": 0, "grades": 0, "listings": 0}
    picked = rng.sample(enterprises, min(40, len(enterprises)))
    accidents = []
    for i, (title, level, deaths, injuries) in enumerate(ACCIDENTS * 2):
        ent = picked[i % len(picked)]
        accidents.append(
            Accident.objects.create(
                title=f"{ent.name[:8]}{title}",
                enterprise=ent,
                occurred_on=today - timedelta(days=rng.randint(20, 330)),
                level=level,
                deaths=deaths,
                serious_injuries=injuries,
                direct_loss=Decimal(rng.randint(5, 800) * 10000),
                concealed=i == 7,
                conclusion="经调查认定为生产安全责任事故，企业未落实安全生产主体责任。",
            )
        )
    penalties = []
    for i in range(16):
        violation, basis, fine = VIOLATIONS[i % 4]
        ent = picked[(10 + i % 12) % len(picked)]
        penalties.append(
            Penalty.objects.create(
                decision_number=f"嘉应急罚〔{today.year}〕{i + 1}号",
                decided_on=today - timedelta(days=rng.randint(10, 300)),
                party_kind="enterprise",
                enterprise=ent,
                violation=violation,
                legal_basis=basis,
                fine=Decimal(fine),
                measures=[PenaltyMeasure.SUSPEND] if i % 7 == 3 else [],
                status="executed" if i % 3 else "decided",
            )
        )
    for i, agency in enumerate(agencies[:2]):
        violation, basis, fine = VIOLATIONS[4]
        Penalty.objects.create(
            decision_number=f"嘉应急罚〔{today.year}〕{50 + i}号",
            decided_on=today - timedelta(days=60 + i),
            party_kind="agency",
            agency=agency,
            violation=violation,
            legal_basis=basis,
            fine=Decimal(fine),
        )
    commitments = 0
    for i, ent in enumerate(rng.sample(enterprises, min(60, len(enterprises)))):
        broken = i % 10 == 0
        Commitment.objects.create(
            enterprise=ent,
            year=today.year,
            content="落实全员安全生产责任制，按期整改隐患，如实报告生产安全事故",
            signed_on=today.replace(month=1, day=15) if today.month > 1 else today,
            status=CommitmentStatus.BROKEN
            if broken
            else (CommitmentStatus.KEPT if i % 3 else CommitmentStatus.PENDING),
            checked_on=today - timedelta(days=5) if i % 3 or broken else None,
            check_note="抽查发现未按承诺开展月度隐患自查" if broken else ("核查属实" if i % 3 else ""),
        )
        commitments += 1
    listings = _listings(today, accidents, penalties, agencies)
    graded = actions.recompute_grades("enterprise", [e.pk for e in enterprises], today)
    graded += actions.recompute_grades("agency", [a.pk for a in agencies], today)
    counts = {
        "accidents": len(accidents),
        "penalties": len(penalties) + 2,
        "commitments": commitments,
        "grades": graded,
        "listings": listings,
    }
    stdout.write(
        "  事故 {accidents} 起，行政处罚 {penalties} 件，安全承诺 {commitments} 份，信用等级 {grades} 个，严重失信名单 {listings} 条".format(
            **counts
        )
    )
    return counts


def _decide(listing, decided_on, seq):
    issuer = conf.get("CREDIT_ISSUER")
    listing.decided_on = decided_on
    listing.expires_on = actions.add_years(decided_on, conf.get("CREDIT_LISTING_YEARS"))
    listing.decision_year, listing.decision_seq = decided_on.year, seq
    listing.decision_number = documents.decision_number(issuer=issuer, year=decided_on.year, seq=seq)
    pdf = documents.render_decision_pdf(
        listing=listing,
        number=listing.decision_number,
        issuer=issuer,
        decided_on=decided_on,
        expires_on=listing.expires_on,
    )
    listing.decision_sha256 = hashlib.sha256(pdf).hexdigest()
    listing.decision_pdf.save("decision.pdf", ContentFile(pdf), save=False)


def _listings(today, accidents, penalties, agencies) -> int:
    major = next(a for a in accidents if a.level == AccidentLevel.MAJOR)
    # 1. Published: a 重大 accident, decided two months ago.
    pub = Listing(
        subject="enterprise",
        enterprise=major.enterprise,
        situation="major_accident",
        accident=major,
        facts=f"{major.occurred_on:%Y年%m月%d日}发生{major.title}，造成{major.deaths}人死亡",
        state=ListingState.PUBLISHED,
        proposed_on=today - timedelta(days=80),
        noticed_on=today - timedelta(days=75),
        objection_deadline=today - timedelta(days=65),
    )
    _decide(pub, today - timedelta(days=60), 1)
    pub.published_on = today - timedelta(days=59)
    # 2. In its objection period: a penalty for operating during suspension.
    suspended = next(p for p in penalties if PenaltyMeasure.SUSPEND in p.measures)
    noticed = Listing(
        subject="enterprise",
        enterprise=suspended.enterprise,
        situation="suspended_operating",
        penalty=suspended,
        facts="被责令停产停业整顿期间擅自恢复生产",
        state=ListingState.NOTICED,
        proposed_on=today - timedelta(days=4),
        noticed_on=today - timedelta(days=3),
        objection_deadline=today - timedelta(days=3) + timedelta(days=conf.get("CREDIT_OBJECTION_DAYS")),
    )
    # 3. Removed early: an agency's false report, decided 14 months ago, repaired last month.
    agency_penalty = Penalty.objects.filter(party_kind="agency").order_by("pk").first()
    removed = Listing(
        subject="agency",
        agency=agency_penalty.agency,
        situation="false_report",
        penalty=agency_penalty,
        facts="出具的安全评价报告与企业实际情况严重不符",
        state=ListingState.REMOVED,
        proposed_on=today - timedelta(days=450),
        noticed_on=today - timedelta(days=445),
        objection_deadline=today - timedelta(days=435),
        repair_requested_on=today - timedelta(days=40),
        repair_evidence="已完成全部报告复核并更换项目负责人，近一年抽查合格",
        repair_result="整改到位，同意提前移出",
        removed_on=today - timedelta(days=30),
    )
    _decide(removed, today - timedelta(days=425), 2 if (today - timedelta(days=425)).year == pub.decided_on.year else 1)
    removed.published_on = today - timedelta(days=424)
    for listing in (pub, noticed, removed):
        listing.full_clean()
        listing.save()
    return 3
