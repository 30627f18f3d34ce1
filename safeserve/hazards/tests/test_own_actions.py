"""Nobody is notified of what they did themselves (notify's required ``actor``), whatever the kind."""

import inspect

import pytest

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.hazards import actions
from safeserve.notifications.actions import notify
from safeserve.notifications.models import Notification
from safeserve_dev.services_fixtures import make_contract

pytestmark = pytest.mark.django_db


def kinds(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_actor_is_a_required_argument_of_notify():
    # A caller cannot forget to say who acted: the argument has no default.
    assert inspect.signature(notify).parameters["actor"].default is inspect.Parameter.empty


def test_an_enterprise_is_not_notified_of_its_own_hazard_but_its_colleague_is(world):
    colleague = User.objects.create(username="ent_a_2", role=Role.ENTERPRISE, enterprise=world["ent_a"])
    me = world.user("ent_a")
    hazard = actions.hazard_report(
        actor=me,
        enterprise=world["ent_a"],
        location="仓库",
        description="灭火器过期",
        responsible_person="李四",
    )
    assert kinds(me) == []
    assert kinds(colleague) == ["hazard_reported"]
    actions.hazard_transition(actor=me, hazard=hazard, action="start")
    actions.hazard_transition(actor=me, hazard=hazard, action="submit", note="已更换灭火器")
    assert kinds(me) == []


def test_the_agency_that_accepts_is_not_told_of_its_own_acceptance(world):
    make_contract(world)
    colleague = User.objects.create(username="agency_a_2", role=Role.AGENCY, agency=world["agency_a"])
    agency = world.user("agency_a")
    hazard = actions.hazard_report(
        actor=agency,
        enterprise=world["ent_a"],
        location="冲压车间",
        description="光电保护失效",
        responsible_person="李四",
    )
    actions.hazard_transition(actor=world.user("ent_a"), hazard=hazard, action="start")
    actions.hazard_transition(actor=world.user("ent_a"), hazard=hazard, action="submit", note="已修复")
    actions.hazard_transition(actor=agency, hazard=hazard, action="accept", note="复查合格")
    # The enterprise hears of the report and of the acceptance; the accepting agency user of neither
    # its own report nor its own acceptance, while its colleague hears of the submission and acceptance.
    assert kinds(world.user("ent_a")) == ["hazard_accept", "hazard_reported"]
    assert "hazard_accept" not in kinds(agency) and "hazard_reported" not in kinds(agency)
    assert kinds(colleague) == ["hazard_accept", "hazard_submitted"]


def test_a_major_hazard_reported_by_a_town_officer_is_not_sent_back_to_them(world):
    from safeserve.hazards.models import MajorHazardCriterion

    officer = world.user("town_a")
    actions.hazard_report(
        actor=officer,
        enterprise=world["ent_a"],
        level="major",
        criterion=MajorHazardCriterion.objects.get(code="GM-1"),
        location="仓库",
        description="未统一协调管理",
        responsible_person="张三",
    )
    assert kinds(officer) == []
    assert kinds(world.user("county")) == ["hazard_major"]
