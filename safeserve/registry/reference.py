"""Reference data: the towns and villages of 嘉善县 and the GB/T 4754-2017 industries.

Industries are loaded by a data migration (every database has them); towns and villages by
``manage.py load_reference`` and ``manage.py seed_demo`` (a real deployment enters its own).

Town codes follow the 统计用区划代码 layout: 330421 (嘉善县) + 3 digits for the town
(0xx 街道, 1xx 镇) + 000. Village codes replace the last 3 digits: 0xx–1xx 社区(居委会),
2xx 村(村委会).
"""

from dataclasses import dataclass

COUNTY_CODE = "330421"
COUNTY_NAME = "嘉善县"


@dataclass(frozen=True)
class TownRef:
    code: str  # 12 digits
    name: str
    sort_order: int
    villages: tuple[str, ...]  # 社区 first, then 村


TOWNS: tuple[TownRef, ...] = (
    TownRef(
        "330421002000",
        "罗星街道",
        1,
        (
            "春晖社区",
            "金星社区",
            "阳光社区",
            "罗星社区",
            "鑫锋村",
            "马家桥村",
            "台升村",
            "东升村",
            "星光村",
            "新港村",
        ),
    ),
    TownRef(
        "330421001000",
        "魏塘街道",
        2,
        (
            "谈公社区",
            "中山社区",
            "花园弄社区",
            "亭桥社区",
            "世纪社区",
            "东门社区",
            "长春村",
            "魏中村",
            "群益村",
            "五四村",
            "新伟村",
        ),
    ),
    TownRef(
        "330421003000",
        "惠民街道",
        3,
        ("惠民社区", "惠通社区", "惠枫社区", "曙光村", "大泖村", "松甸村", "枫南村", "新润村", "钱家村"),
    ),
    TownRef(
        "330421101000",
        "大云镇",
        4,
        ("大云社区", "云溪社区", "缪家村", "曹家村", "东云村", "江家村", "洋桥村", "大云村", "云东村"),
    ),
    TownRef(
        "330421102000",
        "西塘镇",
        5,
        (
            "西塘社区",
            "塘东社区",
            "永宁社区",
            "红菱村",
            "地甸村",
            "茹塘村",
            "鸦鹊村",
            "钟葫村",
            "新胜村",
            "荷池村",
            "星建村",
            "大舜村",
            "礼庙村",
            "南塘村",
        ),
    ),
    TownRef(
        "330421103000",
        "干窑镇",
        6,
        ("干窑社区", "长生社区", "长生村", "黎明村", "胡家埭村", "范东村", "新星村", "南宙村", "窑墩村", "东窑村"),
    ),
    TownRef(
        "330421105000",
        "姚庄镇",
        7,
        (
            "姚庄社区",
            "丁栅社区",
            "宝群社区",
            "北鹤村",
            "横港村",
            "沉香村",
            "展幸村",
            "渔民村",
            "武长村",
            "银水庙村",
            "清凉村",
            "中联村",
            "丁栅村",
            "俞汇村",
        ),
    ),
    TownRef(
        "330421106000",
        "天凝镇",
        8,
        (
            "天凝社区",
            "凝秀社区",
            "洪溪社区",
            "洪溪村",
            "蒋村村",
            "光明村",
            "新联村",
            "凝东村",
            "三店村",
            "杨庙村",
            "天凝村",
        ),
    ),
    TownRef(
        "330421104000",
        "陶庄镇",
        9,
        ("陶庄社区", "汾湖社区", "汾南村", "利生村", "湖滨村", "翔胜村", "汾玉村", "金湖村", "民主村"),
    ),
)


def village_codes(town: TownRef) -> list[tuple[str, str]]:
    """(code, name) of a town's villages: 社区 numbered 001.., 村 numbered 201.."""
    prefix = town.code[:9]
    out, n_community, n_village = [], 0, 0
    for name in town.villages:
        if name.endswith("社区"):
            n_community += 1
            out.append((f"{prefix}{n_community:03d}", name))
        else:
            n_village += 1
            out.append((f"{prefix}{200 + n_village:03d}", name))
    return out


# ---------------------------------------------------------------------------------------------
# GB/T 4754-2017 国民经济行业分类: sections (门类, code "C") and divisions (大类, code "C33").

SECTIONS: tuple[tuple[str, str], ...] = (
    ("A", "农、林、牧、渔业"),
    ("B", "采矿业"),
    ("C", "制造业"),
    ("D", "电力、热力、燃气及水生产和供应业"),
    ("E", "建筑业"),
    ("F", "批发和零售业"),
    ("G", "交通运输、仓储和邮政业"),
    ("H", "住宿和餐饮业"),
    ("I", "信息传输、软件和信息技术服务业"),
    ("J", "金融业"),
    ("K", "房地产业"),
    ("L", "租赁和商务服务业"),
    ("M", "科学研究和技术服务业"),
    ("N", "水利、环境和公共设施管理业"),
    ("O", "居民服务、修理和其他服务业"),
    ("P", "教育"),
    ("Q", "卫生和社会工作"),
    ("R", "文化、体育和娱乐业"),
    ("S", "公共管理、社会保障和社会组织"),
    ("T", "国际组织"),
)

# (section, division number, name). Divisions of the sections a county work-safety bureau
# supervises; the office-only sections (I, J, P, S, T ...) are kept at section level.
DIVISIONS: tuple[tuple[str, int, str], ...] = (
    ("A", 1, "农业"),
    ("A", 2, "林业"),
    ("A", 3, "畜牧业"),
    ("A", 4, "渔业"),
    ("A", 5, "农、林、牧、渔专业及辅助性活动"),
    ("B", 6, "煤炭开采和洗选业"),
    ("B", 7, "石油和天然气开采业"),
    ("B", 8, "黑色金属矿采选业"),
    ("B", 9, "有色金属矿采选业"),
    ("B", 10, "非金属矿采选业"),
    ("B", 11, "开采专业及辅助性活动"),
    ("B", 12, "其他采矿业"),
    ("C", 13, "农副食品加工业"),
    ("C", 14, "食品制造业"),
    ("C", 15, "酒、饮料和精制茶制造业"),
    ("C", 16, "烟草制品业"),
    ("C", 17, "纺织业"),
    ("C", 18, "纺织服装、服饰业"),
    ("C", 19, "皮革、毛皮、羽毛及其制品和制鞋业"),
    ("C", 20, "木材加工和木、竹、藤、棕、草制品业"),
    ("C", 21, "家具制造业"),
    ("C", 22, "造纸和纸制品业"),
    ("C", 23, "印刷和记录媒介复制业"),
    ("C", 24, "文教、工美、体育和娱乐用品制造业"),
    ("C", 25, "石油、煤炭及其他燃料加工业"),
    ("C", 26, "化学原料和化学制品制造业"),
    ("C", 27, "医药制造业"),
    ("C", 28, "化学纤维制造业"),
    ("C", 29, "橡胶和塑料制品业"),
    ("C", 30, "非金属矿物制品业"),
    ("C", 31, "黑色金属冶炼和压延加工业"),
    ("C", 32, "有色金属冶炼和压延加工业"),
    ("C", 33, "金属制品业"),
    ("C", 34, "通用设备制造业"),
    ("C", 35, "专用设备制造业"),
    ("C", 36, "汽车制造业"),
    ("C", 37, "铁路、船舶、航空航天和其他运输设备制造业"),
    ("C", 38, "电气机械和器材制造业"),
    ("C", 39, "计算机、通信和其他电子设备制造业"),
    ("C", 40, "仪器仪表制造业"),
    ("C", 41, "其他制造业"),
    ("C", 42, "废弃资源综合利用业"),
    ("C", 43, "金属制品、机械和设备修理业"),
    ("D", 44, "电力、热力生产和供应业"),
    ("D", 45, "燃气生产和供应业"),
    ("D", 46, "水的生产和供应业"),
    ("E", 47, "房屋建筑业"),
    ("E", 48, "土木工程建筑业"),
    ("E", 49, "建筑安装业"),
    ("E", 50, "建筑装饰、装修和其他建筑业"),
    ("F", 51, "批发业"),
    ("F", 52, "零售业"),
    ("G", 53, "铁路运输业"),
    ("G", 54, "道路运输业"),
    ("G", 55, "水上运输业"),
    ("G", 56, "航空运输业"),
    ("G", 57, "管道运输业"),
    ("G", 58, "多式联运和运输代理业"),
    ("G", 59, "装卸搬运和仓储业"),
    ("G", 60, "邮政业"),
    ("H", 61, "住宿业"),
    ("H", 62, "餐饮业"),
    ("K", 70, "房地产业"),
    ("L", 71, "租赁业"),
    ("L", 72, "商务服务业"),
    ("M", 74, "专业技术服务业"),
    ("N", 77, "生态保护和环境治理业"),
    ("N", 78, "公共设施管理业"),
    ("O", 80, "居民服务业"),
    ("O", 81, "机动车、电子产品和日用产品修理业"),
    ("R", 89, "体育"),
    ("R", 90, "娱乐业"),
)

# 重点行业: mining and the 工贸 key industries named in 应急管理部令第10号 — 冶金 (31), 有色 (32),
# 建材 (30), 机械 (33–36, 38), 轻工 (20–22, 29; 木业/家具 is the county's largest trade),
# 纺织 (17, 28), 烟草 (16) — plus 危险化学品/化工 (25–27).
KEY_DIVISIONS = frozenset(
    {6, 7, 8, 9, 10, 11, 12, 16, 17, 20, 21, 22, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 38}
)

# 安责险 mandatory (应急〔2025〕27号): 矿山 (B), 危险化学品 / 烟花爆竹 / 民用爆炸物品 (25, 26:
# 烟花爆竹 2672 and 炸药火工 267 are groups of division 26), 金属冶炼 (31, 32), 建筑施工 (E),
# 交通运输 (53–57), 渔业生产 (04).
MANDATORY_INSURANCE_DIVISIONS = frozenset(
    {4, 6, 7, 8, 9, 10, 11, 12, 25, 26, 31, 32, 47, 48, 49, 50, 53, 54, 55, 56, 57}
)
# A section carries a flag only when every division of it does.
KEY_SECTIONS = frozenset({"B"})
MANDATORY_INSURANCE_SECTIONS = frozenset({"B", "E"})


def division_code(section: str, number: int) -> str:
    return f"{section}{number:02d}"


def industry_rows() -> list[dict]:
    """Every industry as a dict of model fields; sections first (``parent`` is a section code)."""
    rows = [
        {
            "code": code,
            "name": name,
            "level": "section",
            "parent": None,
            "is_key": code in KEY_SECTIONS,
            "insurance_mandatory": code in MANDATORY_INSURANCE_SECTIONS,
        }
        for code, name in SECTIONS
    ]
    rows += [
        {
            "code": division_code(section, number),
            "name": name,
            "level": "division",
            "parent": section,
            "is_key": number in KEY_DIVISIONS,
            "insurance_mandatory": number in MANDATORY_INSURANCE_DIVISIONS,
        }
        for section, number, name in DIVISIONS
    ]
    return rows


def load_industries(industry_model) -> tuple[int, int]:
    """update_or_create every industry; works with the real model and a migration's historical one.

    Returns (created, updated).
    """
    created = updated = 0
    by_code = {}
    for row in industry_rows():
        data = dict(row)
        parent = data.pop("parent")
        data["parent"] = by_code[parent] if parent else None
        obj, was_created = industry_model.objects.update_or_create(code=data.pop("code"), defaults=data)
        by_code[obj.code] = obj
        created += was_created
        updated += not was_created
    return created, updated
