"""Accounts are managed by the county bureau; nobody else lists, reads or writes them."""

from safeserve.accounts.models import User
from safeserve.accounts.views import USER
from safeserve_dev import permsuite
from safeserve_dev.permsuite import PermissionCase, body_tests, permission_tests

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


# Only the county holds account permissions and it sees every account: widening User.scope_q alone
# changes nothing, so the self-test below opens the permission door too.
def test_the_suite_reports_a_widened_account_scope(world, db, monkeypatch):
    from safeserve.core.scoping import ALL

    monkeypatch.setattr(User, "scope_q", classmethod(lambda cls, user, action: ALL))
    monkeypatch.setattr(User, "has_perm", lambda self, perm, obj=None: True)  # and the door wide open
    text = "\n".join(permsuite.failures_of(permsuite.check_case, CASES[0], "town_b", world))
    for seen in ("list: expected 403/404, got 200", "forged delete b changed the database: accounts_user"):
        assert seen in text, text
