"""Demo data for the service marketplace: price lists for every agency, needs posted by enterprises
with quotes from agencies (some open, some awarded with a draft contract), and three published case
stories (典型做法).

``seed_market(rng, stdout)`` is called once at the end of ``seed_demo``. Rows are written directly
with their historical dates (the seed plays back what the actions would have recorded)."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from safeserve.market.actions import items_for
from safeserve.market.models import CaseStatus, CaseStory, Need, NeedStatus, PriceItem, Quote, QuoteStatus
from safeserve.registry.models import Agency, AgencyStaff, Enterprise, Town
from safeserve.services.models import ServiceContract

PRICES = {
    "consulting": [("隐患排查治理（每年4次）", "家·年", 6000, 12000, "现场排查、隐患清单、整改复查"),
                   ("安全生产标准化创建辅导", "家", 15000, 30000, "制度文件、现场整改指导、自评报告")],
    "training": [("主要负责人和安全管理人员培训", "人·次", 300, None, "课程、考试、培训档案")],
    "evaluation": [("安全现状评价", "项", 20000, 60000, "现场勘查、评价报告")],
    "testing": [("防雷、电气设施检测", "次", 2000, 8000, "检测、检测报告")],
    "occupational": [("职业病危害因素检测", "次", 5000, 15000, "采样检测、检测报告")],
    "other": [("安全生产技术咨询", "人·天", 1500, None, "专家现场咨询")],
}  # fmt: skip

SCOPES = [
    "隐患排查每年4次，出具隐患清单并复查整改",
    "协助开展安全生产标准化创建，迎接评审",
    "每年组织1次应急演练，修订应急预案",
    "职业病危害因素检测每年1次",
    "全员安全教育培训每年2次",
]

CASES = [
    ("罗星街道：小微企业“打包”购买服务，一年排查隐患三千余处",
     "街道统一购买服务，机构按月上门，隐患整改率超过九成。",
     "罗星街道把辖区内两百余家村级小微企业分成八个片区，由街道统一购买安全生产社会化服务。\n\n"
     "服务机构每月上门一次，对照检查表逐项排查，发现的隐患当场告知企业并在平台上登记，整改后由机构复查销号。\n\n"
     "一年来共排查隐患三千余处，整改率超过九成，企业负责人普遍反映“有人帮着看、帮着改，心里踏实”。"),
    ("西塘镇：企业在服务超市自主选机构，比价比服务",
     "企业发布需求，多家机构报价，企业比较后自主选定。",
     "西塘镇引导规上企业通过服务超市发布服务需求，写明服务内容和期望的上门次数。\n\n"
     "符合资质的机构在线报价、提交服务方案，企业把几家报价放在一起比较价格、人员和评分，并在线提问。\n\n"
     "选定后平台自动生成合同草稿，双方确认即生效，整个过程公开透明，企业真正做到了“自主选择”。"),
    ("县应急管理局：专家抽查服务质量，劣质服务有进有出",
     "随机抽取专家复核机构服务，结果纳入机构信用评价。",
     "县应急管理局每季度随机抽取专家，对服务机构已完成的服务进行现场复核。\n\n"
     "复核发现走过场、出具虚假报告的，依法依规处理并纳入信用评价；表现优秀的机构在名录中优先展示。\n\n"
     "通过有进有出的管理，全县服务机构的服务质量明显提升。"),
]  # fmt: skip


@transaction.atomic
def seed_market(rng, stdout) -> dict:
    today = timezone.localdate()
    now = timezone.now()
    agencies = list(Agency.objects.order_by("pk"))
    prices = 0
    for agency in agencies:
        for service_type in agency.service_types or ["consulting"]:
            for item, unit, low, high, included in PRICES.get(service_type, []):
                factor = Decimal(rng.choice([90, 100, 110, 120])) / 100
                PriceItem.objects.create(
                    agency=agency, service_type=service_type, item=item, unit=unit,
                    price_min=(Decimal(low) * factor).quantize(Decimal("1")),
                    price_max=(Decimal(high) * factor).quantize(Decimal("1")) if high else None,
                    included=included,
                )  # fmt: skip
                prices += 1
    consulting = [a for a in agencies if "consulting" in (a.service_types or [])]
    enterprises = list(
        Enterprise.objects.filter(status="active").select_related("town", "industry").order_by("pk")[:300]
    )
    needs = quotes = contracts = 0
    if consulting and enterprises:
        for i, ent in enumerate(rng.sample(enterprises, min(30, len(enterprises)))):
            posted = now - timedelta(days=rng.randint(1, 120), hours=rng.randint(0, 23))
            start = today + timedelta(days=rng.randint(5, 60))
            need = Need.objects.create(
                enterprise=ent, town=ent.town, industry=ent.industry, size_class=ent.size_class,
                service_types=["consulting"], scope=rng.choice(SCOPES), visits_per_year=rng.choice([2, 4, 6, 12]),
                start_date=start, end_date=start + timedelta(days=364),
                budget_min=Decimal(rng.choice([5000, 8000])) if i % 3 else None,
                budget_max=Decimal(rng.choice([15000, 20000])) if i % 3 else None,
                show_name=i % 4 == 0,
            )  # fmt: skip
            Need.objects.filter(pk=need.pk).update(created_at=posted)
            needs += 1
            made = []
            for agency in rng.sample(consulting, min(len(consulting), rng.randint(0, 3))):
                staff = list(AgencyStaff.objects.filter(agency=agency, is_active=True)[:2])
                q = Quote.objects.create(
                    need=need, agency=agency, price=Decimal(rng.randint(60, 200) * 100),
                    visits_per_year=need.visits_per_year, items=items_for(need.service_types)[:2],
                    plan="按需求上门服务，每次出具服务记录和隐患清单，整改后复查。",
                    valid_until=today + timedelta(days=30),
                )  # fmt: skip
                q.staff.set(staff)
                Quote.objects.filter(pk=q.pk).update(created_at=posted + timedelta(hours=rng.randint(1, 96)))
                made.append(q)
                quotes += 1
            if made and i % 3 == 0:
                won = min(made, key=lambda q: q.price)
                contract = ServiceContract.objects.create(
                    number=f"SC{today:%Y}-M{won.pk:06d}", agency=won.agency, items=list(won.items),
                    start_date=need.start_date, end_date=need.end_date, fee=won.price,
                    visits_per_year=won.visits_per_year, note="由服务超市报价生成（演示数据）",
                )  # fmt: skip
                contract.enterprises.set([ent])
                contract.staff.set(won.staff.all())
                accepted = posted + timedelta(days=rng.randint(3, 10))
                Quote.objects.filter(pk=won.pk).update(
                    status=QuoteStatus.ACCEPTED, contract=contract, accepted_at=accepted
                )
                Quote.objects.filter(need=need).exclude(pk=won.pk).update(status=QuoteStatus.DECLINED)
                Need.objects.filter(pk=need.pk).update(status=NeedStatus.AWARDED, awarded_at=accepted)
                contracts += 1
    towns = {t.name: t for t in Town.objects.all()}
    for title, summary, text in CASES:
        town = next((t for name, t in towns.items() if name in title), None)
        CaseStory.objects.create(
            title=title, town=town, summary=summary, text=text, status=CaseStatus.PUBLISHED, published_at=now
        )
    counts = {"prices": prices, "needs": needs, "quotes": quotes, "contracts": contracts, "cases": len(CASES)}
    stdout.write(
        "  价目 {prices} 条，需求 {needs} 个，报价 {quotes} 条，合同草稿 {contracts} 份，典型做法 {cases} 篇".format(
            **counts
        )
    )
    return counts
