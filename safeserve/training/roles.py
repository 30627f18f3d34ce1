from safeserve.accounts.choices import Role
from safeserve.accounts.roles import CRUD, VIEW, perms
from safeserve.core.fieldperms import ALL, Except

APP = "training"
CATALOGUE = perms(APP, "course", VIEW) | perms(APP, "trainingsession", VIEW)
RECORDS = perms(APP, "attendance", VIEW) | perms(APP, "certificate", VIEW)

# Which rows is models.*.scope_q: a provider (an agency) its own courses, sessions, trainees and
# certificates; an enterprise its own people; a town its enterprises' people; the county all.
ROLE_PERMISSIONS = {
    Role.COUNTY: perms(APP, "course", *CRUD) | perms(APP, "trainingsession", *CRUD) | RECORDS,
    Role.TOWN: CATALOGUE | RECORDS,
    Role.ENTERPRISE: CATALOGUE | RECORDS,
    Role.AGENCY: perms(APP, "course", *CRUD)
    | perms(APP, "trainingsession", *CRUD)
    | perms(APP, "attendance", *CRUD)
    | perms(APP, "certificate", *CRUD),
}

# An agency writes as itself (training.actions sets the provider); the county names the provider.
WRITABLE_FIELDS = {
    "course": {Role.COUNTY: ALL, Role.AGENCY: Except({"provider"})},
    "trainingsession": {Role.COUNTY: ALL, Role.AGENCY: ALL},
    "attendance": {Role.AGENCY: ALL},
    "certificate": {Role.AGENCY: Except({"provider"})},
}
