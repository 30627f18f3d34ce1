"""Demo data for agency supervision: practice notices (most agencies recorded, some only filed, some
none at all, so their visits show as flagged), and a sampling round of the last complete half year
run with the shared draw, with re-checks (photos) of some sampled visits and one misconduct finding.

``seed_supervision(rng, stdout)`` is called at the end of ``seed_demo``, once the demo accounts exist:
the round is run by the demo county officer through the app's own actions (and is skipped when
there is none, e.g. with ``--no-accounts``)."""

import io
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.registry.models import Agency, AgencyStaff, Town
from safeserve.supervision import actions
from safeserve.supervision.choices import NoticeStatus
from safeserve.supervision.conf import setting
from safeserve.supervision.models import PracticeNotice, SampledItem, SamplingRound

RECHECKS = 30
OUTCOMES = ["confirmed"] * 7 + ["missed_hazards", "not_matching", "copied"]
FINDINGS = {
    "confirmed": "现场核对，服务记录与企业实际情况一致。",
    "missed_hazards": "现场发现配电箱线路私拉乱接，服务记录未记载。",
    "not_matching": "记录所述检查部位企业已停用半年，记录与实际不符。",
    "copied": "记录内容与同机构另一企业的记录逐字相同。",
}


def _photo(rng, n):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255))).save(buf, "PNG")
    return SimpleUploadedFile(f"复核现场{n}.png", buf.getvalue(), content_type="image/png")


def seed_notices(rng) -> dict:
    """Four agencies in five hold a recorded notice over the seeded period; of the rest, half filed one
    the county has not recorded yet, half filed none."""
    today = timezone.localdate()
    towns = list(Town.objects.order_by("sort_order", "code"))
    counts = {"recorded": 0, "filed": 0, "none": 0}
    for i, agency in enumerate(Agency.objects.order_by("pk")):
        kind = "none" if i % 10 == 9 else "filed" if i % 10 == 4 else "recorded"
        counts[kind] += 1
        if kind == "none":
            continue
        notice = PracticeNotice.objects.create(
            agency=agency,
            services=list(agency.service_types) or ["consulting"],
            start_date=today - timedelta(days=760) if kind == "recorded" else today,
            end_date=today + timedelta(days=365),
            status=NoticeStatus.RECORDED if kind == "recorded" else NoticeStatus.FILED,
            recorded_at=timezone.now() if kind == "recorded" else None,
            note="首次执业告知" if kind == "recorded" else "待县局登记",
        )
        notice.towns.set(rng.sample(towns, min(len(towns), rng.randint(1, 3))) if towns else [])
        notice.staff.set(AgencyStaff.objects.filter(agency=agency, is_active=True).order_by("pk")[:8])
    return counts


def seed_sampling(rng, county) -> dict:
    today = timezone.localdate()
    year, half = (today.year - 1, 2) if today.month <= 6 else (today.year, 1)
    if SamplingRound.objects.filter(year=year, half=half).exists():
        return {"items": 0, "rechecks": 0}
    try:
        rnd = actions.round_create(actor=county, year=year, half=half, share=setting("SAMPLING_SHARE"))
    except Exception as exc:  # no visits in that half year: nothing to sample
        return {"items": 0, "rechecks": 0, "skipped": str(exc)}
    actions.round_draw(actor=county, round=rnd, source="lottery", value=f"{year}{half:02d}-{rng.randint(0, 99999):05d}")
    items = list(SampledItem.objects.filter(round=rnd).select_related("visit").order_by("agency_id", "rank"))
    rng.shuffle(items)
    done, misconduct = 0, 0
    for n, item in enumerate(items[:RECHECKS]):
        outcome = OUTCOMES[n % len(OUTCOMES)]
        recheck = actions.recheck_record(
            actor=county,
            item=item,
            # Yesterday: inside the demo agency grading, whose data are frozen as of yesterday.
            checked_on=today - timedelta(days=1),
            checker_kind="officer",
            checker_name=county.full_name or county.username,
            outcome=outcome,
            findings=FINDINGS[outcome],
            photos=[_photo(rng, n)],
        )
        done += 1
        if outcome == "copied" and not misconduct:
            actions.misconduct_propose(
                actor=county,
                recheck=recheck,
                staff=list(item.visit.staff.all()),
                finding="服务记录系复制同机构其他企业记录，属弄虚作假。",
            )
            misconduct += 1
    # A few of the rest wait for the demo expert's re-check.
    expert_user = User.objects.filter(role=Role.EXPERT, is_active=True, expert__is_active=True).order_by("pk").first()
    assigned = 0
    if expert_user is not None:
        for item in items[RECHECKS : RECHECKS + 3]:
            actions.item_assign_expert(actor=county, item=item, expert=expert_user.expert)
            assigned += 1
    return {"items": len(items), "rechecks": done, "misconduct": misconduct, "assigned": assigned}


def seed_supervision(rng, stdout) -> dict:
    counts = seed_notices(rng)
    stdout.write("执业告知：已登记 {recorded} 家，待登记 {filed} 家，未告知 {none} 家".format(**counts))
    county = User.objects.filter(role=Role.COUNTY, is_active=True).order_by("pk").first()
    if county is None:
        stdout.write("服务抽查：没有县局账号，跳过")
        return counts
    sampling = seed_sampling(rng, county)
    stdout.write("服务抽查：抽中 {items} 条，已复核 {rechecks} 条".format(**{"misconduct": 0, **sampling}))
    grading = seed_agency_grading(rng, county)
    if grading:
        stdout.write("机构年度考评：{title}（已定稿，{agencies} 家机构）".format(**grading))
    return {**counts, **sampling, **({"grading": grading["pk"]} if grading else {})}


def seed_agency_grading(rng, county) -> dict:
    """One finalised yearly agency grading (年度服务机构考评) of every agency in the register on the
    default scheme, its data frozen as of yesterday (the re-checks above count), one objection by an
    agency ruled on by the county, then finalised: the grades show in the agency files, the ranking
    and the public directory. Through the assessment actions, as a real round."""
    from safeserve.assessment import actions as assessment_actions
    from safeserve.assessment.choices import Subject
    from safeserve.assessment.models import Assessment, Scheme, Score

    today = timezone.localdate()
    cut_off = today - timedelta(days=1)
    if Assessment.objects.filter(subject=Subject.AGENCY, year=cut_off.year).exists():
        return {}
    scheme = Scheme.objects.filter(subject=Subject.AGENCY, year=cut_off.year).order_by("-version").first()
    scheme = scheme or assessment_actions.agency_scheme_default(actor=county, year=cut_off.year)
    grading = assessment_actions.assessment_open(
        actor=county, scheme=scheme, cut_off=cut_off, period_start=cut_off - timedelta(days=364)
    )
    agency_user = User.objects.filter(role=Role.AGENCY, is_active=True, agency__isnull=False).order_by("pk").first()
    if agency_user is not None:
        score = Score.objects.filter(
            sheet__assessment=grading, sheet__subject_id=agency_user.agency_id, indicator__order=1
        ).first()
        if score is not None:
            objection = assessment_actions.objection_raise(
                actor=agency_user, score=score, note="本机构一条抽查记录复核时企业负责人不在场，申请复查。"
            )
            assessment_actions.objection_rule(
                actor=county, objection=objection, upheld=False, reason="复核有照片和企业签字为证，维持原结论。"
            )
    # The demo's objection period is over (a real one lasts ASSESSMENT_OBJECTION_DAYS).
    Assessment.objects.filter(pk=grading.pk).update(objection_deadline=cut_off)
    grading = assessment_actions.assessment_finalise(actor=county, assessment=Assessment.objects.get(pk=grading.pk))
    return {"pk": grading.pk, "title": grading.title, "agencies": grading.sheets.count()}


def reset_supervision(stdout) -> None:
    """Remove the supervision demo records before the services and registry ones (they reference
    visits and agencies). The shared draws stay: a draw is never deleted (ADR 0028)."""
    from safeserve.supervision.models import MisconductFinding, ReCheck, ReCheckPhoto, SamplingDraw

    MisconductFinding.objects.all().delete()
    ReCheckPhoto.objects.all().delete()
    ReCheck.objects.all().delete()
    SampledItem.objects.all().delete()
    SamplingDraw.objects.all().delete()
    SamplingRound.objects.all().delete()
    PracticeNotice.objects.all().delete()
    stdout.write("已清除服务机构监管演示数据")
