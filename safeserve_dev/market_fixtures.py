"""Shared fixtures of the marketplace's needs and quotes (tests and the browser test)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.registry.models import Agency, AgencyStaff
from safeserve_dev.testkit import PASSWORD, make_credit_code, make_id_number


def second_consulting_agency(world):
    """agency_c: a consulting agency (unlicensed type, needs no qualification) with a user agency_c."""
    if "agency_c" in world.objs:
        return world["agency_c"]
    agency = Agency.objects.create(credit_code=make_credit_code(103), name="嘉善平安安全咨询有限公司",
                                   service_types=["consulting"])  # fmt: skip
    world.objs["agency_c"] = agency
    world.objs["staff_c"] = AgencyStaff.objects.create(
        agency=agency, name="孙工", id_number=make_id_number(3), phone="13700000003"
    )
    u = User(username="agency_c", role=Role.AGENCY, full_name="agency_c", agency=agency)
    u.set_password(PASSWORD)
    u.save()
    world.users["agency_c"] = u
    return agency


def need_data(**over):
    today = timezone.localdate()
    data = {
        "service_types": ["consulting"],
        "scope": "隐患排查每年4次，协助标准化创建",
        "visits_per_year": 4,
        "start_date": today + timedelta(days=10),
        "end_date": today + timedelta(days=375),
        "budget_min": Decimal("8000"),
        "budget_max": Decimal("15000"),
        "open_to_all": True,
        "show_name": False,
    }
    data.update(over)
    return data


def quote_data(**over):
    data = {
        "price": Decimal("12000"),
        "visits_per_year": 4,
        "items": ["hazard", "standardization"],
        "plan": "每季度上门排查一次，出具报告",
        "valid_until": timezone.localdate() + timedelta(days=30),
    }
    data.update(over)
    return data
