"""The pages of a purchase: the form shows each rule's reason, the project page shows the checks,
the performance and the payments; the budget view, its export and the public page."""

import io
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from safeserve.core import hooks
from safeserve.procurement import queries
from safeserve.procurement.models import Project
from safeserve.registry.models import Enterprise
from safeserve_dev.procurement_fixtures import extend_world, make_awarded

TODAY = timezone.localdate()


def form_data(world, **over):
    d = {
        "name": "小微企业隐患排查",
        "year": TODAY.year,
        "budget": "200000",
        "service_type": "consulting",
        "subject": "hazard_inspection",
        "target_mode": "list",
        "target_codes": world["ent_a"].credit_code,
        "method": "inquiry",
        "start_date": TODAY.isoformat(),
        "term_months": "12",
        "visits_per_year": "4",
    }
    d.update(over)
    return d


def test_the_form_shows_why_a_project_is_refused(world, client_for):
    c = client_for("town_a")
    url = reverse("procurement:project_add")
    assert c.get(url).status_code == 200
    r = c.post(url, form_data(world, subject="admin_inspection"))
    assert r.status_code == 200 and "不得购买服务" in r.content.decode()
    r = c.post(url, form_data(world, term_months="48", stable_justification="稳定"))
    assert "不得超过 36 个月" in r.content.decode()
    Enterprise.objects.filter(pk=world["ent_a"].pk).update(is_hazchem=True)
    r = c.post(url, form_data(world, service_type="evaluation", subject="evaluation"))
    assert "应自行承担" in r.content.decode()
    assert not Project.objects.exists()
    r = c.post(url, form_data(world))
    assert r.status_code == 302
    p = Project.objects.get()
    page = c.get(p.get_absolute_url()).content.decode()
    assert p.number in page and world["ent_a"].name in page and "step-approve" in page


def test_the_project_page_shows_performance_and_payments(world, client_for):
    p = make_awarded(world)
    page = client_for("town_a").get(p.get_absolute_url()).content.decode()
    for text in ("履约情况", "目标企业", "服务费支付", "验收前最多还可支付", "pay-form", "step-evaluate"):
        assert text in page, text
    r = client_for("town_a").post(
        reverse("procurement:payment_add", args=[p.pk]),
        {"kind": "progress", "amount": "60000", "paid_on": TODAY.isoformat()},
    )
    assert r.status_code == 200 and "不得超过合同金额的 70%" in r.content.decode()
    # The supplier sees its own project, no forms.
    page = client_for("agency_a").get(p.get_absolute_url()).content.decode()
    assert "履约情况" in page and "pay-form" not in page and "step-" not in page


def test_the_evaluation_page_suggests_points_and_records_the_grade(world, client_for):
    p = make_awarded(world)
    c = client_for("town_a")
    url = reverse("procurement:evaluate", args=[p.pk])
    assert "目标企业服务覆盖率" in c.get(url).content.decode()
    from safeserve.procurement.actions import active_scheme

    data = {f"score_{i.key}": str(i.max_points - 1) for i in active_scheme().indicators.all()}
    data["accepted"] = "on"
    r = c.post(url, data)
    assert r.status_code == 302
    p.refresh_from_db()
    assert p.status == "evaluated" and p.evaluation.total == Decimal(90) and p.evaluation.grade == "excellent"


def test_budget_view_and_export(world, client_for):
    extend_world(world)
    rows = queries.budget_rows(world.user("county"))
    a = next(r for r in rows if r["buyer"] == world["town_a"].name)
    # Town A: three projects of 100,000 each; one awarded at 80,000, 10,000 paid.
    assert (a["projects"], a["budget"], a["committed"], a["paid"], a["remaining"], a["to_pay"]) == (
        3,
        Decimal("300000"),
        Decimal("80000"),
        Decimal("10000"),
        Decimal("220000"),
        Decimal("70000"),
    )
    assert [r["buyer"] for r in queries.budget_rows(world.user("town_a"))] == [world["town_a"].name]
    page = client_for("town_a").get(reverse("procurement:budget")).content.decode()
    assert world["town_a"].name in page and world["town_b"].name not in page
    resp = client_for("town_a").get(reverse("procurement:budget_export"))
    wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content)))
    text = "\n".join(str(v) for row in wb.active.iter_rows(values_only=True) for v in row if v is not None)
    assert world["town_a"].name in text and world["town_b"].name not in text and "80000" in text
    assert client_for("town_a").get(reverse("procurement:budget"), {"year": "x"}).status_code == 400
    assert client_for("agency_a").get(reverse("procurement:budget")).status_code == 403


def test_the_public_page_shows_key_terms_and_no_person(world, client):
    extend_world(world)
    page = client.get(reverse("procurement:public")).content.decode()
    p = world["perf_a"]
    for text in (p.number, world["town_a"].name, world["agency_a"].name, "80000.00", p.contract.start_date.isoformat()):
        assert text in page, text
    assert world["proc_a"].number not in page  # not awarded: not published
    for secret in ("13900000001", "赵工", "李四", world["ent_a"].name):
        assert secret not in page
    section = next(s for s in (f(None) for f in hooks.PUBLIC_SECTIONS) if s and s["key"] == "procurement")
    assert section["url"] == reverse("procurement:public") and "2" in str(section["summary"])
