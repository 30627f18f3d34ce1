"""The agency's phone visit without a browser: the form started from a contract, unanswered items,
photos uploaded when chosen (pending, the uploader's only), position and time stamps, and the
enterprise's confirmation by login or by a one-time code. The browser walk is test_browser_visit.py."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.core.models import AuditLog
from safeserve.registry.models import AgencyStaff
from safeserve.services import actions, chain
from safeserve.services.models import PendingPhoto, ServiceVisit, VisitConfirmation
from safeserve_dev.services_fixtures import all_ok, general_template, make_contract, png
from safeserve_dev.testkit import make_id_number

pytestmark = pytest.mark.django_db


def _form_data(world, contract, template, **extra):
    data = {
        "contract": contract.pk,
        "enterprise": world["ent_a"].pk,
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "staff": [world["staff_a"].pk],
        "template": template.pk,
    }
    data.update(extra)
    return data


def _record(world, contract, **kw):
    t = general_template()
    kw.setdefault("results", all_ok(t))
    return actions.visit_record(
        actor=world.user("agency_a"),
        contract=contract,
        enterprise=world["ent_a"],
        visited_at=timezone.now() - timedelta(minutes=30),
        staff=[world["staff_a"]],
        template=t,
        **kw,
    )


def test_started_from_a_contract_the_form_fills_enterprise_and_staff_and_disables_the_unqualified(world, client_for):
    c = make_contract(world)
    AgencyStaff.objects.create(agency=world["agency_a"], name="吴工", id_number=make_id_number(8))
    page = client_for("agency_a").get(reverse("services:visit_add") + f"?contract={c.pk}").content.decode()
    # The contract's only enterprise is chosen, its assigned qualified staff ticked.
    assert re.search(rf'<option value="{world["ent_a"].pk}" selected>', page)
    assert f'<option value="{world["ent_b"].pk}"' not in page
    assert re.search(rf'name="staff" value="{world["staff_a"].pk}" class="form-check-input" checked', page)
    # Someone without a certificate is shown, disabled, with the reason.
    wu = re.search(r'name="staff" value="(\d+)" class="form-check-input" disabled[^>]*> 吴工', page)
    assert wu, page
    assert "不可选：无注册安全工程师证书" in page
    # Every item starts unanswered.
    assert 'type="radio"' in page and "checked" not in page.split('data-testid="checklist"')[1].split("</ol>")[0]


def test_an_unanswered_item_is_refused_by_name_and_the_answers_and_photos_are_kept(world, client_for):
    c = make_contract(world)
    t = general_template()
    items = list(t.items.all())
    agency = client_for("agency_a")
    uploaded = agency.post(reverse("services:pending_photo_add"), {"photo": png("现场.png")})
    assert uploaded.status_code == 201, uploaded.content
    pending_id = uploaded.json()["id"]
    answers = {f"result_{i.pk}": "ok" for i in items[:-2]}
    answers[f"result_{items[0].pk}"] = "problem"
    answers[f"note_{items[0].pk}"] = "灭火器过期"
    data = _form_data(world, c, t, pending_photo=[pending_id], latitude="30.840000", longitude="120.920000", **answers)
    resp = agency.post(reverse("services:visit_add"), data)
    assert resp.status_code == 200
    page = resp.content.decode()
    summary = page.split('data-testid="error-summary"')[1].split("</ul>")[0]
    n = len(items) - 1
    assert f"检查项未作答：第 {n} 项“{items[-2].text}”；第 {n + 1} 项“{items[-1].text}”" in summary
    assert f'href="#item-{items[-2].pk}"' in summary
    assert not ServiceVisit.objects.exists()
    # Answers, the note, the position and the uploaded photo come back.
    assert re.search(rf'name="result_{items[0].pk}" value="problem"[^>]*checked', page)
    assert re.search(rf'name="result_{items[1].pk}" value="ok"[^>]*checked', page)
    assert 'value="灭火器过期"' in page
    assert f'name="pending_photo" value="{pending_id}"' in page
    assert 'name="latitude" value="30.840000"' in page
    # Answered, resubmitted: the photo moves onto the visit, the pending row and file are gone.
    data.update({f"result_{i.pk}": "ok" for i in items[-2:]})
    resp = agency.post(reverse("services:visit_add"), data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    visit = ServiceVisit.objects.get()
    assert visit.photos.count() == 1 and not PendingPhoto.objects.exists()
    assert str(visit.latitude) == "30.840000" and visit.recorded_at is not None
    assert chain.verify_visit(visit) == []


def test_the_server_refuses_unanswered_items_naming_them(world):
    c = make_contract(world)
    t = general_template()
    results = all_ok(t)
    first = t.items.order_by("order", "id").first()
    results[first.pk] = ("", "")
    with pytest.raises(ValidationError) as exc:
        _record(world, c, results=results)
    assert exc.value.message_dict["results"] == [
        f"检查项未作答：第 1 项“{first.text}”。每一项都须选择“符合”“存在问题”或“不适用”"
    ]


def test_position_ranges_and_the_server_time_stamp(world):
    c = make_contract(world)
    with pytest.raises(ValidationError) as exc:
        _record(world, c, latitude="91", longitude="120")
    assert exc.value.message_dict["latitude"] == ["位置无效：纬度须在 -90 到 90 之间"]
    with pytest.raises(ValidationError) as exc:
        _record(world, c, latitude="30", longitude="-181")
    assert exc.value.message_dict["longitude"] == ["位置无效：经度须在 -180 到 180 之间"]
    before = timezone.now()
    v = _record(world, c, latitude="30.8412345", longitude="120.9267", location_accuracy="12.4")
    assert (str(v.latitude), str(v.longitude), v.location_accuracy) == ("30.841235", "120.926700", 12)
    assert before <= v.recorded_at <= timezone.now()
    # The stamp and the position are part of the sealed content.
    ServiceVisit.objects.filter(pk=v.pk).update(latitude="31.000000")
    assert "content changed" in chain.verify_visit(ServiceVisit.objects.get(pk=v.pk))


def test_pending_photos_are_the_uploaders_only_and_hostile_files_are_refused(world, client_for):
    c = make_contract(world)
    agency = client_for("agency_a")
    html = SimpleUploadedFile("现场.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")
    resp = agency.post(reverse("services:pending_photo_add"), {"photo": html})
    assert resp.status_code == 400
    assert resp.json()["error"] == "「现场.jpg」是网页或文本文件，不是照片；请上传 JPEG、PNG 或 WebP 格式的照片"
    assert not PendingPhoto.objects.exists()
    pk = agency.post(reverse("services:pending_photo_add"), {"photo": png()}).json()["id"]
    assert agency.get(reverse("services:pending_photo", args=[pk])).status_code == 200
    # A colleague of the same agency neither sees it nor attaches it.
    colleague = User.objects.create(username="agency_a2", role=Role.AGENCY, agency=world["agency_a"])
    from django.test import Client

    other = Client()
    other.force_login(colleague)
    assert other.get(reverse("services:pending_photo", args=[pk])).status_code == 404
    with pytest.raises(ValidationError) as exc:
        actions.visit_record(
            actor=colleague,
            contract=c,
            enterprise=world["ent_a"],
            visited_at=timezone.now() - timedelta(minutes=5),
            staff=[world["staff_a"]],
            pending_photos=[pk],
        )
    assert "照片已失效" in exc.value.message_dict["photos"][0]
    assert client_for("ent_a").post(reverse("services:pending_photo_add"), {"photo": png()}).status_code == 403


def test_pending_photos_left_behind_are_purged_after_a_day(world):
    photo = actions.pending_photo_add(actor=world.user("agency_a"), upload=png())
    storage, name = photo.file.storage, photo.file.name
    assert actions.purge_pending_photos() == 0
    with time_machine.travel(timezone.now() + timedelta(hours=actions.PENDING_PHOTO_HOURS, minutes=1)):
        assert actions.purge_pending_photos() == 1
    assert not PendingPhoto.objects.exists() and not storage.exists(name)


def test_the_enterprise_confirms_by_a_one_time_code(world, client_for):
    v = _record(world, make_contract(world))
    agency = client_for("agency_a")
    with pytest.raises(PermissionDenied):
        actions.visit_confirm_code_issue(actor=world.user("ent_a"), visit=v)
    page = agency.post(reverse("services:visit_confirm_code", args=[v.pk])).content.decode()
    code = re.search(r'data-testid="confirm-code">(\d{6})<', page).group(1)
    public = client_for("anon")
    url = reverse("services:visit_confirm_public", args=[v.pk])
    assert v.enterprise.name not in public.get(url).content.decode()  # nothing shows before the code
    wrong = "000000" if code != "000000" else "111111"
    resp = public.post(url, {"code": wrong, "name": "李四"})
    assert "确认码错误，还可尝试 4 次" in resp.content.decode()
    assert VisitConfirmation.objects.get(visit=v).failed_attempts == 1  # counted although refused
    resp = public.post(url, {"code": code, "name": "李四"})
    assert "李四 已代表" in resp.content.decode()
    conf = VisitConfirmation.objects.get(visit=v)
    assert (conf.method, conf.confirmer_name, conf.confirmed_by) == ("code", "李四", None)
    # Single use: the same code again is refused; the agency's page shows the confirmation.
    assert "已于" in public.post(url, {"code": code, "name": "李四"}).content.decode()
    assert "李四 · 现场确认码" in agency.get(v.get_absolute_url()).content.decode()
    notes = list(AuditLog.objects.filter(object_id=str(conf.pk)).values_list("note", flat=True))
    assert {"生成企业现场确认码", "确认码错误", "企业确认服务"} <= set(notes)


def test_a_code_expires_and_five_wrong_tries_void_it(world):
    v = _record(world, make_contract(world))
    code = actions.visit_confirm_code_issue(actor=world.user("agency_a"), visit=v)
    later = timezone.now() + timedelta(minutes=actions.CONFIRM_CODE_MINUTES + 1)
    with time_machine.travel(later), pytest.raises(ValidationError, match="确认码已过期（有效期 15 分钟）"):
        actions.visit_confirm_by_code(visit=v, code=code, name="李四")
    code = actions.visit_confirm_code_issue(actor=world.user("agency_a"), visit=v)
    wrong = "000000" if code != "000000" else "111111"
    for _i in range(actions.CONFIRM_CODE_MAX_TRIES - 1):
        with pytest.raises(ValidationError, match="确认码错误，还可尝试"):
            actions.visit_confirm_by_code(visit=v, code=wrong, name="李四")
    with pytest.raises(ValidationError, match="错误次数过多，已失效"):
        actions.visit_confirm_by_code(visit=v, code=wrong, name="李四")
    with pytest.raises(ValidationError, match="确认码无效"):
        actions.visit_confirm_by_code(visit=v, code=code, name="李四")  # the right code, now void
    assert VisitConfirmation.objects.get(visit=v).confirmed_at is None


def test_the_enterprise_confirms_on_its_own_login(world, client_for):
    v = _record(world, make_contract(world))
    ent = client_for("ent_a")
    assert 'data-testid="confirm-login"' in ent.get(v.get_absolute_url()).content.decode()
    assert ent.post(reverse("services:visit_confirm", args=[v.pk])).status_code == 302
    conf = VisitConfirmation.objects.get(visit=v)
    assert (conf.method, conf.confirmed_by) == ("login", world.user("ent_a"))
    with pytest.raises(ValidationError, match="已于"):
        actions.visit_confirm_code_issue(actor=world.user("agency_a"), visit=v)


def test_a_problem_item_offers_report_as_hazard_prefilled(world, client_for):
    t = general_template()
    results = all_ok(t)
    item = t.items.order_by("order", "id").first()
    results[item.pk] = ("problem", "灭火器压力不足")
    v = _record(world, make_contract(world), results=results)
    agency = client_for("agency_a")
    page = agency.get(v.get_absolute_url()).content.decode()
    link = f"/hazards/new/?visit={v.pk}&amp;item={item.pk}"
    assert link in page
    form = agency.get(link.replace("&amp;", "&")).content.decode()
    assert f"{item.text}：灭火器压力不足" in form and item.category in form


def test_contract_list_names_its_enterprises_and_the_agency_sees_those_of_its_drafts(world, client_for):
    draft = make_contract(world, status="draft", number="HT-DRAFT")
    listing = client_for("town_a").get(reverse("services:servicecontract_list")).content.decode()
    assert "服务企业" in listing and world["ent_a"].name in listing
    agency = client_for("agency_a")
    assert world["ent_a"].name in agency.get(reverse("services:servicecontract_list")).content.decode()
    page = agency.get(draft.get_absolute_url()).content.decode()
    assert world["ent_a"].name in page.split('data-testid="party-enterprises"')[1]
    # Names on its contract only: the enterprise's own page stays closed while the contract is a draft.
    assert agency.get(world["ent_a"].get_absolute_url()).status_code == 404
