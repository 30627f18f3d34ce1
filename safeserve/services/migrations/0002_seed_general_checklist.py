"""Seed the general industrial-and-trade (工贸) checklist template; the county edits it as data."""

from django.db import migrations

NAME = "工贸企业通用安全检查表"
ITEMS = [
    ("安全管理", "主要负责人、安全管理人员经考核合格,按规定设置安全管理机构或配备安全管理人员"),
    ("安全管理", "建立并落实全员安全生产责任制和安全管理制度、操作规程"),
    ("安全管理", "开展安全教育培训并建立档案,特种作业人员持证上岗"),
    ("安全管理", "对承包、承租单位的安全生产统一协调管理并定期检查"),
    ("安全管理", "建立隐患排查治理制度并如实记录、闭环整改"),
    ("应急管理", "制定生产安全事故应急预案并定期演练"),
    ("作业场所", "安全出口、疏散通道畅通,应急照明和疏散指示完好"),
    ("作业场所", "消防设施器材配置齐全、在有效期内"),
    ("电气安全", "配电箱柜完好,线路无私拉乱接,漏电保护有效"),
    ("设备设施", "机械设备防护罩、急停装置等安全防护装置齐全有效"),
    ("设备设施", "特种设备(起重机械、叉车、压力容器等)定期检验合格"),
    ("专项", "粉尘涉爆场所除尘系统、清扫制度落实"),
    ("专项", "有限空间已辨识、设警示标志,作业审批并先通风、再检测、后作业"),
    ("危险物品", "危险化学品储存、使用符合规定,安全技术说明书齐全"),
    ("职业健康", "劳动防护用品按规定配备和正确佩戴,职业病危害因素定期检测"),
]


def seed(apps, schema_editor):
    Template = apps.get_model("services", "ChecklistTemplate")
    Item = apps.get_model("services", "ChecklistItem")
    t, created = Template.objects.get_or_create(name=NAME, defaults={"is_active": True})
    if created:
        Item.objects.bulk_create(
            [Item(template=t, order=i, category=c, text=text) for i, (c, text) in enumerate(ITEMS, start=1)]
        )


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
