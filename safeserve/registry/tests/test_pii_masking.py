"""Personal data is masked by one rule per model, in fields, history, API and exports (issue 8, 5 and 12).

Every model that declares ``pii_fields`` is covered: a new such model without an entry in
``INSTANCES`` fails ``test_every_pii_model_is_covered``.
"""

import io

import pytest
from django.apps import apps
from django.urls import reverse
from openpyxl import load_workbook

from safeserve.core import actions
from safeserve.core.identity import mask
from safeserve.registry.urls import PREFIXES
from safeserve_dev.testkit import PERSONAS, make_id_number

# model label -> the world object whose personal data is changed and then read back
INSTANCES = {
    "registry.enterprise": "ent_a",
    "registry.agency": "agency_a",
    "registry.agencystaff": "staff_a",
    "registry.expert": "expert_a",
    "registry.insurer": "insurer_a",
    "registry.association": "assoc_a",
    "accounts.user": "user_town_a",
    "training.attendance": "attendance_a",
    "training.certificate": "certificate_a",
}
# models outside the registry: export route, API prefix
ROUTES = {
    "user": ("accounts:user_export", None),
    "attendance": ("training:attendance_export", None),
    "certificate": ("training:certificate_export", None),
}
# Who changes the personal data (the county, except where only the record's keeper may).
UPDATER = {"training.attendance": "agency_a", "training.certificate": "agency_a"}
VALUES = {"phone": ("13911110001", "13922220002"), "id": (make_id_number(71), make_id_number(72))}


def _pii_models():
    return [m for m in apps.get_models() if getattr(m, "pii_fields", None)]


def test_every_pii_model_is_covered():
    assert {m._meta.label_lower for m in _pii_models()} == set(INSTANCES)


def test_agency_insurer_association_contact_phones_are_personal_data():
    for label in ("registry.agency", "registry.insurer", "registry.association"):
        assert apps.get_model(label).pii_fields.get("contact_phone") == "phone"


@pytest.fixture
def world(world):
    """The shared world plus a provider's trainee and certificate (training.models, ID numbers)."""
    from safeserve_dev.memberwork_fixtures import extend_training

    return extend_training(world)


@pytest.fixture
def changed(world):
    """Each pii model's instance with every pii field changed twice (so history holds old and new)."""
    out = {}
    for model in _pii_models():
        label = model._meta.label_lower
        obj = world[INSTANCES[label]]
        actor = world.user(UPDATER.get(label, "county"))
        for step in (0, 1):
            data = {name: VALUES[kind][step] for name, kind in model.pii_fields.items()}
            obj = actions.update_record(actor=actor, instance=obj, data=data)
        obj.refresh_from_db()
        out[model] = obj
    return out


def _raw_values(model):
    return [(VALUES[kind][step], kind) for kind in model.pii_fields.values() for step in (0, 1)]


def _check(text, model, visible, where):
    for raw, kind in _raw_values(model):
        assert (raw in text) == visible[kind], f"{model.__name__} {where}: {raw} shown={raw in text}"
        if not visible[kind]:
            assert mask(raw, kind) in text, f"{model.__name__} {where}: masked {raw} missing"


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anon"])
def test_history_is_masked_iff_the_field_is(changed, world, client_for, persona):
    user = world.user(persona)
    client = client_for(persona)
    for model, obj in changed.items():
        resp = client.get(obj.get_absolute_url())
        if resp.status_code != 200:
            continue
        page = resp.content.decode()
        fields, history = page.split('data-testid="history"', 1)
        visible = {kind: obj.pii_visible_to(user, name) for name, kind in model.pii_fields.items()}
        for kind in model.pii_fields.values():  # the field itself
            assert (VALUES[kind][1] in fields) == visible[kind]
        _check(history, model, visible, "history")


def test_each_pii_model_has_a_masked_and_an_unmasked_viewer(changed, world):
    for model, obj in changed.items():
        for name in model.pii_fields:
            views = {obj.pii_visible_to(world.user(p), name) for p in PERSONAS if p not in ("anon", "norole")}
            assert views == {True, False}, (model, name)


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anon"])
def test_api_and_export_mask_by_the_same_rule(changed, world, client_for, persona):
    user = world.user(persona)
    client = client_for(persona)
    for model, obj in changed.items():
        name = model._meta.model_name
        export_route, api = ROUTES.get(name, (f"registry:{name}_export", f"/api/v1/registry/{PREFIXES.get(name)}/"))
        resp = client.get(f"{api}{obj.pk}/") if api else None
        if resp is not None and resp.status_code == 200:
            for field, kind in model.pii_fields.items():
                shown = obj.pii_visible_to(user, field)
                expected = VALUES[kind][1] if shown else mask(VALUES[kind][1], kind)
                assert resp.json()[field] == expected, (model, field)
        resp = client.get(reverse(export_route))
        if resp.status_code != 200:
            continue
        cells = [
            str(v)
            for row in load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active.iter_rows(values_only=True)
            for v in row
            if v is not None
        ]
        text = "\n".join(cells)
        if str(obj) not in text:
            continue
        for field, kind in model.pii_fields.items():
            column_exported = any(VALUES[kind][1] in c or mask(VALUES[kind][1], kind) in c for c in cells)
            if column_exported:
                assert (VALUES[kind][1] in text) == obj.pii_visible_to(user, field), (model, field)
