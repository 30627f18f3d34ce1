from safeserve.accounts.views import USER
from safeserve.core.permsuite import PermissionCase, permission_tests

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
