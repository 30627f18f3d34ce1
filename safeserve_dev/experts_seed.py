"""Demo data for the expert pool: 300 experts across the 省/市/县 pools with profiles, periods away and
declared interests, and 20 requests drawn through core.draws (some answered, done and rated).

``seed_experts(rng, stdout)`` is called at the end of ``seed_demo``. Draws are real: frozen lists with
their hash, a server random value, the ranking, invitations in order — ``verify_draw`` passes.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.core.models import DrawValueSource
from safeserve.experts import actions
from safeserve.experts.choices import InterestKind, InvitationState, PoolStatus, Purpose
from safeserve.experts.models import Absence, ExpertProfile, ExpertRequest, Interest, Invitation, Rating, StatusChange
from safeserve.registry.models import Enterprise, Expert

TARGET = 300
DRAWS = 20
OPINIONS = [
    "现场核查，整改措施已落实，同意销号。",
    "治理方案可行，建议补充应急预案后实施。",
    "发现问题已当场告知企业，需限期整改。",
]


def _top_up(rng, stdout):
    have = Expert.objects.count()
    if have >= TARGET:
        return
    from safeserve_dev.registry_seed import Seeder

    Seeder(seed=rng.randrange(10**6), stdout=stdout).experts(TARGET - have)


def _profiles(rng):
    specialties = actions.seed_specialties()
    missing = Expert.objects.exclude(pk__in=ExpertProfile.objects.values("expert_id")).order_by("pk")
    for expert in missing:
        profile = actions.ensure_profile(expert)
        if not profile.specialty_list.exists():
            profile.specialty_list.set(rng.sample(specialties, rng.randint(1, 2)))
        if rng.random() < 0.4:
            profile.certificates = f"注册安全工程师证 ZA-{rng.randrange(10**6):06d}"
            profile.save(update_fields=["certificates"])
        if expert.is_active and rng.random() < 0.04:
            StatusChange.objects.create(
                profile=profile, from_status=profile.status, to_status=PoolStatus.SUSPENDED, reason="本人申请暂停"
            )
            ExpertProfile.objects.filter(pk=profile.pk).update(status=PoolStatus.SUSPENDED)


def _absences_and_interests(rng):
    today = timezone.localdate()
    experts = list(Expert.objects.order_by("pk"))
    ents = list(Enterprise.objects.order_by("?")[:200])
    for e in rng.sample(experts, min(40, len(experts))):
        start = today + timedelta(days=rng.randint(-5, 25))
        Absence.objects.create(
            expert=e,
            start=start,
            end=start + timedelta(days=rng.randint(1, 7)),
            reason=rng.choice(["出差", "培训", "休假"]),
        )
    for e in rng.sample(experts, min(60, len(experts))):
        if not ents:
            break
        ent = rng.choice(ents)
        kind = rng.choice([InterestKind.PAST_EMPLOYER, InterestKind.RELATIVE, InterestKind.INVESTMENT])
        Interest.objects.create(
            expert=e,
            kind=kind,
            enterprise=ent,
            party_name=ent.name,
            end=today - timedelta(days=rng.randint(100, 2000)) if kind == InterestKind.PAST_EMPLOYER else None,
        )


def _draws(rng):
    county = User.objects.filter(role=Role.COUNTY, is_active=True).order_by("pk").first()
    if county is None:
        return 0
    ents = list(Enterprise.objects.filter(industry__is_key=True).order_by("?")[: DRAWS * 2]) or list(
        Enterprise.objects.order_by("?")[: DRAWS * 2]
    )
    specialties = actions.seed_specialties()
    today = timezone.localdate()
    made = 0
    for i in range(min(DRAWS, len(ents))):
        purpose = rng.choice(Purpose.values)
        ent = ents[i]
        try:
            with transaction.atomic():
                req = _request(rng, county, ent, purpose, specialties, today)
        except ValidationError:  # too few eligible experts for this request: skipped
            continue
        made += 1
        _answer(rng, req, i, today, county)
    return made


def _request(rng, county, ent, purpose, specialties, today):
    req = actions.request_create(
        actor=county,
        purpose=purpose,
        title=f"{ent.name}{Purpose(purpose).label}",
        enterprises=[ent],
        specialties=rng.sample(specialties[:8], rng.randint(1, 2)),
        places=rng.randint(1, 3),
        reserves=2,
        work_date=today + timedelta(days=rng.randint(1, 20)),
    )
    actions.request_freeze(actor=county, request=req)
    req.refresh_from_db()
    actions.request_draw(actor=county, request=req, source=DrawValueSource.SERVER)
    return req


def _answer(rng, req, i, today, county):
    if i % 3 == 2:
        return  # still waiting for answers
    for inv in Invitation.objects.filter(request=req, state=InvitationState.INVITED):
        inv.state = InvitationState.ACCEPTED
        inv.answered_at = timezone.now()
        inv.save(update_fields=["state", "answered_at"])
    if i % 3 == 0:  # done and rated (dated back: a job of the past weeks)
        past = today - timedelta(days=rng.randint(5, 60))
        ExpertRequest.objects.filter(pk=req.pk).update(work_date=past)
        for inv in Invitation.objects.filter(request=req, state=InvitationState.ACCEPTED):
            inv.opinion = rng.choice(OPINIONS)
            inv.fee = 800
            inv.finished_at = timezone.now() - timedelta(days=(today - past).days)
            inv.save(update_fields=["opinion", "fee", "finished_at"])
            Rating.objects.create(invitation=inv, expert_id=inv.expert_id, score=rng.randint(55, 98), rated_by=county)


def seed_experts(rng, stdout):
    if ExpertRequest.objects.exists():
        stdout.write("  专家库已有数据：跳过")
        return
    with transaction.atomic():
        _top_up(rng, stdout)
        _profiles(rng)
        _absences_and_interests(rng)
        made = _draws(rng)
    stdout.write(f"  专家库 {ExpertProfile.objects.count()} 人，专家抽取 {made} 次")
