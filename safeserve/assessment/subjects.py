"""What each subject kind is: which records are graded, and who speaks for one of them."""

from dataclasses import dataclass
from typing import Any

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.registry.models import Agency, Town

from .choices import Subject


@dataclass(frozen=True)
class SubjectKind:
    model: Any
    role: str
    user_field: str  # the user's link to the graded record
    in_register: tuple = ()  # (field, value) the graded rows must have: an agency still in the register

    def rows(self):
        qs = self.model.objects.order_by(*self.model._meta.ordering or ["pk"])
        return qs.filter(**dict([self.in_register])) if self.in_register else qs

    def users(self, subject_id):
        return User.objects.filter(role=self.role, is_active=True, **{self.user_field: subject_id})


SUBJECTS = {
    Subject.TOWN: SubjectKind(Town, Role.TOWN, "town_id"),
    Subject.AGENCY: SubjectKind(Agency, Role.AGENCY, "agency_id", ("is_active", True)),
}
