from safeserve.accounts.choices import Role
from safeserve.accounts.roles import ADD, CHANGE, CRUD, VIEW, perms
from safeserve.core.fieldperms import ALL

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
    | perms(APP, "agencystaff", VIEW)  # only the people who serve it (AgencyStaff.scope_q)
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

# Which fields each role may write (core.fieldperms): officers keep the register; each organisation
# keeps only its own contact data. Rows are still limited by ``visible_to`` (a town officer cannot
# move an enterprise out of its town), and the role must hold the change/add permission above.
WRITABLE_FIELDS = {
    "town": {Role.COUNTY: ALL},
    "village": {Role.COUNTY: ALL, Role.TOWN: ALL},
    "industry": {Role.COUNTY: ALL},
    "enterprise": {
        Role.COUNTY: ALL,
        Role.TOWN: ALL,
        # Risk level, grade, status, flags, name, credit code, industry, town are the officers'.
        Role.ENTERPRISE: {"address", "employees", "legal_representative", "safety_manager", "safety_manager_phone"},
    },
    # Register status (is_active), service types and identity are the county's.
    "agency": {Role.COUNTY: ALL, Role.AGENCY: {"address", "contact_person", "contact_phone"}},
    "agencyqualification": {
        Role.COUNTY: ALL,
        # A new certificate is declared by the agency; its number and validity are then the county's
        # to correct (an agency cannot extend an expired date and use it at once).
        Role.AGENCY: {"add": ALL, "change": {"name", "issuer", "scope"}},
    },
    "agencystaff": {
        Role.COUNTY: ALL,
        # Identity and the registered-engineer certificate are fixed once declared; the agency keeps
        # the person's contact data and whether they still work there.
        Role.AGENCY: {"add": ALL, "change": {"phone", "title", "other_certificates", "is_active"}},
    },
    # Pool, in-pool status, identity and employer (used for recusal) are the county's.
    "expert": {Role.COUNTY: ALL, Role.EXPERT: {"title", "specialties", "phone", "email"}},
    "insurer": {Role.COUNTY: ALL, Role.INSURER: {"address", "contact_person", "contact_phone"}},
    # Members define what an association may see: the county keeps the list.
    "association": {Role.COUNTY: ALL, Role.ASSOCIATION: {"contact_person", "contact_phone"}},
}
