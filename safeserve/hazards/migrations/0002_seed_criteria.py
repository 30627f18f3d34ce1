"""Seed the catalogue of 《工贸企业重大事故隐患判定标准》(应急管理部令第10号).

The three management situations (第三条) and the 14 special ones — dust explosion (第十一条),
ammonia refrigeration (第十二条), confined spaces (第十三条) — are listed one by one; the 47
industry-specific situations (第四条至第十条) are seeded as one entry per industry article for the
county to split into its own entries. The catalogue is data: the county edits it on the criteria pages.
"""

from django.db import migrations

M, I, S = "management", "industry", "special"
CRITERIA = [
    ("GM-1", M, "通用", "第三条(一)", "未对承包单位、承租单位的安全生产工作统一协调、管理,或者未定期进行安全检查的"),
    ("GM-2", M, "通用", "第三条(二)", "特种作业人员未按照规定经专门的安全作业培训并取得相应资格,上岗作业的"),
    ("GM-3", M, "通用", "第三条(三)", "金属冶炼企业主要负责人、安全生产管理人员未按照规定经考核合格的"),
    ("IN-YJ", I, "冶金", "第四条", "冶金企业存在第四条所列重大事故隐患情形之一的"),
    ("IN-YS", I, "有色", "第五条", "有色企业存在第五条所列重大事故隐患情形之一的"),
    ("IN-JC", I, "建材", "第六条", "建材企业存在第六条所列重大事故隐患情形之一的"),
    ("IN-JX", I, "机械", "第七条", "机械企业存在第七条所列重大事故隐患情形之一的"),
    ("IN-QG", I, "轻工", "第八条", "轻工企业存在第八条所列重大事故隐患情形之一的"),
    ("IN-FZ", I, "纺织", "第九条", "纺织企业存在第九条所列重大事故隐患情形之一的"),
    ("IN-YC", I, "烟草", "第十条", "烟草企业存在第十条所列重大事故隐患情形之一的"),
    ("SP-FC-1", S, "粉尘防爆", "第十一条(一)", "粉尘爆炸危险场所设置在非框架结构的多层建(构)筑物内,或者粉尘爆炸危险场所内设有员工宿舍、会议室、办公室、休息室等人员聚集场所的"),
    ("SP-FC-2", S, "粉尘防爆", "第十一条(二)", "不同类别的可燃性粉尘、可燃气体等易加剧爆炸危险的介质共用一套除尘系统,或者不同建(构)筑物、不同防火分区共用一套除尘系统、除尘系统互联互通的"),
    ("SP-FC-3", S, "粉尘防爆", "第十一条(三)", "干式除尘系统未采取泄爆、惰化、抑爆等任一种爆炸防控措施的"),
    ("SP-FC-4", S, "粉尘防爆", "第十一条(四)", "铝镁等金属粉尘除尘系统采用正压除尘方式,或者其他可燃性粉尘除尘系统采用正压吹送粉尘时,未采取火花探测消除等防范点燃源措施的"),
    ("SP-FC-5", S, "粉尘防爆", "第十一条(五)", "除尘系统采用重力沉降室除尘,或者采用干式巷道式构筑物作为除尘风道的"),
    ("SP-FC-6", S, "粉尘防爆", "第十一条(六)", "铝镁等金属粉尘、木质粉尘的干式除尘系统未设置锁气卸灰装置的"),
    ("SP-FC-7", S, "粉尘防爆", "第十一条(七)", "除尘器、收尘仓等划分为20区的粉尘爆炸危险场所电气设备不符合防爆要求的"),
    ("SP-FC-8", S, "粉尘防爆", "第十一条(八)", "粉碎、研磨、造粒等易产生机械点燃源的工艺设备前,未设置铁、石等杂物去除装置,或者木制品加工企业与砂光机连接的风管未设置火花探测消除装置的"),
    ("SP-FC-9", S, "粉尘防爆", "第十一条(九)", "遇湿自燃金属粉尘收集、堆放、储存场所未采取通风等防止氢气积聚措施,或者干式收集、堆放、储存场所未采取防水、防潮措施的"),
    ("SP-FC-10", S, "粉尘防爆", "第十一条(十)", "未落实粉尘清理制度,造成作业现场积尘严重的"),
    ("SP-YA-1", S, "液氨制冷", "第十二条(一)", "包装、分割、产品整理场所的空调系统采用氨直接蒸发制冷的"),
    ("SP-YA-2", S, "液氨制冷", "第十二条(二)", "快速冻结装置未设置在单独的作业间内,或者快速冻结装置作业间内作业人员数量超过9人的"),
    ("SP-YX-1", S, "有限空间", "第十三条(一)", "未对有限空间进行辨识、建立安全管理台账,并且未设置明显的安全警示标志的"),
    ("SP-YX-2", S, "有限空间", "第十三条(二)", "未落实有限空间作业审批,或者未执行“先通风、再检测、后作业”要求,或者作业现场未设置监护人员的"),
]


def seed(apps, schema_editor):
    C = apps.get_model("hazards", "MajorHazardCriterion")
    for code, cat, sector, article, text in CRITERIA:
        C.objects.get_or_create(code=code, defaults={"category": cat, "sector": sector, "article": article, "text": text})


class Migration(migrations.Migration):
    dependencies = [("hazards", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
