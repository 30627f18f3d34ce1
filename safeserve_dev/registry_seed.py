"""Deterministic demo and scale data for the registry (used by ``seed_demo`` and ``benchmark``).

Everything is drawn from one ``random.Random(seed)``, so the same seed gives the same credit codes,
names and numbers. Records are written with ``bulk_create`` in batches — this is seed data, not a
user's write — and each model gets one summary AuditLog row (action "import", note "seed_demo")
instead of one row per record, so the audit trail says where the data came from without doubling
the size of the database.
"""

import random
from collections.abc import Callable
from datetime import date, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.core.identity import CREDIT_CHARSET, credit_code_check_char, id_number_check_char
from safeserve.core.models import AuditAction, AuditLog
from safeserve.registry import models as m
from safeserve.registry import reference as ref

BATCH = 5000
SEED_NOTE = "seed_demo"

# ---------------------------------------------------------------------------------------------
# Word pools

SURNAMES = "沈陆顾钱姚朱张王徐金吴周孙李陈刘杨黄赵胡许俞郁蒋潘戴汤曹吕范施盛夏邱方费屠褚莫凌袁唐宋冯韩程"
GIVEN = "建国伟明华林强军平芳英红丽敏静燕杰勇峰磊斌涛超辉琴萍霞娟春海良荣忠雪晓宇浩俊婷慧志永德文新亮佳颖洁"
TRADE_CHARS = (
    "恒鑫嘉盛达华瑞丰源泰隆祥顺兴利宏伟金银博通安康宇航创新成信德诚佳美鼎晟辉耀龙凤天海江越亚永长宝益"
    "欣悦乐和远立峰昌强升昊翔凯科力联合众腾飞欧圣森林桐楠松柏鸿富旺吉亨正元明光星晨阳春秋卓精工誉邦汇"
    "捷讯雅逸璟琪豪冠环宸尚品优标杰迈锐智维盈善塘湖舜云凝溪"
)
ROADS = (
    "人民大道",
    "中山路",
    "解放路",
    "体育路",
    "亚中路",
    "晋阳路",
    "归谷路",
    "东升路",
    "世纪大道",
    "善江路",
    "平黎公路",
    "大舜路",
    "通商路",
    "华山路",
    "长江路",
    "阳光路",
    "罗星路",
    "施家路",
    "工业路",
    "创业路",
    "兴业路",
    "振兴路",
    "环镇路",
    "开发区路",
    "秀洲路",
)

# division code -> (weight in the county's enterprise mix, name words)
INDUSTRY_MIX: dict[str, tuple[float, tuple[str, ...]]] = {
    "A01": (0.6, ("农业发展", "果蔬", "农业科技")),
    "A03": (0.3, ("畜牧", "养殖")),
    "A04": (0.4, ("水产养殖", "渔业")),
    "C13": (1.0, ("米业", "农副产品")),
    "C14": (1.5, ("食品", "食品科技")),
    "C15": (0.8, ("酒业", "酿造", "黄酒")),
    "C17": (7.0, ("纺织", "织造", "针织", "丝绸", "印染")),
    "C18": (5.0, ("服饰", "制衣", "服装")),
    "C19": (2.0, ("鞋业", "皮革")),
    "C20": (14.0, ("木业", "板业", "胶合板", "木制品")),
    "C21": (8.0, ("家具", "家居", "红木家具")),
    "C22": (2.0, ("纸业", "包装", "纸制品")),
    "C23": (1.5, ("印刷", "彩印")),
    "C24": (1.5, ("工艺品", "体育用品")),
    "C25": (0.1, ("能源", "燃料")),
    "C26": (2.0, ("化工", "涂料", "化学", "新材料")),
    "C27": (0.3, ("生物医药", "药业")),
    "C28": (0.5, ("化纤",)),
    "C29": (5.0, ("塑业", "塑胶", "橡塑", "塑料制品")),
    "C30": (3.0, ("建材", "新型建材", "玻璃", "混凝土", "石材")),
    "C31": (0.2, ("钢铁", "钢业")),
    "C32": (0.5, ("铜业", "铝业", "有色金属")),
    "C33": (11.0, ("五金", "金属制品", "紧固件", "标准件", "不锈钢制品")),
    "C34": (6.0, ("机械", "轴承", "泵业", "阀门", "机电")),
    "C35": (4.0, ("机械设备", "智能装备", "模具")),
    "C36": (2.0, ("汽车配件", "汽配")),
    "C37": (0.3, ("车辆配件",)),
    "C38": (5.0, ("电器", "电气", "电线电缆", "照明", "电机")),
    "C39": (7.0, ("电子", "光电", "电子科技", "通信设备")),
    "C40": (0.7, ("仪器仪表", "仪表")),
    "C41": (1.0, ("日用品",)),
    "C42": (0.5, ("再生资源", "资源回收")),
    "C43": (0.5, ("设备维修", "机械维修")),
    "D44": (0.1, ("热电",)),
    "D45": (0.1, ("燃气",)),
    "D46": (0.1, ("水务",)),
    "E47": (1.5, ("建设", "建筑工程")),
    "E48": (0.8, ("市政工程", "路桥工程")),
    "E49": (0.8, ("安装工程", "机电安装")),
    "E50": (1.5, ("装饰工程", "建筑装饰")),
    "F51": (4.0, ("贸易", "商贸", "物资", "化工贸易")),
    "F52": (3.0, ("超市", "百货", "商行")),
    "G54": (2.0, ("运输", "物流", "货运")),
    "G58": (0.3, ("货运代理", "国际物流")),
    "G59": (1.0, ("仓储", "仓储物流")),
    "H61": (0.8, ("酒店", "宾馆")),
    "H62": (2.0, ("餐饮", "饭店", "餐饮管理")),
    "K70": (0.3, ("置业", "物业")),
    "L72": (0.5, ("企业管理",)),
    "M74": (0.3, ("工程技术",)),
    "N77": (0.2, ("环保科技", "环境工程")),
    "O80": (0.3, ("家政服务", "洗涤")),
    "O81": (0.6, ("汽车维修", "汽修")),
    "R90": (0.2, ("文化娱乐",)),
}
HAZCHEM_DIVISIONS = {"C25": 0.9, "C26": 0.8, "C27": 0.3, "C28": 0.2, "F51": 0.06, "F52": 0.03, "G54": 0.04}

# Town share of enterprises (罗星 and 惠民 hold the development zones).
TOWN_WEIGHTS = {
    "罗星街道": 16,
    "魏塘街道": 12,
    "惠民街道": 14,
    "大云镇": 8,
    "西塘镇": 12,
    "干窑镇": 9,
    "姚庄镇": 11,
    "天凝镇": 10,
    "陶庄镇": 8,
}
SIZES = (("micro", 55), ("small", 35), ("medium", 8), ("large", 2))
EMPLOYEES = {"micro": (2, 19), "small": (20, 299), "medium": (300, 999), "large": (1000, 3000)}
RISKS = (("blue", 55), ("yellow", 35), ("orange", 8), ("red", 2))
STATUSES = (("active", 93), ("suspended", 5), ("cancelled", 2))
GRADES = (("none", 60), ("3", 32), ("2", 7), ("1", 1))
PHONE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "157",
    "158",
    "159",
    "173",
    "177",
    "180",
    "181",
    "182",
    "183",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
]

INSURERS = (
    ("中国人民财产保险股份有限公司嘉善支公司", "嘉善县魏塘街道中山路298号"),
    ("中国平安财产保险股份有限公司嘉善支公司", "嘉善县罗星街道人民大道88号"),
    ("中国太平洋财产保险股份有限公司嘉善支公司", "嘉善县魏塘街道解放路120号"),
    ("中国人寿财产保险股份有限公司嘉善县支公司", "嘉善县罗星街道亚中路56号"),
    ("中华联合财产保险股份有限公司嘉善支公司", "嘉善县惠民街道体育路18号"),
    ("浙商财产保险股份有限公司嘉善支公司", "嘉善县罗星街道晋阳路200号"),
)
# (name, industry code whose enterprises join, share of them that join)
ASSOCIATIONS = (
    ("嘉善县木业协会", "C20", 0.35),
    ("嘉善县家具行业协会", "C21", 0.3),
    ("嘉善县纺织服装行业协会", "C17", 0.25),
    ("嘉善县五金机械行业协会", "C33", 0.25),
    ("嘉善县电子信息产业协会", "C39", 0.3),
    ("嘉善县化工行业协会", "C26", 0.6),
    ("嘉善县建筑业协会", "E47", 0.4),
    ("嘉善县物流行业协会", "G54", 0.3),
)
# Qualification kinds that license a service type (AgencyQualification.service_type).
LICENCE_TYPES = ("evaluation", "testing", "occupational", "training")
AGENCY_KINDS = (
    # (name pattern, service types, qualification (name, issuer, scope) or None)
    ("嘉善{t}安全技术咨询有限公司", ["consulting"], None),
    (
        "嘉兴{t}安全评价有限公司",
        ["evaluation", "consulting"],
        ("安全评价机构资质证书", "浙江省应急管理厅", "机械、轻工、纺织、化工"),
    ),
    (
        "浙江{t}检测技术有限公司",
        ["testing"],
        ("检验检测机构资质认定证书（CMA）", "浙江省市场监督管理局", "电气、防雷、粉尘、噪声"),
    ),
    (
        "嘉善县{t}职业卫生技术服务有限公司",
        ["occupational", "testing"],
        ("职业卫生技术服务机构资质证书", "浙江省卫生健康委员会", "职业病危害因素检测与评价"),
    ),
    (
        "嘉善县{t}安全生产培训学校",
        ["training"],
        ("安全生产培训机构备案证明", "嘉兴市应急管理局", "生产经营单位主要负责人、安全管理人员培训"),
    ),
    (
        "浙江{t}安全科技有限公司",
        ["consulting", "training", "other"],
        ("安全生产技术服务机构备案", "嘉兴市应急管理局", "安全生产托管服务、隐患排查"),
    ),
)
EXPERT_TITLES = ("高级工程师", "高级工程师", "工程师", "教授级高级工程师", "注册安全工程师", "副教授")
SPECIALTIES = (
    "机械安全",
    "电气安全",
    "危险化学品",
    "消防安全",
    "粉尘防爆",
    "有限空间",
    "职业卫生",
    "建筑施工",
    "特种设备",
    "木材加工安全",
    "纺织安全",
    "金属冶炼",
    "道路运输安全",
    "应急管理",
)
EXPERT_EMPLOYERS = (
    "嘉兴学院",
    "浙江省安全生产科学研究院",
    "嘉兴市特种设备检验检测院",
    "嘉善县消防救援大队（退休）",
    "嘉兴职业技术学院",
    "浙江大学宁波理工学院",
    "嘉善县应急管理局（退休）",
)


def _weighted(pairs):
    values = [v for v, _w in pairs]
    cum, total = [], 0
    for _v, w in pairs:
        total += w
        cum.append(total)
    return values, cum


def org_code_check(body8: str) -> str:
    """GB 11714 组织机构代码 check character of an 8-character body."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, weights, strict=True))
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


class Seeder:
    """Writes seed data; keep one instance to add more enterprises later with the same stream."""

    def __init__(self, *, seed: int = 1, stdout=None, batch_size: int = BATCH, today: date | None = None):
        self.seed = seed
        self.rng = random.Random(seed)
        self.batch_size = batch_size
        self.out = stdout
        self.today = today or timezone.localdate()
        self.used_codes: set[str] = set(m.Enterprise.objects.values_list("credit_code", flat=True))
        self.used_codes |= set(m.Agency.objects.values_list("credit_code", flat=True))
        self.used_codes |= set(m.Insurer.objects.values_list("credit_code", flat=True))
        self.used_codes |= set(m.Association.objects.values_list("credit_code", flat=True))
        self.used_names: set[str] = set(m.Enterprise.objects.values_list("name", flat=True))
        self.towns: list = []
        self.villages: dict[int, list] = {}
        self.industries: dict[str, m.Industry] = {}
        self.associations: dict[str, tuple[m.Association, float]] = {}
        self.employer_pool: list[tuple[int, str]] = []
        self._mix = _weighted([(code, w) for code, (w, _words) in INDUSTRY_MIX.items()])
        self._sizes = _weighted(SIZES)
        self._risks = _weighted(RISKS)
        self._statuses = _weighted(STATUSES)
        self._grades = _weighted(GRADES)

    # ---- small helpers ------------------------------------------------------------------
    def say(self, text: str):
        if self.out is not None:
            self.out.write(text)
            flush = getattr(self.out, "flush", None)
            if flush:
                flush()

    def pick(self, weighted):
        values, cum = weighted
        return self.rng.choices(values, cum_weights=cum)[0]

    def person_name(self) -> str:
        r = self.rng
        given = r.choice(GIVEN) + (r.choice(GIVEN) if r.random() < 0.7 else "")
        return r.choice(SURNAMES) + given

    def phone(self) -> str:
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def id_number(self, region: str = ref.COUNTY_CODE, born=(1960, 2000)) -> str:
        r = self.rng
        birth = date(born[0], 1, 1) + timedelta(days=r.randrange(365 * (born[1] - born[0])))
        body = f"{region}{birth:%Y%m%d}{r.randrange(1000):03d}"
        return body + id_number_check_char(body)

    def credit_code(self, *, registrar: str = "91", region: str = ref.COUNTY_CODE) -> str:
        """A unique, valid 统一社会信用代码 (its organisation-code part has a valid GB 11714 check too)."""
        r = self.rng
        letters = CREDIT_CHARSET
        while True:
            if r.random() < 0.6:
                body = "MA2" + "".join(r.choice(letters) for _ in range(5))
            else:
                body = f"{r.randrange(10**8):08d}"
            first17 = f"{registrar}{region}{body}{org_code_check(body)}"
            code = first17 + credit_code_check_char(first17)
            if code not in self.used_codes:
                self.used_codes.add(code)
                return code

    def trade_name(self, length: int = 2) -> str:
        chars = self.rng.sample(TRADE_CHARS, length)
        return "".join(chars)

    def audit_summary(self, model, count: int, *, ids=(), **extra):
        """One AuditLog row per model per run instead of one per record (see module docstring)."""
        if not count:
            return
        ids = [i for i in ids if i is not None]
        AuditLog.objects.create(
            actor=None,
            actor_name=SEED_NOTE,
            action=AuditAction.IMPORT,
            content_type=ContentType.objects.get_for_model(model),
            object_id=f"{min(ids)}-{max(ids)}" if ids else "*",
            object_repr=f"{model._meta.verbose_name_plural} × {count}"[:200],
            changes={"count": count, "seed": self.seed, **extra},
            note=SEED_NOTE,
        )

    # ---- reference data ----------------------------------------------------------------
    def reference(self):
        """Towns, villages and industries (idempotent: update_or_create)."""
        from safeserve.registry.actions import load_reference

        created = load_reference()
        self.towns = list(m.Town.objects.filter(name__in=[t.name for t in ref.TOWNS]).order_by("sort_order"))
        self.villages = {}
        for v in m.Village.objects.filter(town__in=self.towns).order_by("code"):
            self.villages.setdefault(v.town_id, []).append(v)
        self.industries = {i.code: i for i in m.Industry.objects.all()}
        self._towns = _weighted([(t, TOWN_WEIGHTS.get(t.name, 10)) for t in self.towns])
        return created

    # ---- organisations -----------------------------------------------------------------
    def agencies(self, count: int):
        r, today = self.rng, self.today
        agencies, names = [], set(m.Agency.objects.values_list("name", flat=True))
        kinds = []
        for i in range(count):
            pattern, types, qual = AGENCY_KINDS[i % len(AGENCY_KINDS)]
            while True:
                name = pattern.format(t=self.trade_name())
                if name not in names:
                    names.add(name)
                    break
            # 嘉善 agencies are local; 嘉兴 (330402) and 浙江 (杭州 330106/330108) ones are introduced.
            is_local = name.startswith("嘉善")
            region = (
                ref.COUNTY_CODE if is_local else "330402" if name.startswith("嘉兴") else r.choice(("330106", "330108"))
            )
            town = r.choice(self.towns)
            agencies.append(
                m.Agency(
                    credit_code=self.credit_code(region=region),
                    name=name,
                    address=f"{'嘉善县' + town.name if is_local else '浙江省'}{r.choice(ROADS)}{r.randint(1, 400)}号",
                    service_types=list(types),
                    is_local=is_local,
                    contact_person=self.person_name(),
                    contact_phone=self.phone(),
                    is_active=r.random() > 0.05,
                )
            )
            kinds.append(qual)
        with transaction.atomic():
            agencies = m.Agency.objects.bulk_create(agencies, batch_size=self.batch_size)
            quals, staff = [], []
            for i, (agency, qual) in enumerate(zip(agencies, kinds, strict=True)):
                n_quals = (1 + (r.random() < 0.4)) if qual else 0
                for q in range(n_quals):
                    # The first agencies hold an expired and an expiring qualification, so the
                    # flags always show; the rest follow a realistic spread.
                    if i == 1 and q == 0:
                        days = -r.randint(10, 120)
                    elif i in (2, 3) and q == 0:
                        days = r.randint(5, 55)
                    else:
                        roll = r.random()
                        days = (
                            -r.randint(1, 300)
                            if roll < 0.06
                            else r.randint(0, 60)
                            if roll < 0.16
                            else r.randint(61, 1100)
                        )
                    quals.append(
                        m.AgencyQualification(
                            agency=agency,
                            name=qual[0] if q == 0 else f"{qual[0]}（分支）",
                            number=f"ZJ{today.year - r.randint(0, 4)}-{qual[0][:2]}-{r.randrange(10**5):05d}-{q}",
                            issuer=qual[1],
                            scope=qual[2],
                            service_type=next((t for t in agency.service_types if t in LICENCE_TYPES), ""),
                            valid_until=today + timedelta(days=days),
                        )
                    )
                for _s in range(r.randint(4, 15)):
                    engineer = r.random() < 0.3
                    staff.append(
                        m.AgencyStaff(
                            agency=agency,
                            name=self.person_name(),
                            id_number=self.id_number(),
                            phone=self.phone(),
                            title=r.choice(("安全工程师", "技术员", "项目负责人", "培训讲师", "检测员", "评价师")),
                            is_registered_engineer=engineer,
                            engineer_certificate_no=f"AQ33{r.randint(2015, today.year)}{r.randrange(10**6):06d}"
                            if engineer
                            else "",
                            engineer_certificate_valid_until=today + timedelta(days=r.randint(-60, 1500))
                            if engineer
                            else None,
                            other_certificates=f"T3304{r.randrange(10**10):010d}" if r.random() < 0.2 else "",
                            is_active=r.random() > 0.05,
                        )
                    )
            m.AgencyQualification.objects.bulk_create(quals, batch_size=self.batch_size)
            m.AgencyStaff.objects.bulk_create(staff, batch_size=self.batch_size)
            self.audit_summary(m.Agency, len(agencies), ids=[a.pk for a in agencies])
            self.audit_summary(m.AgencyQualification, len(quals), ids=[q.pk for q in quals])
            self.audit_summary(m.AgencyStaff, len(staff), ids=[s.pk for s in staff])
        self.say(f"  服务机构 {len(agencies)} 家，资质 {len(quals)} 项，人员 {len(staff)} 人\n")
        return agencies

    def insurers(self):
        rows = []
        existing = set(m.Insurer.objects.values_list("name", flat=True))
        for name, address in INSURERS:
            if name in existing:
                continue
            rows.append(
                m.Insurer(
                    credit_code=self.credit_code(),
                    name=name,
                    address=address,
                    contact_person=self.person_name(),
                    contact_phone=self.phone(),
                )
            )
        with transaction.atomic():
            rows = m.Insurer.objects.bulk_create(rows)
            self.audit_summary(m.Insurer, len(rows), ids=[x.pk for x in rows])
        self.say(f"  保险机构 {len(rows)} 家\n")
        return rows

    def association_rows(self):
        rows = []
        existing = {a.name: a for a in m.Association.objects.all()}
        for name, industry_code, share in ASSOCIATIONS:
            if name in existing:
                self.associations[industry_code] = (existing[name], share)
                continue
            rows.append(
                (
                    m.Association(
                        credit_code=self.credit_code(registrar="51"),
                        name=name,
                        industry=self.industries.get(industry_code),
                        contact_person=self.person_name(),
                        contact_phone=self.phone(),
                    ),
                    industry_code,
                    share,
                )
            )
        with transaction.atomic():
            created = m.Association.objects.bulk_create([a for a, _c, _s in rows])
            for assoc, (_a, code, share) in zip(created, rows, strict=True):
                self.associations[code] = (assoc, share)
            self.audit_summary(m.Association, len(created), ids=[a.pk for a in created])
        self.say(f"  行业协会 {len(created)} 个\n")

    # ---- enterprises -------------------------------------------------------------------
    def enterprise_name(self, words) -> str:
        r = self.rng
        for attempt in range(50):
            trade = self.trade_name(2 if attempt < 20 else 3)
            name = f"{ref.COUNTY_NAME}{trade}{r.choice(words)}有限公司"
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError("could not find a free enterprise name")  # pragma: no cover

    def make_enterprise(self) -> m.Enterprise:
        r = self.rng
        town = self.pick(self._towns)
        villages = self.villages.get(town.pk) or [None]
        village = r.choice(villages) if r.random() < 0.9 else None
        code = self.pick(self._mix)
        words = INDUSTRY_MIX[code][1]
        size = self.pick(self._sizes)
        lo, hi = EMPLOYEES[size]
        hazchem = r.random() < HAZCHEM_DIVISIONS.get(code, 0.005)
        risk = self.pick(self._risks)
        if hazchem and risk == "blue":
            risk = "yellow" if r.random() < 0.6 else "orange"
        grade = self.pick(self._grades)
        if size in ("medium", "large") and grade == "none" and r.random() < 0.7:
            grade = "3" if r.random() < 0.7 else "2"
        place = f"{ref.COUNTY_NAME}{town.name}{village.name if village else ''}"
        return m.Enterprise(
            credit_code=self.credit_code(),
            name=self.enterprise_name(words),
            address=f"{place}{r.choice(ROADS)}{r.randint(1, 999)}号",
            town=town,
            village=village,
            industry=self.industries[code],
            size_class=size,
            employees=r.randint(lo, hi),
            risk_level=risk,
            is_hazchem=hazchem,
            has_major_hazard_source=r.random() < (0.15 if hazchem else 0.002),
            is_village_small=bool(village and not village.name.endswith("社区") and size in ("micro", "small"))
            and r.random() < 0.6,
            standardization_grade=grade,
            legal_representative=self.person_name(),
            safety_manager=self.person_name() if r.random() < 0.9 else "",
            safety_manager_phone=self.phone() if r.random() < 0.85 else "",
            status=self.pick(self._statuses),
        )

    def enterprises(self, count: int, progress: Callable[[int, int], None] | None = None) -> int:
        """Insert ``count`` more enterprises in batches, with association memberships."""
        if not self.towns:
            self.reference()
        Member = m.Association.members.through
        done, ids, members = 0, [], 0
        validated = False
        while done < count:
            n = min(self.batch_size, max(500, -(-count // 10)), count - done)
            batch = [self.make_enterprise() for _ in range(n)]
            if not validated:
                # A sample goes through full validation, so a generator bug cannot slip by.
                for obj in batch[:20]:
                    obj.full_clean(validate_unique=False)
                validated = True
            with transaction.atomic():
                created = m.Enterprise.objects.bulk_create(batch, batch_size=self.batch_size)
                if any(e.pk is None for e in created):  # backends that cannot return ids
                    by_code = dict(
                        m.Enterprise.objects.filter(credit_code__in=[e.credit_code for e in created]).values_list(
                            "credit_code", "pk"
                        )
                    )
                    for e in created:
                        e.pk = by_code[e.credit_code]
                links = []
                for e in created:
                    assoc = self.associations.get(e.industry.code)
                    if assoc and self.rng.random() < assoc[1]:
                        links.append(Member(association_id=assoc[0].pk, enterprise_id=e.pk))
                Member.objects.bulk_create(links, batch_size=self.batch_size)
                members += len(links)
            if len(self.employer_pool) < 500:
                self.employer_pool += [(e.pk, e.name) for e in created[: 500 - len(self.employer_pool)]]
            ids += [created[0].pk, created[-1].pk]
            done += n
            if progress:
                progress(done, count)
        self.audit_summary(m.Enterprise, done, ids=ids, association_members=members)
        return done

    # ---- people ------------------------------------------------------------------------
    def experts(self, count: int, agencies=()):
        r = self.rng
        agencies = list(agencies) or list(m.Agency.objects.order_by("id")[:50])
        rows = []
        for _ in range(count):
            pool = self.pick(_weighted((("county", 60), ("city", 30), ("province", 10))))
            region = {"county": ref.COUNTY_CODE, "city": "330402", "province": "330106"}[pool]
            roll = r.random()
            employer_agency = employer_enterprise = None
            if roll < 0.3 and agencies:
                employer_agency = r.choice(agencies)
                employer = employer_agency.name
            elif roll < 0.45 and self.employer_pool:
                employer_enterprise, employer = r.choice(self.employer_pool)
            else:
                employer = r.choice(EXPERT_EMPLOYERS)
            specialties = "、".join(r.sample(SPECIALTIES, r.randint(1, 3)))
            rows.append(
                m.Expert(
                    name=self.person_name(),
                    id_number=self.id_number(region, born=(1958, 1988)),
                    title=r.choice(EXPERT_TITLES),
                    specialties=specialties,
                    pool=pool,
                    employer=employer,
                    employer_enterprise_id=employer_enterprise,
                    employer_agency=employer_agency,
                    phone=self.phone(),
                    email=f"expert{r.randrange(10**6):06d}@example.cn" if r.random() < 0.6 else "",
                    is_active=r.random() > 0.05,
                )
            )
        with transaction.atomic():
            rows = m.Expert.objects.bulk_create(rows, batch_size=self.batch_size)
            self.audit_summary(m.Expert, len(rows), ids=[x.pk for x in rows])
        self.say(f"  专家 {len(rows)} 人\n")
        return rows


# ---------------------------------------------------------------------------------------------
# Demo accounts

DEMO_ACCOUNTS = (
    # username, role, full name, link
    ("demo_county", Role.COUNTY, "县局演示账号", None),
    ("demo_town", Role.TOWN, "罗星街道安监办演示账号", ("town", "罗星街道")),
    ("demo_town2", Role.TOWN, "西塘镇安监办演示账号", ("town", "西塘镇")),
    ("demo_enterprise", Role.ENTERPRISE, "企业演示账号", ("enterprise", "罗星街道")),
    ("demo_agency", Role.AGENCY, "服务机构演示账号", ("agency", None)),
    ("demo_expert", Role.EXPERT, "专家演示账号", ("expert", None)),
    ("demo_insurer", Role.INSURER, "保险机构演示账号", ("insurer", None)),
    ("demo_association", Role.ASSOCIATION, "行业协会演示账号", ("association", None)),
)


def ensure_demo_accounts() -> list:
    """Create the missing demo accounts (one per role). Refused when DEBUG is off."""
    from safeserve.accounts.demo import DEMO_PASSWORD, assert_demo_allowed
    from safeserve.accounts.models import User

    assert_demo_allowed()
    existing = set(User.objects.filter(username__startswith="demo_").values_list("username", flat=True))
    password = None
    created = []
    for username, role, full_name, link in DEMO_ACCOUNTS:
        if username in existing:
            continue
        links = {}
        if link:
            kind, hint = link
            target = _demo_target(kind, hint)
            if target is None:
                continue
            links[kind] = target
        password = password or make_password(DEMO_PASSWORD)  # hash once: PBKDF2 is slow on purpose
        user = User(username=username, role=role, full_name=full_name, password=password, **links)
        user.full_clean(exclude=["password"])
        user.save()
        created.append(user)
    if created:
        for user in created:
            AuditLog.objects.create(
                actor=None,
                actor_name=SEED_NOTE,
                action=AuditAction.CREATE,
                content_type=ContentType.objects.get_for_model(User),
                object_id=str(user.pk),
                object_repr=user.username,
                changes={"username": [None, user.username], "role": [None, user.role]},
                note=SEED_NOTE,
            )
    return created


def _demo_target(kind, hint):
    if kind == "town":
        return m.Town.objects.filter(name=hint).first()
    if kind == "enterprise":
        qs = m.Enterprise.objects.filter(status="active")
        return (
            qs.filter(town__name=hint, associations__isnull=False).order_by("id").first() or qs.order_by("id").first()
        )
    if kind == "association":
        demo_ent = _demo_target("enterprise", "罗星街道")
        qs = m.Association.objects.order_by("id")
        return (qs.filter(members=demo_ent).first() if demo_ent else None) or qs.first()
    if kind == "agency":
        return m.Agency.objects.filter(is_active=True).order_by("id").first()
    if kind == "expert":
        return m.Expert.objects.filter(is_active=True).order_by("id").first()
    if kind == "insurer":
        return m.Insurer.objects.order_by("id").first()
    return None


# ---------------------------------------------------------------------------------------------
# Reset

SEEDED_USERS = ("demo_", "bench_", "seed_")  # seed_: demo people without a login (certified inspectors)


def _release_seeded_users(doomed) -> None:
    """The demo's draws go with the demo (they name the demo officers who froze and drew them), and a
    kept configuration row (a rule table, an assessment scheme) that a demo officer made forgets its
    maker, so that no protected reference stops the demo accounts from being cleared."""
    from django.apps import apps
    from django.db.models import PROTECT

    from safeserve.accounts.models import User
    from safeserve.core.models import Draw

    Draw.objects.all().delete()
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if f.many_to_one and f.related_model is User and f.null and f.remote_field.on_delete is PROTECT:
                model._base_manager.filter(**{f"{f.name}__in": doomed}).update(**{f.name: None})


def reset_registry(stdout=None):
    """Delete the registry's organisations and people (not the industries) and the demo/bench users.

    Fast path: plain DELETEs in dependency order. If another app's rows still point at them the
    database refuses at commit, and the slow path (the ORM, which follows on_delete) runs instead.
    """
    from django.db.models import Q

    from safeserve.accounts.models import User

    q = Q()
    for prefix in SEEDED_USERS:
        q |= Q(username__startswith=prefix)
    doomed = User.objects.filter(q)
    _release_seeded_users(doomed)
    doomed.delete()
    Member = m.Association.members.through
    order = [
        Member,
        m.Association,
        m.Expert,
        m.AgencyStaff,
        m.AgencyQualification,
        m.Agency,
        m.Insurer,
        m.Enterprise,
        m.Village,
        m.Town,
    ]
    try:
        with transaction.atomic(), connection.cursor() as cur:
            qn = connection.ops.quote_name
            for model in order:
                cur.execute(f"DELETE FROM {qn(model._meta.db_table)}")  # noqa: S608 - table names from models
    except IntegrityError:
        if stdout:
            stdout.write("  其他模块仍引用这些记录，改用逐级删除（较慢）……\n")
        with transaction.atomic():
            for model in order:
                model.objects.all().delete()
