"""Demo data for town subsidies: most towns publish this year's policy (and closed last year's),
and about 300 applications of eligible enterprises for their own enterprise-paid contracts, in every
state. Bulk inserts; the budget and the cap per enterprise-year hold as the actions would keep them.

``seed_subsidies(rng, stdout)`` runs at the end of ``seed_demo`` once the services and the demo
accounts exist (an application names who submitted it: the enterprise's account when it has one,
else one of its town's officers; with no account at all it is skipped)."""

import io
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.core import uploads
from safeserve.registry.models import Town
from safeserve.services.choices import PayerType
from safeserve.services.models import SERVING_STATES, ContractEnterprise
from safeserve.subsidies import rules
from safeserve.subsidies.conf import setting
from safeserve.subsidies.models import SubsidyApplication, SubsidyPolicy

APPLICATIONS = 300
REASONS = ["发票与合同金额不符，请补充材料后重新申请", "服务内容不属于补贴范围", "重复申请"]


def _invoice_file(rng) -> tuple[str, str]:
    """One small invoice PDF stored once (content-addressed), shared by every seeded application."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=420)
    buf = io.BytesIO()
    writer.write(buf)
    doc = uploads.verify_pdf(ContentFile(buf.getvalue(), name="发票.pdf"))
    name = uploads.document_storage_name("subsidies", doc.sha256, "发票.pdf")
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(doc.content))
    return name, doc.sha256


def seed_subsidies(rng, stdout, applications: int = APPLICATIONS) -> dict:
    today = timezone.localdate()
    now = timezone.now()
    towns = list(Town.objects.order_by("sort_order", "code"))
    users = list(User.objects.filter(is_active=True, role__in=[Role.TOWN, Role.ENTERPRISE]).order_by("pk"))
    if not towns or not users:
        stdout.write("服务补贴：没有镇（街道）或账号，跳过")
        return {"policies": 0, "applications": 0}
    officers = defaultdict(list)
    ent_users = {}
    for u in users:
        if u.role == Role.TOWN:
            officers[u.town_id].append(u)
        elif u.enterprise_id:
            ent_users.setdefault(u.enterprise_id, u)
    fallback = User.objects.filter(is_active=True).order_by("pk").first()
    policies = []
    for i, town in enumerate(towns):
        if i % 5 == 4:
            continue  # one town in five publishes no subsidy policy
        for year, status in ((today.year - 1, "closed"), (today.year, "published")):
            policies.append(
                SubsidyPolicy(
                    town=town,
                    year=year,
                    name=f"{year}年{town.name}安全生产社会化服务补贴",
                    industry_codes=list(setting("INDUSTRY_CODES")),
                    size_classes=list(setting("SIZE_CLASSES")),
                    share=Decimal(rng.choice(["0.300", "0.400", "0.500"])),
                    cap=Decimal(rng.choice([3000, 4000, 5000])),
                    budget=Decimal(rng.choice([60000, 80000, 100000, 150000])),
                    status=status,
                    published_at=now - timedelta(days=300 if status == "closed" else 60),
                )
            )
    SubsidyPolicy.objects.bulk_create(policies)
    by_key = {(p.town_id, p.year): p for p in SubsidyPolicy.objects.filter(pk__in=[p.pk for p in policies])}

    # Candidate (contract, enterprise) pairs: own signed enterprise-paid contracts of eligible units.
    eligible = Q()
    for p in by_key.values():
        eligible |= rules.eligible_q(p, "enterprise__")
    links = list(
        ContractEnterprise.objects.filter(
            eligible,
            contract__payer_type=PayerType.ENTERPRISE,
            contract__status__in=SERVING_STATES,
            contract__start_date__year__in=[today.year - 1, today.year],
        )
        .select_related("contract", "enterprise")
        .order_by("pk")
    )
    rng.shuffle(links)
    invoice, sha = _invoice_file(rng)
    granted_policy = defaultdict(Decimal)
    granted_ent = defaultdict(Decimal)
    seq = defaultdict(int)
    rows = []
    for link in links:
        if len(rows) >= applications:
            break
        c, e = link.contract, link.enterprise
        policy = by_key.get((e.town_id, c.start_date.year))
        if policy is None:
            continue
        fee = c.fee  # the seeded enterprise-paid contracts have one enterprise each
        invoice_amount = fee if rng.random() < 0.85 else rules.cents(fee * Decimal("0.9"))
        proposed = rules.proposed_amount(
            policy=policy, fee=fee, invoice_amount=invoice_amount, granted=granted_ent[(e.pk, policy.year)]
        )
        if proposed <= 0:
            continue
        roll = rng.random()
        if policy.status == "closed":
            status = "paid" if roll < 0.75 else "rejected" if roll < 0.9 else "withdrawn"
        else:
            status = (
                "submitted"
                if roll < 0.35
                else "approved"
                if roll < 0.55
                else "paid"
                if roll < 0.8
                else "rejected"
                if roll < 0.93
                else "withdrawn"
            )
        approved = None
        if status in ("approved", "paid"):
            approved = proposed if rng.random() < 0.8 else rules.cents(proposed * Decimal("0.8"))
            if granted_policy[policy.pk] + approved > policy.budget:
                status, approved = "submitted", None  # the budget is spent: it waits
        submitted_at = now - timedelta(days=rng.randint(20, 200) if policy.status == "closed" else rng.randint(1, 50))
        decided = status in ("approved", "paid", "rejected")
        officer = rng.choice(officers[e.town_id]) if officers[e.town_id] else None
        seq[policy.pk] += 1
        rows.append(
            SubsidyApplication(
                policy=policy,
                enterprise=e,
                contract=c,
                number=f"BT{policy.year}-{policy.pk:03d}-{seq[policy.pk]:05d}",
                fee=fee,
                invoice_number=f"{rng.randint(10**7, 10**8 - 1)}",
                invoice_amount=invoice_amount,
                invoice=invoice,
                invoice_sha256=sha,
                invoice_name="发票.pdf",
                proposed_amount=proposed,
                status=status,
                submitted_by=ent_users.get(e.pk) or officer or fallback,
                submitted_at=submitted_at,
                approved_amount=approved,
                decided_by=officer if decided else None,
                decided_at=submitted_at + timedelta(days=rng.randint(2, 10)) if decided else None,
                reason=rng.choice(REASONS) if status == "rejected" else "",
                paid_on=min(today, (submitted_at + timedelta(days=rng.randint(12, 30))).date())
                if status == "paid"
                else None,
                paid_amount=approved if status == "paid" else None,
                voucher_number=f"PZ{policy.year}{seq[policy.pk]:05d}" if status == "paid" else "",
            )
        )
        if approved is not None:
            granted_policy[policy.pk] += approved
            granted_ent[(e.pk, policy.year)] += approved
    SubsidyApplication.objects.bulk_create(rows, batch_size=500)
    counts = {"policies": len(policies), "applications": len(rows)}
    stdout.write("服务补贴：政策 {policies} 项，申请 {applications} 份".format(**counts))
    return counts


def reset_subsidies(stdout) -> None:
    """Remove the subsidy demo records before the services and registry ones (they reference both)."""
    SubsidyApplication.objects.all().delete()
    SubsidyPolicy.objects.all().delete()
    stdout.write("已清除服务补贴演示数据")
