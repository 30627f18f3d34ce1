"""Accounts are managed by the county bureau; nobody else lists, reads or writes them. A town officer
only creates enterprise accounts of its own town (bulk or one click, ADR 0024)."""

from django.core import signing

from safeserve.accounts.models import User
from safeserve.accounts.views import CREDENTIALS_SALT, USER
from safeserve_dev import permsuite
from safeserve_dev.permsuite import PermissionCase, RouteCheck, body_tests, permission_tests, route_tests

world = permsuite.shared_world()

CASES = [
    PermissionCase(
        USER,
        "user_town_a",
        "user_town_b",
        label="username",
        view={"county": "ab"},
        change={"county": "ab"},
        delete={"county": "ab"},
        add={"county"},
    ),
]

test_permissions = permission_tests(CASES)
test_forged_edit_bodies_would_write = body_tests(CASES)

PROVISIONERS = {"county": "", "town_a": "", "town_b": ""}


def _county_sheet(world):
    rows = [["new_user", "新用户", "企业用户", "嘉善甲五金有限公司", "Initial-Passw0rd"]]
    return {"sheet": signing.dumps({"by": world.user("county").pk, "rows": rows}, salt=CREDENTIALS_SALT)}


ROUTE_CHECKS = [
    RouteCheck("accounts:user_import", PROVISIONERS, no_rows="an upload form"),
    # Without a file the upload answers the form with its error: nothing is written by anyone.
    RouteCheck("accounts:user_import", PROVISIONERS, method="post", data={"action": "upload"}),
    RouteCheck("accounts:user_import_template", PROVISIONERS, no_rows="an empty template (lists only)"),
    # The credential sheet is rebuilt from rows signed for the officer who ran the import: only that one.
    RouteCheck("accounts:user_import_credentials", {"county": ""}, method="post", data=_county_sheet),
    # One click on an enterprise: the county for any, a town officer for its own town's (another's: 404).
    RouteCheck(
        "accounts:safety_manager_account",
        {"county": "ab", "town_a": "a", "town_b": "b"},
        a="ent_a",
        b="ent_b",
        args=lambda o: [o.pk],
    ),
    RouteCheck(
        "accounts:safety_manager_account",
        {"county": "ab", "town_a": "a", "town_b": "b"},
        a="ent_a",
        b="ent_b",
        args=lambda o: [o.pk],
        method="post",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)


# Only the county holds account permissions and it sees every account: widening User.scope_q alone
# changes nothing, so the self-test below opens the permission door too.
def test_the_suite_reports_a_widened_account_scope(world, db, monkeypatch):
    from safeserve.core.scoping import ALL

    monkeypatch.setattr(User, "scope_q", classmethod(lambda cls, user, action: ALL))
    monkeypatch.setattr(User, "has_perm", lambda self, perm, obj=None: True)  # and the door wide open
    text = "\n".join(permsuite.failures_of(permsuite.check_case, CASES[0], "town_b", world))
    for seen in ("list: expected 403/404, got 200", "forged delete b changed the database: accounts_user"):
        assert seen in text, text
