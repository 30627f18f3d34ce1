import pytest
from django.core.exceptions import ValidationError

from safeserve.core.identity import (
    mask,
    normalize_code,
    normalize_text,
    validate_credit_code,
    validate_id_number,
)

REAL_CODES = ["914403001922038216", "9144030071526726XG", "91350100M000100Y43"]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_credit_codes_pass(code):
    validate_credit_code(code)


@pytest.mark.parametrize(
    "code,why",
    [
        ("914403001922038217", "checksum"),  # last char changed
        ("91440300192203821", "length"),
        ("9144030019220382I6", "charset"),  # I is not allowed
        ("", "length"),
    ],
)
def test_bad_credit_codes_fail_with_reason(code, why):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(code)
    assert exc.value.code == why


def test_every_single_character_change_breaks_the_checksum():
    code = REAL_CODES[0]
    for i in range(17):
        for c in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            if c == code[i]:
                continue
            with pytest.raises(ValidationError):
                validate_credit_code(code[:i] + c + code[i + 1 :])


def test_id_number_check():
    validate_id_number("11010519491231002X")
    with pytest.raises(ValidationError):
        validate_id_number("110105194912310021")
    with pytest.raises(ValidationError):
        validate_id_number("11010519491231002")


def test_normalisation_of_full_width_and_whitespace():
    assert normalize_code(" ９１４４０３００１９２２０３８２１６\u3000") == "914403001922038216"
    assert normalize_text("  嘉善县\u3000罗星街道  １号 ") == "嘉善县 罗星街道 1号"
    assert normalize_text(None) == ""


def test_masking():
    assert mask("13812345678", "phone") == "138****5678"
    assert mask("11010519491231002X", "id") == "110105********002X"
    assert mask("张三", "name") == "张*"
    assert mask("", "phone") == ""
