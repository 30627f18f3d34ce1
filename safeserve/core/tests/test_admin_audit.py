"""Every admin write is audited; what only the system writes is read-only in the admin, for everyone."""

from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from safeserve.core.admin import AuditedAdmin
from safeserve.core.models import AuditAction, AuditLog
from safeserve_dev.testkit import make_id_number

# Rows that only the system writes (or that record what happened): no add, change or delete in the
# admin, not even for a superuser. Listed by label so that registering one later is caught too.
MUST_BE_READ_ONLY = {
    "core.auditlog",
    "iot.alarm",
    "iot.deadletter",
    "iot.reading",
    "iot.readinghour",
    "axes.accesslog",
    "axes.accessfailurelog",
    "notifications.delivery",
    "notifications.notification",
}
# Fields the admin must never edit even where the model is editable.
READ_ONLY_FIELDS = {"iot.device": {"secret_hash"}}


@pytest.fixture
def superuser(db):
    from safeserve.accounts.models import User

    return User.objects.create_superuser("root", "root@example.com", "Root-Passw0rd!")


@pytest.fixture
def admin_client(superuser):
    c = Client()
    c.force_login(superuser)
    return c


def registered():
    return {model._meta.label_lower: (model, model_admin) for model, model_admin in admin.site._registry.items()}


def unaudited_admins() -> list[str]:
    return sorted(label for label, (_m, ma) in registered().items() if not isinstance(ma, AuditedAdmin))


def writable_admins(user) -> list[str]:
    request = RequestFactory().get("/admin/")
    request.user = user
    writable = []
    for label, (_m, ma) in registered().items():
        if label in MUST_BE_READ_ONLY:
            writable += [
                f"{label}: {p}" for p in ("add", "change", "delete") if getattr(ma, f"has_{p}_permission")(request)
            ]
        for field in READ_ONLY_FIELDS.get(label, ()):
            if field not in ma.get_readonly_fields(request) or field in ma.get_form(request).base_fields:
                writable.append(f"{label}.{field}")
    return sorted(writable)


def test_every_registered_admin_is_audited():
    """Inline rows are audited by their parent's save_formset, so the parent's class is what counts."""
    assert unaudited_admins() == [], "admin classes not derived from core.admin.AuditedAdmin"


def test_read_only_models_cannot_be_written_even_by_a_superuser(superuser):
    for label in MUST_BE_READ_ONLY:
        apps.get_model(label)  # a typo in the list fails here
    assert writable_admins(superuser) == []


def test_the_walk_fails_on_an_unaudited_or_writable_admin(superuser):
    """Both checks can fail: register a plain ModelAdmin, a writable Alarm admin, an editable secret."""
    from safeserve.iot.models import Alarm, Device, ReadingHour

    site = admin.site
    saved = {model: site._registry.pop(model) for model in (Alarm, Device)}
    try:
        site.register(ReadingHour, admin.ModelAdmin)
        site.register(Alarm, AuditedAdmin)
        site.register(Device, AuditedAdmin)
        assert unaudited_admins() == ["iot.readinghour"]
        assert {"iot.alarm: add", "iot.alarm: change", "iot.alarm: delete", "iot.readinghour: add"} <= set(
            writable_admins(superuser)
        )
        assert "iot.device.secret_hash" in writable_admins(superuser)
    finally:
        for model in (ReadingHour, Alarm, Device):
            site.unregister(model)
        site._registry.update(saved)


# ----------------------------------------------------------------------------- submitting admin forms


class _Form(HTMLParser):
    """The fields of the admin change form, with the values a browser would submit unchanged."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea, self.in_form = {}, None, None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id", "").endswith("_form"):
            self.in_form = True
        if not self.in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button", "file"}:
            if a.get("type") in {"checkbox", "radio"}:
                if "checked" in a:
                    self.data.setdefault(name, []).append(a.get("value", "on"))
            else:
                self.data[name] = [a.get("value", "")]
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self.in_form = False

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data


def form_data(client, url) -> dict:
    parser = _Form()
    parser.feed(client.get(url).content.decode())
    return {k: v if len(v) != 1 else v[0] for k, v in parser.data.items()}


def submit(client, url, **changes):
    data = form_data(client, url)
    data.update(changes)
    data.setdefault("_save", "Save")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return response


def entries(obj):
    return AuditLog.objects.filter(content_type__model=obj._meta.model_name, object_id=str(obj.pk)).order_by("id")


def test_user_admin_role_and_town_change_is_audited_with_old_and_new_values(world, admin_client, superuser):
    user = world.user("town_a")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    submit(admin_client, url, role="county", town="")
    user.refresh_from_db()
    assert (user.role, user.town_id) == ("county", None)
    entry = entries(user).get()
    assert entry.action == AuditAction.UPDATE and entry.actor == superuser and entry.note == "admin"
    assert entry.changes["role"] == ["town", "county"]
    assert entry.changes["town_id"] == [world["town_a"].pk, None]


def test_user_admin_groups_and_permissions_and_password_are_audited(world, admin_client):
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="县局临时")
    perm = Permission.objects.get(codename="view_enterprise")
    user = world.user("town_b")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    submit(admin_client, url, groups=[str(group.pk)], user_permissions=[str(perm.pk)])
    entry = entries(user).get()
    assert entry.changes["groups"] == [[], [group.pk]] and entry.changes["user_permissions"] == [[], [perm.pk]]
    pw_url = reverse("admin:auth_user_password_change", args=[user.pk])
    r = admin_client.post(
        pw_url, {"password1": "N3w-Passw0rd!x", "password2": "N3w-Passw0rd!x", "usable_password": "true"}
    )
    assert r.status_code == 302
    last = entries(user).last()
    assert last.changes == {"password": ["***", "***"]} and "pbkdf2" not in str(last.changes)


def test_inline_rows_are_audited(world, admin_client):
    """Agency staff edited as an inline of the agency: the new row leaves its own audit entry."""
    agency = world["agency_a"]
    url = reverse("admin:registry_agency_change", args=[agency.pk])
    data = form_data(admin_client, url)
    prefix = next(k[: -len("-TOTAL_FORMS")] for k in data if k.endswith("-TOTAL_FORMS") and "staff" in k)
    n = int(data[f"{prefix}-TOTAL_FORMS"])
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(n + 1),
            f"{prefix}-{n}-name": "王五",
            f"{prefix}-{n}-id_number": make_id_number(99),
            f"{prefix}-{n}-is_active": "on",
            f"{prefix}-{n}-agency": str(agency.pk),
            "_save": "Save",
        }
    )
    from safeserve.registry.models import AgencyStaff

    before = set(AgencyStaff.objects.values_list("pk", flat=True))
    r = admin_client.post(url, data)
    assert r.status_code == 302, r.content.decode()[:3000]
    staff = AgencyStaff.objects.exclude(pk__in=before).get()
    entry = entries(staff).get()
    assert entry.action == AuditAction.CREATE and entry.changes["name"] == [None, "王五"]
    assert entry.note.startswith("admin: ")


def test_device_secret_and_alarm_state_cannot_be_edited_in_admin(world, admin_client):
    from safeserve.iot.actions import device_create
    from safeserve.iot.models import Alarm

    device, _secret = device_create(
        actor=None,
        data={
            "enterprise": world["ent_a"],
            "code": "ADM-1",
            "name": "配电箱",
            "place": "一车间",
            "circuit": "照明",
            "rated_current_a": 32,
            "interval_s": 60,
        },
    )
    url = reverse("admin:iot_device_change", args=[device.pk])
    old_hash = device.secret_hash
    submit(admin_client, url, secret_hash="forged", name="改名配电箱")
    device.refresh_from_db()
    assert device.secret_hash == old_hash and device.name == "改名配电箱"
    assert entries(device).filter(note="admin").get().changes == {"name": ["配电箱", "改名配电箱"]}
    assert admin_client.get(reverse("admin:iot_device_add")).status_code == 403
    assert admin_client.get(reverse("admin:iot_alarm_add")).status_code == 403
    assert not Alarm.objects.exists()


def test_admin_delete_is_audited(world, admin_client):
    town = world["town_b"]
    from safeserve.registry.models import Village

    village = Village.objects.create(town=town, code="330421002299", name="测试村")
    url = reverse("admin:registry_village_delete", args=[village.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    entry = AuditLog.objects.get(content_type__model="village", object_id=str(village.pk))
    assert entry.action == AuditAction.DELETE and entry.changes["name"] == ["测试村", None]


def test_user_admin_add_is_audited(db, admin_client, superuser):
    from safeserve.accounts.models import User

    r = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newcomer",
            "password1": "N3w-Passw0rd!x",
            "password2": "N3w-Passw0rd!x",
            "usable_password": "true",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    user = User.objects.get(username="newcomer")
    entry = entries(user).get()
    assert entry.action == AuditAction.CREATE and entry.actor == superuser
    assert entry.changes["username"] == [None, "newcomer"] and "password" not in entry.changes
