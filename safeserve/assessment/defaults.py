"""The default agency scheme (年度服务机构考评): indicators as data, adding up to 100.

The county creates a year's copy with one click (``actions.agency_scheme_default``) and edits it as
any other scheme (a used version is never changed: the change becomes the next version). Each source
is registered by the app that owns its records (docs/decisions/0043-agency-grading.md)."""

from decimal import Decimal

D = Decimal

AGENCY_SCHEME_NAME = "服务机构年度考评"

AGENCY_INDICATORS = [
    {"name": "抽查复核合格率", "weight": D(20), "source": "supervision.sampling_pass_rate", "rule": "linear",
     "low": D(60), "high": D(100)},
    {"name": "企业服务评价（平均分）", "weight": D(15), "source": "services.agency_rating", "rule": "linear",
     "low": D(3), "high": D(5)},
    {"name": "查实的投诉举报", "weight": D(15), "source": "tipoffs.agency_verified_reports", "rule": "deduction",
     "per_event": D(5), "floor": D(0)},
    {"name": "合同上门服务按时完成率", "weight": D(15), "source": "services.visits_on_time", "rule": "linear",
     "low": D(60), "high": D(100)},
    {"name": "服务记录及时确认率", "weight": D(10), "source": "services.visits_confirmed_on_time",
     "rule": "linear", "low": D(60), "high": D(100)},
    {"name": "专职持证人员（不少于5人）", "weight": D(15), "source": "supervision.staff_sufficiency",
     "rule": "pass_fail", "threshold": D(5), "direction": "gte"},
    {"name": "弄虚作假、租借资质（一票否决）", "weight": D(10), "source": "supervision.misconduct",
     "rule": "deduction", "per_event": D(10), "floor": D(0), "veto": True},
]  # fmt: skip
