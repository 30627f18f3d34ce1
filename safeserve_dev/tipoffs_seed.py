"""Demo data for public reports (举报): a report in every state, with rewards in each of theirs.

``seed_tipoffs(rng, stdout)`` is called at the end of ``seed_demo``. Reports are written directly
(a seeder, not a door), with the same fields the actions set; the demo county account is made a
举报受理 handler so that the demo shows the reporter panel. Every demo report opens on the public
page with its printed code and the password ``demo-pass-1``.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import transaction
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.core.workdays import due_date
from safeserve.registry.models import Agency, Enterprise, Town
from safeserve.tipoffs import actions
from safeserve.tipoffs.choices import Finding, RewardState, TipoffState
from safeserve.tipoffs.models import Tipoff, TipoffReward, TipoffSupplement

PASSWORD = "demo-pass-1"

# (state, days since filing, category, finding, reporter?, extra)
PLAN = [
    (TipoffState.RECEIVED, 1, "hazard", "", False, {}),
    (TipoffState.RECEIVED, 3, "fraud", "", True, {}),
    (TipoffState.ACCEPTED, 10, "illegal", "", True, {}),
    (TipoffState.ACCEPTED, 40, "hazard", "", False, {"verified": True}),
    (TipoffState.ACCEPTED, 75, "fraud", "", True, {"extended": True}),
    (TipoffState.ACCEPTED, 80, "illegal", "", False, {}),  # overdue
    (TipoffState.REJECTED, 20, "other", "", False, {"reason": "反映的是劳动报酬纠纷，不属于安全生产举报范围"}),
    (TipoffState.FORWARDED, 15, "other", "", True, {"reason": "属市场监管职责", "to": "县市场监督管理局"}),
    (TipoffState.CLOSED, 70, "illegal", Finding.UNFOUNDED, False, {}),
    (TipoffState.CLOSED, 65, "fraud", Finding.PARTLY, True, {"fine": "20000", "reward": RewardState.PROPOSED}),
    (TipoffState.CLOSED, 90, "hazard", Finding.SUBSTANTIATED, True, {"fine": "120000", "reward": RewardState.APPROVED}),
    (TipoffState.CLOSED, 120, "concealed", Finding.SUBSTANTIATED, True, {"deaths": 2, "reward": RewardState.PAID}),
]
TEXTS = {
    "hazard": "车间粉尘堆积严重，除尘器没有泄爆装置，夜班仍在生产。",
    "fraud": "该机构的隐患排查报告是照抄模板，检查人员实际没有到现场。",
    "illegal": "停产整顿期间夜里偷偷开工，门口有货车进出。",
    "concealed": "上月厂里有工人受伤后死亡，企业没有上报。",
    "other": "反映单位拖欠工资问题。",
}


def _handler():
    perm = Permission.objects.get(content_type__app_label="tipoffs", codename="handle_tipoff")
    user = User.objects.filter(username="demo_county").first() or User.objects.filter(role=Role.COUNTY).first()
    if user is not None:
        user.user_permissions.add(perm)
    return user


@transaction.atomic
def seed_tipoffs(rng, stdout) -> dict:
    if Tipoff.objects.exists():
        stdout.write("  举报：已有数据，跳过")
        return {"tipoffs": 0}
    enterprises = list(Enterprise.objects.order_by("pk")[:200])
    agencies = list(Agency.objects.order_by("pk")[:20])
    towns = list(Town.objects.order_by("sort_order", "code"))
    handler = _handler()
    if not enterprises or not towns or handler is None:
        stdout.write("  举报：没有企业、镇（街道）或县局账号，跳过")
        return {"tipoffs": 0}
    now = timezone.now()
    password = make_password(PASSWORD)
    made = []
    for i, (state, age, category, finding, named, extra) in enumerate(PLAN):
        filed = now - timedelta(days=age, hours=rng.randint(0, 8))
        t = Tipoff(code=actions.new_code(), password=password, category=category, description=TEXTS[category])
        if category == "fraud" and agencies:
            t.subject_kind, t.agency = "agency", rng.choice(agencies)
        elif i % 5 == 4:
            t.subject_kind, t.unit_name, t.unit_address = "unknown", "无名小作坊", "某村工业区东侧铁皮房"
            t.town = rng.choice(towns)
        else:
            t.subject_kind, t.enterprise = "enterprise", rng.choice(enterprises)
            t.town = t.enterprise.town
        if named:
            t.reporter_name = rng.choice(["张伟", "王芳", "李强", "刘洋", "陈静"])
            t.reporter_phone = f"139{rng.randint(10000000, 99999999)}"
        t.state = state
        if state in (TipoffState.REJECTED, TipoffState.FORWARDED):
            t.reject_reason, t.forwarded_to = extra["reason"], extra.get("to", "")
            t.closed_at = filed + timedelta(days=2)
        if state in (TipoffState.ACCEPTED, TipoffState.CLOSED):
            t.accepted_at = filed + timedelta(days=1)
            accepted_on = timezone.localdate(t.accepted_at)
            t.deadline = due_date(accepted_on, 60)
            t.assigned_town = (t.town or rng.choice(towns)) if i % 3 else None
            if extra.get("extended"):
                t.extension_reason, t.extended_at = "需委托检测机构检测，延期三十日", t.accepted_at + timedelta(days=50)
                t.deadline = due_date(accepted_on, 90)
            if extra.get("verified") or state == TipoffState.CLOSED:
                t.verification, t.verified_at = (
                    "已到现场核查，询问有关人员并调取记录。",
                    t.accepted_at + timedelta(days=20),
                )
        if state == TipoffState.CLOSED:
            t.finding, t.closed_at = finding, t.accepted_at + timedelta(days=30)
            t.result = {"unfounded": "经核查，反映情况不属实。"}.get(finding, "经核查属实，已责令整改并立案处罚。")
            if extra.get("fine"):
                t.fine_amount, t.penalty_number = Decimal(extra["fine"]), f"嘉应急罚〔{filed.year}〕{i + 1}号"
            if extra.get("deaths"):
                t.concealed_deaths, t.accident_level = extra["deaths"], "general"
        t.full_clean()
        t.save()
        Tipoff.objects.filter(pk=t.pk).update(filed_at=filed)
        if i % 4 == 1 and state in (TipoffState.RECEIVED, TipoffState.ACCEPTED):
            TipoffSupplement.objects.create(tipoff=t, text="补充：今天又看到有车辆进出。")
        if extra.get("reward"):
            amount, basis = actions.compute_reward(
                fine_amount=t.fine_amount, concealed_deaths=t.concealed_deaths, accident_level=t.accident_level
            )
            r = TipoffReward(tipoff=t, amount=amount, basis=basis, state=extra["reward"], proposed_by=handler)
            if extra["reward"] in (RewardState.APPROVED, RewardState.PAID):
                r.approved_by, r.approved_at = handler, now - timedelta(days=5)
            if extra["reward"] == RewardState.PAID:
                r.paid_by, r.paid_at, r.payment_note = handler, now - timedelta(days=2), "银行转账 2026-001"
            r.save()
        made.append(t)
    stdout.write(f"  举报 {len(made)} 件（各状态），查询密码均为 {PASSWORD}；示例查询码：{made[0].code_display}")
    stdout.write(f"  举报受理人员：{handler.username}")
    return {"tipoffs": len(made)}


def reset_tipoffs(stdout=None) -> None:
    """Delete seeded reports and what hangs on them (they protect the enterprises and agencies)."""
    from safeserve.tipoffs.models import IdentityAccess, TipoffAttachment, TrackingAttempt

    with transaction.atomic():
        for model in (TipoffReward, IdentityAccess, TipoffAttachment, TipoffSupplement, TrackingAttempt):
            model.objects.all().delete()
        Tipoff.objects.update(same_matter=None)
        Tipoff.objects.all().delete()
