"""Eligibility with the refusing rule, the proposed amount, the cap per enterprise-year, the budget
(sequential and, on PostgreSQL, two approvals at once), payment, and the invoice upload door."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone, translation

from safeserve.subsidies import actions, rules
from safeserve.subsidies.models import SubsidyApplication
from safeserve_dev.services_fixtures import pdf, png
from safeserve_dev.subsidies_fixtures import make_own_contract, make_policy
from safeserve_dev.testfiles import hostile_photos, upload

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


def apply(world, contract, amount="8000.00", upload_file=None):
    return actions.application_submit(
        actor=world.user("ent_a"),
        contract=contract,
        invoice_amount=D(amount),
        invoice_number="FP-1",
        upload=upload_file or pdf("发票.pdf"),
    )


def test_an_eligible_enterprise_gets_share_of_the_fee(world):
    policy = make_policy(world)
    app = apply(world, make_own_contract(world, number="S-1", fee="8000.00"))
    assert app.policy == policy and app.status == "submitted"
    assert app.proposed_amount == D("4000.00")  # 50% of 8000, under the 5000 cap
    assert app.invoice_sha256 and app.invoice.name.endswith(".pdf")
    # The fee paid is the smaller of the contract's fee and the invoice.
    app2 = apply(world, make_own_contract(world, number="S-2", fee="8000.00"), amount="600.00")
    assert app2.proposed_amount == D("300.00")


@pytest.mark.parametrize(
    ("change", "rule", "sentence"),
    [
        ({"is_hazchem": True}, "hazchem", "危险化学品生产、经营、储存单位原则上由企业自行承担服务费用"),
        ({"has_major_hazard_source": True}, "major_hazard", "存在重大危险源的单位原则上由企业自行承担服务费用"),
        ({"size_class": "medium"}, "size", "本政策只补贴小型、微型企业"),
        ({"status": "suspended"}, "status", "仅在业企业可以申请"),
    ],
)
def test_an_ineligible_enterprise_is_refused_with_the_rule(world, change, rule, sentence):
    make_policy(world)
    type(world["ent_a"]).objects.filter(pk=world["ent_a"].pk).update(**change)
    contract = make_own_contract(world, number="S-1")
    with pytest.raises(ValidationError) as info:
        apply(world, contract)
    assert rule in [e.code for e in info.value.error_list]
    assert any(sentence in m for m in info.value.messages), info.value.messages
    assert not SubsidyApplication.objects.exists()


def test_the_refusal_shows_on_the_page(world, client_for):
    make_policy(world)
    type(world["ent_a"]).objects.filter(pk=world["ent_a"].pk).update(is_hazchem=True)
    contract = make_own_contract(world, number="S-1")
    resp = client_for("ent_a").post(
        reverse("subsidies:subsidyapplication_add"),
        {"contract": contract.pk, "invoice_number": "FP-1", "invoice_amount": "8000", "invoice": pdf()},
    )
    assert resp.status_code == 400
    assert "危险化学品生产、经营、储存单位原则上由企业自行承担服务费用" in resp.content.decode()
    assert not SubsidyApplication.objects.exists()


def test_industry_outside_the_policy_is_refused(world):
    policy = make_policy(world)
    policy.industry_codes = ["F"]
    policy.save()
    with pytest.raises(ValidationError, match="不在本政策适用行业"):
        apply(world, make_own_contract(world, number="S-1"))
    # A division code counts as much as its section.
    policy.industry_codes = ["C33"]
    policy.save()
    assert apply(world, make_own_contract(world, number="S-2")).proposed_amount > 0


def test_eligible_q_agrees_with_the_rules(world):
    from safeserve.registry.models import Enterprise

    policy = make_policy(world)
    ent = Enterprise.objects.select_related("industry__parent").get(pk=world["ent_a"].pk)
    assert Enterprise.objects.filter(rules.eligible_q(policy), pk=ent.pk).exists() and not rules.refusals(policy, ent)
    Enterprise.objects.filter(pk=ent.pk).update(has_major_hazard_source=True)
    ent.refresh_from_db()
    assert not Enterprise.objects.filter(rules.eligible_q(policy), pk=ent.pk).exists()
    assert [r.code for r in rules.refusals(policy, ent)] == ["major_hazard"]


@pytest.mark.parametrize(
    ("contract_kw", "message"),
    [
        ({"payer_type": "town"}, "政府购买服务"),
        ({"status": "draft"}, "合同尚未生效"),
    ],
)
def test_only_own_signed_enterprise_paid_contracts(world, contract_kw, message):
    make_policy(world)
    with pytest.raises(ValidationError, match=message):
        apply(world, make_own_contract(world, number="S-1", **contract_kw))


def test_another_enterprises_contract_and_a_second_application_are_refused(world):
    make_policy(world, "town_b")
    make_policy(world)
    with pytest.raises(ValidationError, match="只能为本企业的服务合同申请补贴"):
        apply(world, make_own_contract(world, "ent_b", number="S-B"))
    contract = make_own_contract(world, number="S-1")
    first = apply(world, contract)
    with pytest.raises(ValidationError, match=first.number):
        apply(world, contract)


def test_no_published_policy_no_application(world):
    make_policy(world, status="draft")
    with pytest.raises(ValidationError, match="尚未发布"):
        apply(world, make_own_contract(world, number="S-1"))
    other_year = make_own_contract(world, number="S-2", y=timezone.localdate().year - 1)
    with pytest.raises(ValidationError, match="尚未发布"):
        apply(world, other_year)


def _approve(world, app, amount=None, persona="town_a"):
    return actions.application_step(actor=world.user(persona), application=app, action="approve", amount=amount)


def test_cap_per_enterprise_and_year(world):
    make_policy(world, cap="5000.00")
    a1 = apply(world, make_own_contract(world, number="S-1", fee="8000.00"))
    _approve(world, a1)  # 4000 granted
    a2 = apply(world, make_own_contract(world, number="S-2", fee="8000.00"))
    assert a2.proposed_amount == D("1000.00")  # what is left under the cap
    a3 = apply(world, make_own_contract(world, number="S-3", fee="8000.00"))
    assert a3.proposed_amount == D("1000.00")  # a2 is not granted yet
    _approve(world, a2)
    with pytest.raises(ValidationError, match="超过每家企业年度上限"):
        _approve(world, a3)  # re-checked at approval: the cap is reached
    with pytest.raises(ValidationError, match="已达每家企业年度上限"):
        apply(world, make_own_contract(world, number="S-4"))


def test_approval_may_lower_never_raise(world):
    make_policy(world)
    app = apply(world, make_own_contract(world, number="S-1"))
    with pytest.raises(ValidationError, match="不能超过测算补贴"):
        _approve(world, app, D("4000.01"))
    app = _approve(world, app, D("3000.00"))
    assert (app.status, app.approved_amount) == ("approved", D("3000.00")) and app.reason


def test_budget_is_never_overspent_sequentially(world):
    policy = make_policy(world, budget="6000.00")
    a1 = apply(world, make_own_contract(world, number="S-1", fee="8000.00"))  # 4000
    type(world["ent_b"]).objects.filter(pk=world["ent_b"].pk).update(town=world["town_a"], village=None)
    from safeserve.accounts.models import User

    ent_b_user = User.objects.create(username="ent_b", role="enterprise", enterprise=world["ent_b"])
    world.users["ent_b"] = ent_b_user
    c2 = make_own_contract(world, "ent_b", number="S-2", fee="8000.00")
    a2 = actions.application_submit(
        actor=ent_b_user, contract=c2, invoice_amount=D("8000"), invoice_number="FP-2", upload=pdf()
    )
    _approve(world, a1)
    with pytest.raises(ValidationError, match=r"超出补贴预算：预算 6000\.00 元，已批准 4000\.00 元，剩余 2000\.00 元"):
        _approve(world, a2)
    a2 = _approve(world, a2, D("2000.00"))  # what is left fits
    assert actions.granted_under(policy.pk) == policy.budget


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: SQLite has no row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_approvals_cannot_overspend_the_budget():
    """Two officers approve at once: each application alone fits the budget, both together exceed it.
    The policy row lock makes the second wait and re-read: exactly one succeeds."""
    from safeserve.accounts.models import User
    from safeserve_dev.testkit import build_world

    world = build_world()
    policy = make_policy(world, budget="5000.00")
    type(world["ent_b"]).objects.filter(pk=world["ent_b"].pk).update(town=world["town_a"], village=None)
    ent_b_user = User.objects.create(username="ent_b", role="enterprise", enterprise=world["ent_b"])
    a1 = apply(world, make_own_contract(world, number="S-1", fee="8000.00"))
    a2 = actions.application_submit(
        actor=ent_b_user,
        contract=make_own_contract(world, "ent_b", number="S-2", fee="8000.00"),
        invoice_amount=D("8000"),
        invoice_number="FP-2",
        upload=pdf(),
    )
    officer2 = User.objects.create(username="town_a2", role="town", town=world["town_a"])
    barrier = threading.Barrier(2)
    results = {}

    def run(key, app, actor):
        try:
            barrier.wait(timeout=10)
            actions.application_step(actor=actor, application=app, action="approve")
            results[key] = "ok"
        except ValidationError as exc:
            results[key] = " ".join(exc.messages)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=("a1", a1, world.user("town_a"))),
        threading.Thread(target=run, args=("a2", a2, officer2)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["a1", "a2"]
    assert list(results.values()).count("ok") == 1, results
    assert any("超出补贴预算" in v for v in results.values()), results
    assert actions.granted_under(policy.pk) == D("4000.00") <= policy.budget


def test_payment(world):
    make_policy(world)
    app = _approve(world, apply(world, make_own_contract(world, number="S-1")))
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="不能超过核定补贴"):
        actions.application_pay(
            actor=world.user("town_a"), application=app, paid_on=today, amount=D("4000.01"), voucher_number="PZ"
        )
    app = actions.application_pay(
        actor=world.user("town_a"), application=app, paid_on=today, amount=D("4000.00"), voucher_number="PZ-1"
    )
    assert (app.status, app.paid_amount, app.voucher_number) == ("paid", D("4000.00"), "PZ-1")


def test_reject_needs_a_reason(world):
    make_policy(world)
    app = apply(world, make_own_contract(world, number="S-1"))
    with pytest.raises(ValidationError, match="理由"):
        actions.application_step(actor=world.user("town_a"), application=app, action="reject")
    app = actions.application_step(actor=world.user("town_a"), application=app, action="reject", reason="发票不符")
    assert (app.status, app.reason) == ("rejected", "发票不符")
    # A rejected contract may be applied for again.
    assert apply(world, app.contract).status == "submitted"


# ---------------------------------------------------------------- the invoice door

PAYLOADS = hostile_photos()


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_hostile_invoice_uploads(world, client_for, settings, payload):
    make_policy(world)
    contract = make_own_contract(world, number="S-1")
    name, content, expected_format, reason = PAYLOADS[payload]
    files_before = {p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()} if settings.MEDIA_ROOT.exists() else set()
    resp = client_for("ent_a").post(
        reverse("subsidies:subsidyapplication_add"),
        {"contract": contract.pk, "invoice_number": "FP-1", "invoice_amount": "8000", "invoice": upload(name, content)},
    )
    if expected_format is None:
        text = resp.content.decode()
        assert resp.status_code == 400 and f"「{name}」" in text
        assert reason in text or "是网页或文本文件" in text
        assert not SubsidyApplication.objects.exists()
        files_after = (
            {p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()} if settings.MEDIA_ROOT.exists() else set()
        )
        assert files_after == files_before
    else:
        assert resp.status_code == 302
        app = SubsidyApplication.objects.get()
        served = client_for("town_a").get(reverse("subsidies:application_invoice", args=[app.pk]))
        assert served.status_code == 200 and served["X-Content-Type-Options"] == "nosniff"
        assert served["Content-Disposition"].startswith("attachment")


def test_a_photo_of_the_invoice_is_accepted(world, client_for):
    make_policy(world)
    contract = make_own_contract(world, number="S-1")
    resp = client_for("ent_a").post(
        reverse("subsidies:subsidyapplication_add"),
        {"contract": contract.pk, "invoice_number": "FP-1", "invoice_amount": "8000", "invoice": png("发票.png")},
    )
    assert resp.status_code == 302
    assert SubsidyApplication.objects.get().invoice.name.endswith(".png")


def test_an_active_pdf_is_refused(world, client_for):
    from safeserve.core.tests.test_uploads import _pdf, _with_javascript

    make_policy(world)
    contract = make_own_contract(world, number="S-1")
    js = _pdf(_with_javascript)
    resp = client_for("ent_a").post(
        reverse("subsidies:subsidyapplication_add"),
        {
            "contract": contract.pk,
            "invoice_number": "FP-1",
            "invoice_amount": "8000",
            "invoice": upload("发票.pdf", js),
        },
    )
    assert resp.status_code == 400 and "含有脚本" in resp.content.decode()
    assert not SubsidyApplication.objects.exists()


def test_size_limit(world, client_for, settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "UPLOAD_PDF_MAX_BYTES": 100}
    make_policy(world)
    contract = make_own_contract(world, number="S-1")
    resp = client_for("ent_a").post(
        reverse("subsidies:subsidyapplication_add"),
        {"contract": contract.pk, "invoice_number": "FP-1", "invoice_amount": "8000", "invoice": pdf()},
    )
    assert resp.status_code == 400 and "文件过大" in resp.content.decode()
