"""The reporter's identity and contact (and the tracking code that opens the case) reach 举报 handlers
only: every other persona, through every page, export, API, the home page, the inbox and the audit
log's own page, never sees them; each handler view is logged."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from safeserve.accounts.models import User
from safeserve.core.models import AuditLog
from safeserve.tipoffs import actions
from safeserve.tipoffs.models import IdentityAccess, Tipoff
from safeserve_dev import permsuite
from safeserve_dev.testkit import PERSONAS

from .fixtures import REPORTERS, extend_world

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root


def secrets_of(world):
    out = []
    for side in "ab":
        t = world[f"tipoff_{side}"]
        out += [*REPORTERS[side], t.code, t.code_display]
    return out


def pages(world):
    """(name, url, kind) of every page that shows reports, their history or messages about them."""
    a, b = world["tipoff_a"], world["tipoff_b"]
    out = [
        ("home", reverse("home"), "html"),
        ("list", reverse("tipoffs:tipoff_list"), "html"),
        ("list filtered", reverse("tipoffs:tipoff_list") + "?q=JB", "html"),
        ("export", reverse("tipoffs:tipoff_export"), "xlsx"),
        ("api list", "/api/v1/tipoffs/tipoffs/", "json"),
        ("inbox", reverse("notifications:inbox"), "html"),
        ("handlers", reverse("tipoffs:handlers"), "html"),
        ("ledger", reverse("tipoffs:ledger"), "xlsx"),
    ]
    for t in (a, b):
        out += [
            (f"detail {t.pk}", reverse("tipoffs:tipoff_detail", args=[t.pk]), "html"),
            (f"api detail {t.pk}", f"/api/v1/tipoffs/tipoffs/{t.pk}/", "json"),
        ]
    return out


def body(resp, kind):
    if kind == "xlsx" and resp.status_code == 200:
        return permsuite.response_text(resp, "xlsx")
    data = b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else resp.content
    return data.decode("utf-8", "replace")


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anon"] + ["anon"])
def test_no_other_persona_ever_sees_the_reporter(persona, world, db):
    client = Client()
    if persona != "anon":
        client.force_login(world.user(persona))
    leaks = []
    for name, url, kind in pages(world):
        resp = client.get(url)
        text = body(resp, kind)
        leaks += [f"{name}: {secret}" for secret in secrets_of(world) if secret in text]
    assert not leaks, leaks
    assert not IdentityAccess.objects.exists()


def test_the_handler_sees_the_reporter_on_the_detail_page_only_and_each_view_is_logged(world, db):
    handler = world.user("handler")
    client = Client()
    client.force_login(handler)
    a = world["tipoff_a"]
    for _i in range(2):
        resp = client.get(reverse("tipoffs:tipoff_detail", args=[a.pk]))
        assert REPORTERS["a"][0] in resp.content.decode() and a.code_display in resp.content.decode()
    assert IdentityAccess.objects.filter(tipoff=a, viewer=handler).count() == 2
    ledger = permsuite.response_text(client.get(reverse("tipoffs:ledger")), "xlsx")
    assert REPORTERS["a"][0] in ledger and REPORTERS["b"][1] in ledger
    assert IdentityAccess.objects.filter(viewer=handler, where="举报人台账导出").count() == 2
    for name, url, kind in pages(world):
        if name.startswith("detail") or name == "ledger":
            continue
        text = body(client.get(url), kind)
        assert not [s for s in secrets_of(world) if s in text], name


def test_the_audit_log_page_never_shows_the_reporter(world, db):
    """The audit log's own page (the admin's, superusers only) and every entry of a report."""
    admin = User.objects.create_superuser("root", password="x-Passw0rd-long")
    client = Client()
    client.force_login(admin)
    ct = ContentType.objects.get_for_model(Tipoff)
    entries = AuditLog.objects.filter(content_type=ct)
    assert entries.count() >= 4  # filed, accepted (x2 reports)
    texts = [client.get(reverse("admin:core_auditlog_changelist")).content.decode()]
    texts.append(
        client.get(reverse("admin:core_auditlog_changelist") + f"?content_type__id__exact={ct.pk}").content.decode()
    )
    for entry in entries:
        resp = client.get(reverse("admin:core_auditlog_change", args=[entry.pk]))
        assert resp.status_code == 200
        texts.append(resp.content.decode())
    for text in texts:
        assert not [s for s in secrets_of(world) if s in text]
    for entry in entries:
        assert not set(entry.changes) & {"reporter_name", "reporter_phone", "reporter_contact", "password", "code"}


def test_granting_the_handler_permission_opens_identity_and_withdrawing_closes_it(world, db):
    county = world.user("county")
    handler = world.user("handler")
    a = world["tipoff_a"]
    url = reverse("tipoffs:tipoff_detail", args=[a.pk])
    actions.handler_set(actor=handler, user=county, grant=True)
    client = Client()
    client.force_login(User.objects.get(pk=county.pk))
    assert REPORTERS["a"][0] in client.get(url).content.decode()
    actions.handler_set(actor=handler, user=User.objects.get(pk=county.pk), grant=False)
    client.force_login(User.objects.get(pk=county.pk))
    assert REPORTERS["a"][0] not in client.get(url).content.decode()
    assert AuditLog.objects.filter(note__startswith="tipoffs.handler_").count() == 2


def test_only_handlers_grant_and_only_to_county_officers(world, db):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        actions.handler_set(actor=world.user("county"), user=world.user("county"), grant=True)
    with pytest.raises(ValidationError):
        actions.handler_set(actor=world.user("handler"), user=world.user("town_a"), grant=True)
