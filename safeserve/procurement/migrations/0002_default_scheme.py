"""The default indicator scheme of the acceptance and performance evaluation (100 points), as data.

决策/过程/产出/效益 after 财预〔2020〕10号; the 产出 and 效益 indicators that have a figure are
suggested from the contract's visits and hazards (procurement.performance.FIGURES)."""

from decimal import Decimal

from django.db import migrations

INDICATORS = [
    ("decision", "decision_setup", "项目立项与绩效目标明确", "5", ""),
    ("decision", "decision_budget", "预算编制科学合理", "5", ""),
    ("process", "process_procurement", "采购程序与合同管理合规", "10", ""),
    ("process", "process_records", "服务记录与资料完整真实", "10", ""),
    ("output", "output_coverage", "目标企业服务覆盖率", "15", "visited_share"),
    ("output", "output_frequency", "服务频次达标率", "10", "frequency_share"),
    ("output", "output_closure", "隐患整改闭环率", "15", "closure_share"),
    ("benefit", "benefit_satisfaction", "企业满意度", "15", "satisfaction_share"),
    ("benefit", "benefit_recheck", "复核（验收）通过率", "10", "recheck_share"),
    ("benefit", "benefit_complaints", "投诉处理与社会评价", "5", ""),
]


def forward(apps, schema_editor):
    Scheme = apps.get_model("procurement", "Scheme")
    Indicator = apps.get_model("procurement", "Indicator")
    scheme, _ = Scheme.objects.get_or_create(version="2026", defaults={"name": "政府购买服务绩效评价指标"})
    for order, (group, key, label, points, figure) in enumerate(INDICATORS, start=1):
        Indicator.objects.get_or_create(
            scheme=scheme,
            key=key,
            defaults={"order": order, "group": group, "label": label, "max_points": Decimal(points), "figure": figure},
        )


def backward(apps, schema_editor):
    apps.get_model("procurement", "Scheme").objects.filter(version="2026").delete()


class Migration(migrations.Migration):
    dependencies = [("procurement", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
