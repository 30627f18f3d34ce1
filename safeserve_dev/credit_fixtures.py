"""Credit objects for the persona world (permission suite, browser test): each kind on side a
(enterprise A, town A) and side b (enterprise B, town B)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone


def extend_world(world):
    from safeserve.core.uploads import verify_pdf
    from safeserve.credit import actions, rules
    from safeserve.credit.models import Accident, Commitment, CreditGrade, Penalty, RuleTable
    from safeserve_dev.services_fixtures import pdf

    o = world.objs
    county = world.user("county")
    today = timezone.localdate()
    for side, n in (("a", 1), ("b", 2)):
        ent = o[f"ent_{side}"]
        o[f"accident_{side}"] = acc = Accident.objects.create(
            title=f"{ent.name[:6]}机械伤害事故",
            enterprise=ent,
            occurred_on=today - timedelta(days=20 * n),
            level="general",
            serious_injuries=n,
            direct_loss=Decimal("50000"),
        )
        actions.accident_attach(actor=county, accident=acc, document=verify_pdf(pdf("事故调查报告.pdf")))
        o[f"penalty_{side}"] = Penalty.objects.create(
            decision_number=f"嘉应急罚〔{today.year}〕10{n}号",
            decided_on=today - timedelta(days=10 * n),
            party_kind="enterprise",
            enterprise=ent,
            violation="未按规定开展隐患排查治理",
            legal_basis="《中华人民共和国安全生产法》第一百零二条",
            fine=Decimal("20000.00"),
        )
        o[f"commitment_{side}"] = Commitment.objects.create(
            enterprise=ent,
            year=today.year,
            content=f"承诺{side}：落实全员安全生产责任制",
            signed_on=today - timedelta(days=60),
        )
        o[f"rules_{side}"] = RuleTable.objects.create(
            subject="enterprise",
            year=today.year - n,
            name=f"{today.year - n}年度规则",
            rules=rules.default_table("enterprise"),
        )
    actions.recompute_grades("enterprise", [o["ent_a"].pk, o["ent_b"].pk], today)
    for side in "ab":
        o[f"grade_{side}"] = CreditGrade.objects.get(enterprise=o[f"ent_{side}"], is_current=True)
        base = {
            "subject": "enterprise",
            "enterprise": o[f"ent_{side}"],
            "situation": "concealed" if side == "a" else "no_permit",
            "penalty": o[f"penalty_{side}"],
        }
        o[f"listing_{side}"] = actions.listing_propose(actor=county, data={**base, "facts": f"拟列入{side}：瞒报事故"})
        pub = actions.listing_propose(actor=county, data={**base, "facts": f"已公示{side}：无证经营"})
        for step in ("notify", "decide", "publish"):
            on = pub.objection_deadline + timedelta(days=1) if step == "decide" else None
            pub = actions.listing_transition(actor=county, listing=pub, action=step, on=on)
        pub = actions.listing_transition(
            actor=county,
            listing=pub,
            action="request_repair",
            reason="已整改",
            attachment=verify_pdf(pdf("整改报告.pdf")),
            on=today + timedelta(days=400),
        )
        o[f"pub_{side}"] = pub
    return world
