from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, VIEW, perms
from safeserve.core.fieldperms import ALL, Except

APP = "insurance"
RECORDS = ("policy", "preventionplan", "preventionexpense", "complaint", "claim", "evaluation")


def _view(*models):
    out = set()
    for m in models:
        out |= perms(APP, m, VIEW)
    return out


ROLE_PERMISSIONS = {
    # The county reads every policy and sets the yearly floating-rate table; it never writes a policy
    # (the platform records insurers' policies and assigns nobody).
    Role.COUNTY: _view(*RECORDS)
    | perms(APP, "premiumruletable", *CRUD)
    | {f"{APP}.view_ledger", f"{APP}.view_uninsured"},
    # A town reads the policies of its enterprises, and who in its town lacks a mandatory policy.
    Role.TOWN: _view(*RECORDS, "premiumruletable") | {f"{APP}.view_ledger", f"{APP}.view_uninsured"},
    # The insured reads its own file and files complaints about the prevention services.
    Role.ENTERPRISE: _view(*RECORDS) | perms(APP, "complaint", ADD),
    # Insurer staff write their own policies, plans, ledger and claims, and answer complaints.
    Role.INSURER: perms(APP, "policy", *CRUD)
    | perms(APP, "preventionplan", *CRUD)
    | perms(APP, "preventionexpense", *CRUD)
    | perms(APP, "claim", *CRUD)
    | perms(APP, "evaluation", *CRUD)
    | perms(APP, "complaint", VIEW, ADD)
    | _view("premiumruletable")
    | {f"{APP}.answer_complaint", f"{APP}.view_ledger"},
}

WRITABLE_FIELDS = {
    # The insurer is the writer's own (set by the action); the computed rate only by the rule table.
    "policy": {Role.INSURER: Except({"insurer", "rate_computed", "rate_explanation"})},
    "premiumruletable": {Role.COUNTY: ALL},
    "preventionplan": {Role.INSURER: {"add": Except({"contract"}), "change": Except({"contract", "policy"})}},
    "preventionexpense": {Role.INSURER: ALL},
    # A complaint's handling (deadline, extension, answer) moves only through its actions.
    "complaint": {
        Role.INSURER: {"add": {"policy", "received_on", "complainant", "content", "needs_checking"}, "change": set()},
        Role.ENTERPRISE: {"add": {"policy", "received_on", "complainant", "content", "needs_checking"}},
    },
    "claim": {Role.INSURER: ALL},
    # The yearly evaluation's figures and its writer are set by its action; the policy stays once chosen.
    "evaluation": {
        Role.INSURER: {
            "add": Except({"written_by", "visits_planned", "visits_done", "hazards_found", "hazards_closed"}),
            "change": Except(
                {"policy", "written_by", "visits_planned", "visits_done", "hazards_found", "hazards_closed"}
            ),
        }
    },
}


# ---- appointments (AQ 9010 advance confirmation)
# Officers and the insured read appointments; the plan's agency and the insurer propose (add) and
# reschedule or cancel (change); the insured confirms or declines (change). Which row and which step
# is the transitions table's (transitions.py); every field is written by the actions only.
for _role in (Role.COUNTY, Role.TOWN):
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | perms(APP, "appointment", VIEW)
ROLE_PERMISSIONS[Role.ENTERPRISE] = ROLE_PERMISSIONS[Role.ENTERPRISE] | perms(APP, "appointment", VIEW, CHANGE)
ROLE_PERMISSIONS[Role.INSURER] = ROLE_PERMISSIONS[Role.INSURER] | perms(APP, "appointment", VIEW, ADD, CHANGE)
ROLE_PERMISSIONS[Role.AGENCY] = perms(APP, "appointment", VIEW, ADD, CHANGE)


# ---- expert prevention visits (AQ 9010: a plan served by an expert)
# The plan's expert records its visits (add); the insurer reads its policies' and may record one on
# the expert's behalf; officers and the insured read (the insured confirms: its own action, on the
# view permission and its identity). A chained record is never changed or deleted; every field is
# written by ``actions.prevention_visit_record`` only.
for _role in (Role.COUNTY, Role.TOWN, Role.ENTERPRISE):
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | perms(APP, "preventionvisit", VIEW)
ROLE_PERMISSIONS[Role.INSURER] = ROLE_PERMISSIONS[Role.INSURER] | perms(APP, "preventionvisit", VIEW, ADD)
ROLE_PERMISSIONS[Role.EXPERT] = perms(APP, "preventionvisit", VIEW, ADD)
