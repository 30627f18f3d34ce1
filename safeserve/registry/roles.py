from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, VIEW, perms

APP = "registry"
REFERENCE = perms(APP, "town", VIEW) | perms(APP, "village", VIEW) | perms(APP, "industry", VIEW)
DIRECTORY = perms(APP, "agency", VIEW) | perms(APP, "agencyqualification", VIEW)

ROLE_PERMISSIONS = {
    Role.COUNTY: set().union(
        *(
            perms(APP, m, *CRUD)
            for m in (
                "town",
                "village",
                "industry",
                "enterprise",
                "agency",
                "agencyqualification",
                "agencystaff",
                "expert",
                "insurer",
                "association",
            )
        )
    ),
    Role.TOWN: REFERENCE
    | DIRECTORY
    | perms(APP, "village", ADD, CHANGE)
    | perms(APP, "enterprise", VIEW, ADD, CHANGE)
    | perms(APP, "insurer", VIEW)
    | perms(APP, "agencystaff", VIEW)
    | perms(APP, "expert", VIEW)
    | perms(APP, "association", VIEW),
    Role.ENTERPRISE: REFERENCE
    | DIRECTORY
    | perms(APP, "enterprise", VIEW, CHANGE)
    | perms(APP, "insurer", VIEW)
    | perms(APP, "association", VIEW),
    Role.AGENCY: perms(APP, "industry", VIEW)
    | perms(APP, "agency", VIEW, CHANGE)
    | perms(APP, "agencyqualification", *CRUD)
    | perms(APP, "agencystaff", *CRUD),
    Role.EXPERT: perms(APP, "industry", VIEW) | perms(APP, "expert", VIEW, CHANGE),
    Role.INSURER: perms(APP, "industry", VIEW) | perms(APP, "insurer", VIEW, CHANGE) | DIRECTORY,
    Role.ASSOCIATION: perms(APP, "industry", VIEW)
    | perms(APP, "association", VIEW, CHANGE)
    | perms(APP, "enterprise", VIEW)
    | DIRECTORY,
}
