"""Account writes: audited like every other write; passwords are hashed, never logged."""

from django.contrib.auth.hashers import make_password
from django.db import transaction

from safeserve.core import actions as core_actions
from safeserve.core.audit import AuditAction, record

from .models import User


@transaction.atomic
def user_save(*, actor, instance=None, data: dict, password: str = ""):
    if instance is None:
        return core_actions.create_record(
            actor=actor, model=User, data={**data, "password": make_password(password)}, system_fields=("password",)
        )
    user = core_actions.update_record(actor=actor, instance=instance, data=data)
    if password:
        user.set_password(password)
        user.save(update_fields=["password"])
        record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=user,
            changes={"password": ["***", "***"]},
            note="密码已重置",
        )
    return user
