"""Test helpers for the supervision app: notices, rounds, sampled items and re-checks in the persona world."""

from datetime import timedelta

from django.utils import timezone

from safeserve_dev.services_fixtures import png


class FreshUpload:
    """A photo the test client can post more than once (each read gives the whole file again)."""

    content_type = "image/png"

    def __init__(self, name="复核.png", colour=(20, 160, 60)):
        self.name = name
        self._bytes = png(name, colour).read()

    def read(self):
        return self._bytes


def make_notice(
    world, *, agency="agency_a", status="recorded", towns=("town_a",), start=None, end=None, note="", staff=()
):
    from safeserve.supervision.models import PracticeNotice

    today = timezone.localdate()
    n = PracticeNotice.objects.create(
        agency=world[agency],
        services=["consulting"],
        start_date=start or today - timedelta(days=30),
        end_date=end or today + timedelta(days=300),
        status=status,
        note=note,
    )
    n.towns.set([world[t] for t in towns])
    n.staff.set([world[s] for s in staff])
    return n


def make_recheck(world, item, outcome, *, by="county"):
    from safeserve.supervision.models import ReCheck, ReCheckPhoto

    r = ReCheck.objects.create(
        item=item,
        checked_on=timezone.localdate(),
        checker_kind="officer",
        checker_name="县局复核员",
        outcome=outcome,
        findings="现场核对",
        recorded_by=world.user(by),
    )
    upload = png(f"recheck-{item.pk}.png")
    photo = ReCheckPhoto(recheck=r, sha256=f"{item.pk:064d}", name=upload.name)
    photo.file.save(upload.name, upload, save=False)
    photo.save()
    return r


def extend_world(world):
    """Notices (agency A's waits for the county, agency B's is recorded), two frozen rounds with
    sampled visits of both agencies, and re-checks (with a photo) in the second round."""
    from safeserve.supervision.models import SampledItem, SamplingRound

    o = world.objs
    county = world.user("county")
    o["notice_a"] = make_notice(world, status="filed", note="甲机构执业告知", staff=("staff_a",))
    o["notice_b"] = make_notice(world, agency="agency_b", towns=("town_b",), note="乙机构执业告知")
    o["round_a"] = SamplingRound.objects.create(year=2001, half=1, share="0.150", created_by=county)
    o["round_b"] = SamplingRound.objects.create(year=2001, half=2, share="0.150", created_by=county)
    o["sitem_a"] = SampledItem.objects.create(
        round=o["round_a"], agency=world["agency_a"], visit=o["visit_a"], rank=1, expert=world["expert_a"]
    )
    o["sitem_b"] = SampledItem.objects.create(round=o["round_a"], agency=world["agency_b"], visit=o["visit_b"], rank=1)
    o["old_a"] = SampledItem.objects.create(round=o["round_b"], agency=world["agency_a"], visit=o["visit_a"], rank=1)
    o["old_b"] = SampledItem.objects.create(round=o["round_b"], agency=world["agency_b"], visit=o["visit_b"], rank=1)
    o["recheck_a"] = make_recheck(world, o["old_a"], "copied")
    o["recheck_b"] = make_recheck(world, o["old_b"], "not_matching")
    o["rphoto_a"] = o["recheck_a"].photos.get()
    o["rphoto_b"] = o["recheck_b"].photos.get()
    return world
