"""The expert pool's part of the test world: profiles for expert_a/expert_b and one accepted job each.

job_a: town A asked for a 机械 expert for ent_a; expert_a was drawn and accepted.
job_b: the county asked for an 电气 expert for ent_b; expert_b was drawn and accepted.
"""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from safeserve.core.models import DrawValueSource
from safeserve.experts import actions
from safeserve.experts.choices import InvitationState, Purpose
from safeserve.experts.models import Invitation, Specialty


def specialty(name):
    actions.seed_specialties()
    return Specialty.objects.get(name=name)


def profile(expert, *names):
    p = actions.ensure_profile(expert)
    p.specialty_list.set([specialty(n) for n in names])
    return p


def make_request(
    actor, enterprises, names, *, places=1, reserves=0, days=7, purpose=Purpose.MAJOR_ACCEPTANCE, title="验收"
):
    return actions.request_create(
        actor=actor,
        purpose=purpose,
        title=title,
        enterprises=enterprises,
        specialties=[specialty(n) for n in names],
        places=places,
        reserves=reserves,
        work_date=timezone.localdate() + timedelta(days=days),
    )


def draw(actor, req, value="20261130"):
    actions.request_freeze(actor=actor, request=req)
    req.refresh_from_db()
    actions.request_draw(actor=actor, request=req, source=DrawValueSource.LOTTERY, value=value)
    req.refresh_from_db()
    return req


def extend_world(world):
    o = world.objs
    o["profile_a"] = profile(o["expert_a"], "机械")
    o["profile_b"] = profile(o["expert_b"], "电气")
    county, town_a = world.user("county"), world.user("town_a")
    o["request_a"] = draw(town_a, make_request(town_a, [o["ent_a"]], ["机械"], title="甲企业重大隐患验收"))
    o["request_b"] = draw(county, make_request(county, [o["ent_b"]], ["电气"], title="乙企业执法技术支持"))
    o["job_a"] = Invitation.objects.get(request=o["request_a"])
    o["job_b"] = Invitation.objects.get(request=o["request_b"])
    for key in ("job_a", "job_b"):
        job = o[key]
        job.state = InvitationState.ACCEPTED
        job.answered_at = timezone.now()
        job.opinion = "意见"
        job.opinion_file.save(f"{key}.pdf", ContentFile(b"%PDF-1.4\n%test\n"), save=False)
        job.save()
    return world
