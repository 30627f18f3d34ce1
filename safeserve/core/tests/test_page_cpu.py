"""What the page-CPU work (docs/benchmarks.md, "Page CPU") keeps from one request to the next, and
what it must not: menu URLs and choice labels are shared; permissions, scope and rows are not."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from safeserve.accounts.models import User
from safeserve.hazards.models import Hazard


def _menu(client) -> set[str]:
    resp = client.get(reverse("home"))
    urls = set()
    for item in resp.context["nav_items"]:
        urls |= {child["url"] for child in item.get("children", [])} or {item["url"]}
    return urls


@pytest.mark.django_db
def test_the_menu_follows_a_permission_change_on_the_next_request(world):
    """The menu's URLs are reversed once per process; who sees which entry is decided every request."""
    user = world.user("county")
    c = Client()
    c.force_login(user)
    accounts = reverse("accounts:user_list")
    assert accounts in _menu(c)
    user.role, user.town = "town", world["town_a"]
    user.save()
    assert accounts not in _menu(c)
    user.role, user.town = "county", None
    user.save()
    assert accounts in _menu(c)


@pytest.mark.django_db
def test_role_permissions_need_a_scope_and_an_active_account(world):
    """RoleBackend.has_perm answers without copying the role's set, and still fails closed."""
    officer = world.user("town_a")
    assert officer.has_perm("hazards.view_hazard")
    assert not officer.has_perm("hazards.view_hazard", obj=Hazard())  # no per-object grants
    no_town = User.objects.create(username="no_town", role="town")
    assert not no_town.has_perm("hazards.view_hazard")  # a town officer with no town sees nothing
    officer.is_active = False
    assert not officer.has_perm("hazards.view_hazard")
    assert officer.get_all_permissions() == set()


@pytest.mark.django_db
def test_choice_labels_per_language_and_unknown_values_as_themselves():
    hazard = Hazard(level="major", state="closed")
    assert hazard.get_level_display() == "重大事故隐患"
    with translation.override("en"):
        assert hazard.get_level_display() == "Major accident hazard"
    assert hazard.get_level_display() == "重大事故隐患"
    hazard.level = "no-such-level"
    assert hazard.get_level_display() == "no-such-level"
    assert User(role="county").get_role_display() == "县局监管人员"


@pytest.mark.django_db
def test_list_rows_are_the_scoped_rows_of_the_requesting_user(world):
    """The generic list builds its cells lazily: still from the page of the user who asked."""
    a, b = Client(), Client()
    a.force_login(world.user("town_a"))
    b.force_login(world.user("town_b"))
    url = reverse("registry:enterprise_list")
    rows_a = {obj.town_id for obj, _cells in a.get(url).context["rows"]}
    rows_b = {obj.town_id for obj, _cells in b.get(url).context["rows"]}
    assert rows_a == {world["town_a"].pk} and rows_b == {world["town_b"].pk}


@pytest.mark.django_db
def test_the_menu_reads_the_same_permissions_as_has_perm(world):
    """The shell reads each user's permissions once; it must answer what has_perm answers."""
    from safeserve.core.context_processors import EXTRA_NAV, NAV, NAV_TAIL

    perms = {item[2] for item in NAV + EXTRA_NAV + NAV_TAIL if item[2]}
    admin = User.objects.create(username="root_user", is_superuser=True)
    for user in [*world.users.values(), admin]:
        user = User.objects.get(pk=user.pk)  # fresh, as each request loads it
        granted = user.get_all_permissions()
        for perm in perms:
            assert user.has_perm(perm) == ((user.is_active and user.is_superuser) or perm in granted), (user, perm)


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_menu_groups_declared_by_several_apps_form_one_dropdown_in_each_language(world, lang):
    """Apps each write their own _("社会化服务") for a group; the menu merges them by text, once."""
    c = Client()
    c.force_login(world.user("county"))
    resp = c.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=lang)
    groups = [item for item in resp.context["nav_items"] if "children" in item]
    labels = [str(g["label"]) for g in groups]
    assert len(labels) == len(set(labels)) >= 4, labels
    services = next(g for g in groups if str(g["label"]) in ("社会化服务", "Socialized services"))
    urls = {child["url"] for child in services["children"]}
    assert {reverse("services:servicecontract_list"), reverse("coverage:overview")} <= urls, urls
