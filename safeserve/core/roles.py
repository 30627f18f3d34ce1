"""core's own grants (accounts.roles merges every app's ``ROLE_PERMISSIONS``). core sits below
accounts, so roles are named by their stored value."""

ROLE_PERMISSIONS = {
    # Every draw, whatever app made it, is readable by the county bureau (core.models.Draw.scope_q).
    "county": {"core.view_draw"},
}
