"""Who should hear about what: recipients by organisation, read through the user model."""

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User


def county_officers():
    return User.objects.filter(role=Role.COUNTY, is_active=True)


def town_officers(town_id):
    return User.objects.filter(role=Role.TOWN, town_id=town_id, is_active=True)


def enterprise_users(enterprise_id):
    return User.objects.filter(role=Role.ENTERPRISE, enterprise_id=enterprise_id, is_active=True)


def agency_users(agency_id):
    return User.objects.filter(role=Role.AGENCY, agency_id=agency_id, is_active=True)


def unread_count(user) -> int:
    from .models import Notification

    return Notification.objects.visible_to(user).filter(read_at__isnull=True).count()
