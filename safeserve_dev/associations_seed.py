"""Demo data for the associations app: a membership period for every existing member, and five 互查
campaigns (two ended, two running, one planned) with groups of four to six members. Inspections are
recorded by members' own accounts on their phones, so none is invented here."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from safeserve.associations.models import Campaign, CampaignGroup, Membership
from safeserve.registry.models import Association
from safeserve.services.models import ChecklistItem, ChecklistTemplate

CAMPAIGNS = (
    ("上半年互查", -200, -140),
    ("汛期前互查", -120, -90),
    ("“安全生产月”互查", -10, 20),
    ("秋季互查", -5, 40),
    ("岁末年初互查", 30, 60),
)
ITEMS = (
    ("安全管理", "安全生产责任制和操作规程张贴上墙"),
    ("设备设施", "机械设备传动部位防护罩完好"),
    ("消防安全", "灭火器在有效期内，疏散通道畅通"),
    ("用电安全", "配电箱无私拉乱接，漏电保护有效"),
    ("作业环境", "危险化学品分类存放，标识清楚"),
)


@transaction.atomic
def seed_associations(rng, stdout) -> dict:
    today = timezone.localdate()
    associations = list(Association.objects.order_by("pk"))
    rows = []
    have = set(Membership.objects.filter(left_on__isnull=True).values_list("association_id", "enterprise_id"))
    for assoc in associations:
        for eid in assoc.members.values_list("pk", flat=True):
            if (assoc.pk, eid) not in have:
                rows.append(
                    Membership(
                        association=assoc, enterprise_id=eid, joined_on=today - timedelta(days=rng.randint(30, 2000))
                    )
                )
    Membership.objects.bulk_create(rows, batch_size=2000)
    template, _created = ChecklistTemplate.objects.get_or_create(name="协会互查通用检查表")
    if not template.items.exists():
        ChecklistItem.objects.bulk_create(
            [ChecklistItem(template=template, order=n, category=c, text=t) for n, (c, t) in enumerate(ITEMS, start=1)]
        )
    campaigns = groups = 0
    if associations and not Campaign.objects.exists():
        for n, (name, start, end) in enumerate(CAMPAIGNS):
            assoc = associations[n % len(associations)]
            members = list(assoc.members.order_by("pk").values_list("pk", flat=True)[:200])
            if len(members) < 4:
                continue
            campaign = Campaign.objects.create(
                association=assoc,
                name=f"{assoc.name}{name}",
                start_date=today + timedelta(days=start),
                end_date=today + timedelta(days=end),
                template=template,
                officer_name=rng.choice(("", "县应急管理局 王科长", "镇安监所 李所长")),
            )
            campaigns += 1
            chosen = rng.sample(members, min(len(members), rng.randint(8, 18)))
            size = rng.randint(4, 6)
            for g, first in enumerate(range(0, len(chosen) - 1, size), start=1):
                part = chosen[first : first + size]
                if len(part) < 2:
                    continue
                group = CampaignGroup.objects.create(campaign=campaign, name=f"第 {g} 组")
                group.enterprises.set(part)
                groups += 1
    stdout.write(f"  会员期 {len(rows)} 条，互查活动 {campaigns} 个（{groups} 个小组）\n")
    return {"memberships": len(rows), "campaigns": campaigns, "groups": groups}


def reset_associations(stdout) -> None:
    from safeserve.associations.models import InspectionHazard, MutualInspection

    InspectionHazard.objects.all().delete()
    MutualInspection.objects.all().delete()
    CampaignGroup.objects.all().delete()
    Campaign.objects.all().delete()
    Membership.objects.all().delete()
    stdout.write("  已清除会员期和互查活动\n")
