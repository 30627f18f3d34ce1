from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, DELETE, VIEW, perms
from safeserve.core.fieldperms import ALL

APP = "experts"

# Which rows each permitted action reaches is the models' scope_q: an expert only their own profile,
# interests, periods away, invitations, jobs and ratings; a town the requests it made or about its
# enterprises; an enterprise the accepted jobs about itself.
ROLE_PERMISSIONS = {
    Role.COUNTY: perms(APP, "specialty", *CRUD)
    | perms(APP, "expertprofile", VIEW, ADD, CHANGE)
    | perms(APP, "absence", *CRUD)
    | perms(APP, "interest", *CRUD)
    | perms(APP, "expertrequest", VIEW, ADD, CHANGE)
    | perms(APP, "invitation", VIEW, CHANGE)
    | perms(APP, "rating", VIEW, ADD)
    | perms(APP, "removalproposal", VIEW, CHANGE),
    Role.TOWN: perms(APP, "specialty", VIEW)
    | perms(APP, "expertrequest", VIEW, ADD, CHANGE)
    | perms(APP, "invitation", VIEW)
    | perms(APP, "rating", ADD),
    Role.ENTERPRISE: perms(APP, "invitation", VIEW),
    Role.EXPERT: perms(APP, "specialty", VIEW)
    | perms(APP, "expertprofile", VIEW, CHANGE)
    | perms(APP, "absence", VIEW, ADD, DELETE)
    | perms(APP, "interest", VIEW, ADD, DELETE)
    | perms(APP, "invitation", VIEW, CHANGE)
    | perms(APP, "rating", VIEW),
}

# Which fields each role may write (core.fieldperms). Everything here is written by experts.actions;
# the profile form lets an expert change their own specialties and certificates, never their status.
WRITABLE_FIELDS = {
    "specialty": {Role.COUNTY: ALL},
    "expertprofile": {
        Role.COUNTY: {"specialty_list", "certificates"},
        Role.EXPERT: {"specialty_list", "certificates"},
    },
    "absence": {Role.COUNTY: ALL, Role.EXPERT: {"start", "end", "reason"}},
    "interest": {
        Role.COUNTY: {"kind", "enterprise", "party_name", "start", "end", "note"},
        Role.EXPERT: {"kind", "enterprise", "party_name", "start", "end", "note"},
    },
    "expertrequest": {},
    "invitation": {},
    "rating": {},
    "removalproposal": {},
}
