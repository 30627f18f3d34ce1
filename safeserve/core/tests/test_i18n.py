"""Chinese UI by default, English through the language switch, dates in Asia/Shanghai."""

import ast
import gettext
import io
import re
import tokenize
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils.translation.template import templatize

from safeserve.core import actions

SOURCE = Path(settings.BASE_DIR) / "safeserve"
PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def switch_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    return client


@pytest.mark.django_db
def test_login_page_is_chinese_by_default():
    html = Client().get(reverse("login")).content.decode()
    assert '<html lang="zh-hans">' in html
    assert "用户名" in html and "密码" in html
    assert "Username" not in html


@pytest.mark.django_db
def test_chinese_browser_gets_chinese():
    html = Client(headers={"accept-language": "zh-CN,zh;q=0.9"}).get(reverse("login")).content.decode()
    assert '<html lang="zh-hans">' in html and "用户名" in html


@pytest.mark.django_db
def test_language_switch_turns_login_page_english():
    client = switch_to_english(Client())
    html = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in html
    assert "Username" in html and "Password" in html and "Log in" in html
    assert "用户名" not in html
    # and back again
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "用户名" in client.get(reverse("login")).content.decode()


def test_enterprise_list_in_chinese_then_english(client_for, world):
    client = client_for("town_a")
    url = reverse("registry:enterprise_list")
    zh = client.get(url).content.decode()
    assert "导出Excel" in zh and "统一社会信用代码" in zh and "小型" in zh

    switch_to_english(client)
    en = client.get(url).content.decode()
    assert '<html lang="en">' in en
    # page chrome, column labels (model verbose names) and choice labels are all translated
    for text in ("Enterprises", "Export to Excel", "Filter", "Unified social credit code", "Small", "Log out"):
        assert text in en, text
    for text in ("导出Excel", "统一社会信用代码", "筛选", "退出登录"):
        assert text not in en, text
    # data stays as entered
    assert world["ent_a"].name in en


def test_dates_are_shown_in_asia_shanghai(client_for, world):
    """An edit made at 16:30 UTC on 1 January is shown at 00:30 on 2 January (UTC+8)."""
    assert settings.TIME_ZONE == "Asia/Shanghai" and settings.USE_TZ
    ent = world["ent_a"]
    with time_machine.travel(datetime(2026, 1, 1, 16, 30, tzinfo=UTC), tick=False):
        actions.update_record(actor=world.user("town_a"), instance=ent, data={"employees": 21})
    url = reverse("registry:enterprise_detail", args=[ent.pk])
    for language in ("zh-hans", "en"):
        client = client_for("town_a")
        client.post("/i18n/setlang/", {"language": language, "next": "/"})
        html = client.get(url).content.decode()
        assert "2026-01-02 00:30" in html, language
        assert "2026-01-01 16:30" not in html, language


# --- the translation files -------------------------------------------------------------------


ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(s):
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), s)


def parse_po(path):
    """({msgid or (msgid, plural index): msgstr}, {fuzzy msgids}); entries are blank-line separated."""
    entries, fuzzy = {}, set()
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        fields, key, flags = {}, None, ""
        for line in block.strip().splitlines():
            if line.startswith("#,"):
                flags += line
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[key] += _unquote(line[1:-1])
            else:
                key, _, value = line.partition(" ")
                fields[key] = _unquote(value[1:-1])
        msgid = fields.get("msgid")
        if not msgid:
            continue  # header or obsolete entry
        if "msgid_plural" in fields:
            for k, v in fields.items():
                if k.startswith("msgstr["):
                    entries[(msgid, int(k[7:-1]))] = v
        else:
            entries[msgid] = fields.get("msgstr", "")
        if "fuzzy" in flags:
            fuzzy.add(msgid)
    return entries, fuzzy


def test_every_string_has_an_english_translation():
    entries, fuzzy = parse_po(PO)
    assert len(entries) > 150
    untranslated = [k for k, v in entries.items() if not v]
    assert untranslated == []
    assert fuzzy == set()


def test_compiled_mo_matches_po():
    """The committed django.mo is compiled from the committed django.po (recompile after editing)."""
    entries, _ = parse_po(PO)
    with MO.open("rb") as f:
        catalog = gettext.GNUTranslations(f)
    for key, msgstr in entries.items():
        if isinstance(key, tuple):
            msgid, index = key
            assert catalog._catalog.get((msgid, index)) == msgstr, msgid
        else:
            assert catalog.gettext(key) == msgstr, key


# The gettext keywords makemessages extracts, and which of their arguments are msgids
# (pgettext's first argument is a context).
KEYWORDS = {
    "_": (0,),
    "gettext": (0,),
    "gettext_lazy": (0,),
    "gettext_noop": (0,),
    "ngettext": (0, 1),
    "ngettext_lazy": (0, 1),
    "pgettext": (1,),
    "pgettext_lazy": (1,),
    "npgettext": (1, 2),
    "npgettext_lazy": (1, 2),
}


def msgids_in_python(source):
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            for i in KEYWORDS.get(name, ()):
                if (
                    i < len(node.args)
                    and isinstance(node.args[i], ast.Constant)
                    and isinstance(node.args[i].value, str)
                ):
                    found.add(node.args[i].value)
    return found


def msgids_in_template(source):
    """Through Django's own templatize (what makemessages feeds xgettext), without needing xgettext."""
    found, tokens = (
        set(),
        list(
            tokenize.generate_tokens(
                io.StringIO("\n".join(line.lstrip() for line in templatize(source).splitlines())).readline
            )
        ),
    )
    for i, tok in enumerate(tokens):
        if tok.type != tokenize.NAME or tok.string not in KEYWORDS or tokens[i + 1].string != "(":
            continue
        args, j = [], i + 2
        while tokens[j].type == tokenize.STRING:
            args.append(ast.literal_eval(tokens[j].string))
            j += 2 if tokens[j + 1].string == "," else 1
        found.update(args[k] for k in KEYWORDS[tok.string] if k < len(args))
    return found


def source_msgids():
    found = set()
    for path in SOURCE.rglob("*.py"):
        found |= msgids_in_python(path.read_text(encoding="utf-8"))
    for path in SOURCE.rglob("templates/**/*.html"):
        found |= msgids_in_template(path.read_text(encoding="utf-8"))
    return found - {""}


def test_extraction_finds_python_and_template_strings():
    assert msgids_in_python('x = _("甲") + gettext_lazy("乙")\ny = ngettext("丙", "丁", n)') == {"甲", "乙", "丙", "丁"}
    template = '{% load i18n %}{% trans "甲" %}<b>{% blocktrans count n=k %}{{ n }} 个{% plural %}{{ n }} 个{% endblocktrans %}</b>'
    assert msgids_in_template(template) == {"甲", "%(n)s 个"}


def test_every_source_string_is_in_the_catalog():
    """A new _("…") or {% trans "…" %} fails here until makemessages + translation + compilemessages."""
    entries, _ = parse_po(PO)
    known = {k[0] if isinstance(k, tuple) else k for k in entries}
    missing = sorted(source_msgids() - known)
    assert missing == [], "run makemessages -l en, translate, compilemessages: " + ", ".join(missing[:20])
