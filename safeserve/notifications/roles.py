from safeserve.accounts.choices import Role
from safeserve.accounts.roles import CHANGE, VIEW, perms

# Every role has an inbox; visible_to limits it to the user's own messages.
ROLE_PERMISSIONS = {role: perms("notifications", "notification", VIEW, CHANGE) for role in Role.values}
