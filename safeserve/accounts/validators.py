import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """A password needs at least three of: lower case, upper case, digits, symbols."""

    def validate(self, password, user=None):
        classes = [r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"]
        if sum(bool(re.search(c, password)) for c in classes) < 3:
            raise ValidationError(_("密码须至少包含小写字母、大写字母、数字、符号中的三类。"), code="password_classes")

    def get_help_text(self):
        return _("密码须至少包含小写字母、大写字母、数字、符号中的三类。")
