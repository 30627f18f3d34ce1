from safeserve.accounts.choices import Role
from safeserve.accounts.roles import CHANGE, VIEW, perms

# Every role has an inbox; visible_to limits it to the user's own messages. The county watches
# deliveries that failed or are still pending, and may send one again (change = retry).
ROLE_PERMISSIONS = {role: perms("notifications", "notification", VIEW, CHANGE) for role in Role.values}
ROLE_PERMISSIONS[Role.COUNTY] = ROLE_PERMISSIONS[Role.COUNTY] | perms("notifications", "delivery", VIEW, CHANGE)
