"""Who may receive a town subsidy and how much: the rules, each with the sentence that refuses.

A rule is (code, test, message). ``refusals`` answers every rule an enterprise fails under a policy,
in order; ``eligible_q`` is the same rules as a query (the county view counts eligible enterprises).
The first two are the policy's own words and hold whatever a town's policy says:
"危险化学品的生产、经营、储存单位以及存在重大危险源的单位等，原则上由企业自行承担相关服务费用".
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from safeserve.registry.choices import EnterpriseStatus, SizeClass

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def industry_matches(policy, enterprise) -> bool:
    industry = enterprise.industry
    parent = industry.parent.code if industry.parent_id else None
    codes = set(policy.industry_codes or [])
    return industry.code in codes or (parent is not None and parent in codes)


def refusals(policy, enterprise) -> list[Refusal]:
    """Every rule of ``policy`` that ``enterprise`` fails (empty: eligible)."""
    out = []
    if enterprise.is_hazchem:
        out.append(Refusal("hazchem", _("危险化学品生产、经营、储存单位原则上由企业自行承担服务费用，不予补贴")))
    if enterprise.has_major_hazard_source:
        out.append(Refusal("major_hazard", _("存在重大危险源的单位原则上由企业自行承担服务费用，不予补贴")))
    if enterprise.town_id != policy.town_id:
        out.append(Refusal("town", _("企业不在本镇（街道）辖区，不适用本镇补贴政策")))
    if enterprise.status != EnterpriseStatus.ACTIVE:
        out.append(
            Refusal("status", _("企业经营状态为“%(s)s”，仅在业企业可以申请") % {"s": enterprise.get_status_display()})
        )
    if not industry_matches(policy, enterprise):
        out.append(
            Refusal(
                "industry",
                _("企业所属行业（%(i)s）不在本政策适用行业（%(codes)s）内")
                % {"i": enterprise.industry, "codes": policy.get_industry_codes_display()},
            )
        )
    if enterprise.size_class not in (policy.size_classes or []):
        out.append(
            Refusal(
                "size",
                _("企业规模为“%(s)s”，本政策只补贴%(sizes)s企业")
                % {"s": SizeClass(enterprise.size_class).label, "sizes": policy.get_size_classes_display()},
            )
        )
    return out


def eligible_q(policy, prefix: str = "") -> Q:
    """The enterprises ``policy`` may subsidise, as a filter on Enterprise (``prefix`` for a relation)."""
    p = prefix
    codes = list(policy.industry_codes or [])
    return (
        Q(**{f"{p}town_id": policy.town_id})
        & Q(**{f"{p}is_hazchem": False, f"{p}has_major_hazard_source": False, f"{p}status": EnterpriseStatus.ACTIVE})
        & (Q(**{f"{p}industry__code__in": codes}) | Q(**{f"{p}industry__parent__code__in": codes}))
        & Q(**{f"{p}size_class__in": list(policy.size_classes or [])})
    )


def is_eligible_row(policy, row: dict) -> bool:
    """``refusals`` on an aggregated row (town, industry code, section code, size): the county view's
    count of eligible enterprises per policy without a query per policy."""
    codes = set(policy.industry_codes or [])
    return (
        row["town_id"] == policy.town_id
        and (row["industry__code"] in codes or row["industry__parent__code"] in codes)
        and row["size_class"] in (policy.size_classes or [])
    )


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def proposed_amount(*, policy, fee: Decimal, invoice_amount: Decimal, granted: Decimal) -> Decimal:
    """min(share × the fee paid, the cap less what this enterprise was granted this year), never below 0.

    The fee paid is the smaller of the contract's fee (the enterprise's part of it) and the invoice."""
    base = min(fee, invoice_amount)
    return max(Decimal("0"), min(cents(policy.share * base), cents(policy.cap - granted)))
