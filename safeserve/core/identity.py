"""Chinese identity codes: 统一社会信用代码 (GB 32100-2015) and 居民身份证号 (GB 11643-1999)."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(rf"^[{CREDIT_CHARSET}]{{18}}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def normalize_text(value) -> str:
    """Full-width to half-width (NFKC), collapse whitespace, strip. None becomes ''."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return re.sub(r"\s+", " ", text).strip()


def normalize_code(value) -> str:
    return re.sub(r"\s+", "", normalize_text(value)).upper()


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = value or ""
    if len(code) != 18:
        raise ValidationError(_("统一社会信用代码应为18位，当前为%(n)d位"), code="length", params={"n": len(code)})
    if not _CREDIT_RE.match(code):
        raise ValidationError(_("统一社会信用代码含有非法字符（不可使用 I、O、Z、S、V）"), code="charset")
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位错误"), code="checksum")


def id_number_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def validate_id_number(value: str) -> None:
    code = (value or "").upper()
    if not re.match(r"^\d{17}[\dX]$", code):
        raise ValidationError(_("身份证号应为18位，前17位为数字，末位为数字或X"), code="format")
    if id_number_check_char(code[:17]) != code[17]:
        raise ValidationError(_("身份证号校验位错误"), code="checksum")


def mask(value: str, kind: str) -> str:
    """Mask personal data: phones keep 3+4, ID numbers keep 6+4, anything else its first char."""
    if not value:
        return value
    if kind == "phone" and len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    if kind == "id" and len(value) >= 10:
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    return value[:1] + "*" * (len(value) - 1)
