"""Experts' prevention visits (专家事故预防服务记录) of a plan served by an expert alone: recorded by
the plan's expert (or the insurer on its behalf), chained per expert, and counted in every insurance
figure: plan progress, 保而不防, the yearly evaluation, appointments, the insured's file and its PDF."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from safeserve.hazards.models import Hazard
from safeserve.insurance import actions, queries
from safeserve.insurance.models import Appointment, PreventionPlan, PreventionVisit
from safeserve_dev.expertvisit_fixtures import expert_user, record
from safeserve_dev.insurance_fixtures import extend_world, make_policy
from safeserve_dev.testfiles import image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(world):
    extend_world(world)
    o = world.objs
    # Running for seven months: long enough for the 6-month 保而不防 window.
    start = timezone.localdate() - timedelta(days=215)
    o["xpolicy"] = make_policy(world, number="PA-X-0001", start=start, end=start + timedelta(days=364))
    o["xplan"] = PreventionPlan.objects.create(
        policy=o["xpolicy"], items=["hazard"], visits_per_year=4, expert=world["expert_a"], goals="专家服务"
    )
    return world


def _idle(world, user="county"):
    return set(queries.idle_policies(world.user(user), timezone.localdate()).values_list("number", flat=True))


def test_an_expert_plan_without_a_visit_is_idle_and_behind(w):
    assert "PA-X-0001" in _idle(w)
    behind = {
        p.pk: (done, expected) for p, done, expected in queries.plans_behind(w.user("insurer_a"), timezone.localdate())
    }
    assert behind[w["xplan"].pk] == (0, 2)


def test_a_visit_leaves_idle_and_shows_progress(w, client_for):
    visit = record(w, w.user("expert_a"), w["xplan"], days_ago=10)
    assert visit.seq == 1 and visit.enterprise_id == w["ent_a"].pk and visit.expert_id == w["expert_a"].pk
    assert "PA-X-0001" not in _idle(w)
    # ... but only from its day on: on the eve of the visit the policy was still 保而不防.
    eve = timezone.localdate() - timedelta(days=11)
    assert "PA-X-0001" in set(queries.idle_policies(w.user("county"), eve).values_list("number", flat=True))
    assert queries.visits_done(w["xplan"], timezone.localdate()) == 1
    record(w, w.user("insurer_a"), w["xplan"], days_ago=5)  # the insurer on the expert's behalf
    assert queries.visits_done(w["xplan"], timezone.localdate()) == 2
    behind = {p.pk for p, _d, _e in queries.plans_behind(w.user("insurer_a"), timezone.localdate())}
    assert w["xplan"].pk not in behind
    c = client_for("county")
    page = c.get(reverse("insurance:preventionplan_detail", args=[w["xplan"].pk])).content.decode()
    assert "已服务 2 次" in page


def test_only_the_plans_expert_or_its_insurer_records(w, client_for):
    other = expert_user(w)  # expert_b: not this plan's expert
    with pytest.raises(PermissionDenied):
        record(w, other, w["xplan"])
    with pytest.raises(PermissionDenied):
        record(w, w.user("expert_a"), w["plan_b"])  # plan_b is expert_b's
    with pytest.raises(PermissionDenied):
        record(w, w.user("agency_a"), w["xplan"])
    with pytest.raises(PermissionDenied):
        record(w, w.user("ent_a"), w["xplan"])
    with pytest.raises(PermissionDenied):
        record(w, w.user("insurer_a"), w["plan_b"])  # insurer B's policy
    assert not PreventionVisit.objects.exists()
    # Through the page too: another expert's post is refused and writes nothing.
    client = client_for("expert_a")
    resp = client.post(reverse("insurance:preventionvisit_add"), {"plan": w["plan_b"].pk, "template": 1})
    assert resp.status_code in (400, 404)
    assert not PreventionVisit.objects.exists()


def test_a_visit_out_of_the_policy_period_or_unanswered_is_refused(w):
    with pytest.raises(ValidationError):
        record(w, w.user("expert_a"), w["xplan"], days_ago=400)
    from safeserve_dev.services_fixtures import general_template

    template = general_template()
    with pytest.raises(ValidationError, match="未作答"):
        actions.prevention_visit_record(
            actor=w.user("expert_a"), plan=w["xplan"], visited_at=timezone.now(), template=template, results={}
        )


def test_scope_who_sees_the_visit(w):
    visit = record(w, w.user("expert_a"), w["xplan"])
    seen = {
        name: PreventionVisit.objects.visible_to(w.user(name)).filter(pk=visit.pk).exists()
        for name in ("county", "town_a", "town_b", "ent_a", "agency_a", "expert_a", "insurer_a", "assoc_a", "norole")
    }
    assert seen == {
        "county": True,
        "town_a": True,
        "town_b": False,
        "ent_a": True,
        "agency_a": False,
        "expert_a": True,
        "insurer_a": True,
        "assoc_a": False,
        "norole": False,
    }
    assert not PreventionVisit.objects.visible_to(expert_user(w)).filter(pk=visit.pk).exists()
    for action in ("change", "delete"):
        assert not PreventionVisit.objects.visible_to(w.user("insurer_a"), action).exists()
    # The other insurer cannot see it: not in its list, a 404 on its URL.
    from safeserve.accounts.choices import Role
    from safeserve.accounts.models import User

    insurer_b = User.objects.create(username="insurer_b_user", role=Role.INSURER, insurer=w["insurer_b"])
    assert not PreventionVisit.objects.visible_to(insurer_b).exists()
    insurer_b.set_password("x-Passw0rd!")
    insurer_b.save()
    from django.test import Client

    c = Client()
    c.force_login(insurer_b)
    assert c.get(visit.get_absolute_url()).status_code == 404
    assert "PA-X-0001" not in c.get(reverse("insurance:preventionvisit_list")).content.decode()


def test_a_problem_becomes_a_hazard_of_the_insured_and_is_evaluated(w):
    visit = record(w, w.user("expert_a"), w["xplan"], problem=True)
    hazard = visit.hazards.get()
    assert hazard.enterprise_id == w["ent_a"].pk and hazard.source == "expert" and hazard.visit_id is None
    assert Hazard.objects.visible_to(w.user("ent_a")).filter(pk=hazard.pk).exists()  # the insured's own
    figures = actions.evaluation_figures(w["xpolicy"], timezone.localdate().year)
    days = (timezone.localdate() - timedelta(days=3)).year == timezone.localdate().year
    assert figures["visits_done"] == (1 if days else 0)
    assert figures["hazards_found"] == 1 and figures["hazards_closed"] == 0
    Hazard.objects.filter(pk=hazard.pk).update(state="closed", closed_at=timezone.now())
    assert actions.evaluation_figures(w["xpolicy"], timezone.localdate().year)["hazards_closed"] == 1


def test_hazards_found_reach_the_insured_as_a_written_notice(w, client_for, django_capture_on_commit_callbacks):
    """AQ 9010: hazards found on a prevention visit → a written notice to the insured. The expert's
    隐患整改建议书 is numbered in the expert's own sequence, stored, and sent to the insured."""
    from safeserve.hazards import actions as hazard_actions
    from safeserve.hazards.models import IssuedNotice
    from safeserve.notifications.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        visit = record(w, w.user("expert_a"), w["xplan"], problem=True)
    notice = visit.notice
    assert notice is not None and notice.kind == "advice" and notice.enterprise_id == w["ent_a"].pk
    assert notice.issuer_key == f"expert:{w['expert_a'].pk}" and notice.seq == 1 and notice.sha256
    assert set(notice.hazards.values_list("pk", flat=True)) == set(visit.hazards.values_list("pk", flat=True))
    assert Notification.objects.filter(recipient=w.user("ent_a"), kind="hazard_notice").count() == 1
    # A visit with nothing wrong issues nothing; the next notice takes the next number.
    assert record(w, w.user("expert_a"), w["xplan"], days_ago=2).notice is None
    assert record(w, w.user("expert_a"), w["xplan"], days_ago=1, problem=True).notice.seq == 2
    # The insured opens it; the expert reads its number on the visit but not the insured's document.
    assert client_for("ent_a").get(notice.get_absolute_url()).status_code == 200
    page = client_for("expert_a").get(visit.get_absolute_url()).content.decode()
    assert notice.number in page and notice.get_absolute_url() not in page
    assert client_for("expert_a").get(notice.get_absolute_url()).status_code == 404
    # Nobody issues one through this door for a hazard they did not find on such a service.
    other = hazard_actions.hazard_report(  # the insured's own, not found by the expert
        actor=w.user("ent_a"), enterprise=w["ent_a"], location="仓库", description="通道堵塞", responsible_person="李四"
    )
    for persona in ("insurer_a", "agency_a", "ent_a"):
        with pytest.raises(PermissionDenied):
            hazard_actions.hazard_issue_found_notice(actor=w.user(persona), hazards=[visit.hazards.get()])
    with pytest.raises(PermissionDenied):
        hazard_actions.hazard_issue_found_notice(actor=w.user("expert_a"), hazards=[other, visit.hazards.get()])
    assert IssuedNotice.objects.count() == 2


def test_the_insured_confirms_once(w, client_for):
    visit = record(w, w.user("expert_a"), w["xplan"])
    with pytest.raises(PermissionDenied):
        actions.prevention_visit_confirm(actor=w.user("insurer_a"), visit=visit)
    c = client_for("ent_a")
    assert c.post(reverse("insurance:preventionvisit_confirm", args=[visit.pk])).status_code == 302
    visit.refresh_from_db()
    assert visit.confirmed_by == w.user("ent_a")
    with pytest.raises(ValidationError):
        actions.prevention_visit_confirm(actor=w.user("ent_a"), visit=visit)


def test_the_chain_detects_a_changed_finding(w, settings, tmp_path, client_for):
    settings.MEDIA_ROOT = tmp_path
    photo = upload("site.jpg", image_bytes("JPEG", size=(32, 32)))
    first = record(w, w.user("expert_a"), w["xplan"], days_ago=9, photos=[photo])
    second = record(w, w.user("insurer_a"), w["xplan"], days_ago=2)
    assert (first.seq, second.seq, second.prev_hash) == (1, 2, first.content_hash)
    out = io.StringIO()
    call_command("verify_records", stdout=out)
    assert "0 broken" in out.getvalue()
    from safeserve.ops.backups import chain_checksums

    sums = chain_checksums()
    assert f"prevention/expert:{w['expert_a'].pk}" in sums
    PreventionVisit.objects.filter(pk=first.pk).update(findings="事后改写的问题")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_records", stdout=out)
    assert f"prevention_visit={first.pk}" in out.getvalue() and "content changed" in out.getvalue()
    page = client_for("county").get(first.get_absolute_url()).content.decode()
    assert "记录内容与哈希不一致" in page


def test_appointments_count_the_experts_visit(w, client_for):
    day = timezone.localdate() - timedelta(days=4)
    a = Appointment.objects.create(
        plan=w["xplan"], day=day, place="现场", items=["hazard"], state="confirmed", proposed_by=w.user("insurer_a")
    )
    Appointment.objects.filter(pk=a.pk).update(answered_at=timezone.now() - timedelta(days=6))
    rows = {x.pk: x for x in queries.appointments(w.user("insurer_a"), plan=w["xplan"])}
    assert rows[a.pk].visited is False
    visit = record(w, w.user("expert_a"), w["xplan"], days_ago=4)
    late = record(w, w.user("expert_a"), w["xplan"], days_ago=2)  # no appointment that day
    rows = {x.pk: x for x in queries.appointments(w.user("insurer_a"), plan=w["xplan"])}
    assert rows[a.pk].visited is True
    assert queries.appointment_outcome(rows[a.pk], timezone.localdate())[0] == "已上门"
    unconfirmed = set(queries.unconfirmed_expert_visits(w.user("insurer_a")).values_list("pk", flat=True))
    assert unconfirmed == {late.pk}
    assert visit.pk not in unconfirmed
    page = client_for("insurer_a").get(reverse("insurance:appointment_unconfirmed")).content.decode()
    assert 'data-testid="unconfirmed-expert-visits"' in page and late.get_absolute_url() in page


def test_the_insured_file_and_its_pdf_list_the_visit(w, client_for):
    record(w, w.user("expert_a"), w["xplan"], findings="专家发现消防通道堵塞")
    f = queries.insured_file(w.user("town_a"), w["ent_a"])
    assert [v.findings for _p, v in f["expert_visits"]] == ["专家发现消防通道堵塞"]
    c = client_for("town_a")
    page = c.get(reverse("insurance:insured_file", args=[w["ent_a"].pk])).content.decode()
    assert "专家服务记录" in page and "专家发现消防通道堵塞" in page
    resp = c.get(reverse("insurance:insured_file_pdf", args=[w["ent_a"].pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages)
    text = text.replace("\x00", "").replace(" ", "").replace("\n", "")
    assert "专家服务记录" in text and "专家发现消防通道堵塞" in text
    assert c.get(reverse("insurance:insured_file", args=[w["ent_b"].pk])).status_code == 404


def test_the_phone_form_records_a_visit_with_a_photo(w, settings, tmp_path, client_for):
    settings.MEDIA_ROOT = tmp_path
    from safeserve_dev.services_fixtures import general_template

    template = general_template()
    c = client_for("expert_a")
    url = reverse("insurance:preventionvisit_add")
    page = c.get(url, {"plan": w["xplan"].pk}).content.decode()
    assert 'data-testid="template-pick"' in page
    page = c.get(url, {"plan": w["xplan"].pk, "template": template.pk}).content.decode()
    assert 'data-testid="checklist"' in page and w["xpolicy"].number in page
    data = {
        "plan": w["xplan"].pk,
        "template": template.pk,
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "findings": "现场良好",
        "photos": upload("a.png", image_bytes("PNG", size=(20, 20))),
    }
    for item in template.items.all():
        data[f"result_{item.pk}"] = "ok"
    resp = c.post(url, data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    visit = PreventionVisit.objects.get()
    assert visit.photos.count() == 1 and visit.recorded_by == w.user("expert_a")
    assert c.get(reverse("insurance:preventionvisit_photo", args=[visit.photos.get().pk])).status_code == 200
    assert (
        client_for("town_b").get(reverse("insurance:preventionvisit_photo", args=[visit.photos.get().pk])).status_code
        == 404
    )


def test_the_api_reads_and_records(w, client_for):
    from safeserve_dev.services_fixtures import general_template

    template = general_template()
    c = client_for("expert_a")
    body = {
        "plan": w["xplan"].pk,
        "visited_at": timezone.now().isoformat(),
        "template": template.pk,
        "results": [{"item": i.pk, "result": "ok"} for i in template.items.all()],
        "findings": "接口录入",
    }
    resp = c.post("/api/v1/insurance/expert-visits/", body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["findings"] == "接口录入" and resp.json()["seq"] == 1
    refused = c.post(
        "/api/v1/insurance/expert-visits/", {**body, "plan": w["plan_b"].pk}, content_type="application/json"
    )
    assert refused.status_code == 403
    listed = client_for("ent_a").get("/api/v1/insurance/expert-visits/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["findings"] for r in rows] == ["接口录入"]
    assert client_for("town_b").get("/api/v1/insurance/expert-visits/").json() in (
        [],
        {"count": 0, "next": None, "previous": None, "results": []},
    )


def test_home_cards(w):
    record(w, w.user("expert_a"), w["xplan"])
    from safeserve.core.home import HOME_PROVIDERS  # noqa: F401 - the providers are registered

    cards = {c["key"]: c["value"] for c in queries.expert_visits_home(w.user("expert_a"))["cards"]}
    assert cards == {"expert-visits": 1, "expert-visits-unconfirmed": 1}
    cards = {c["key"]: c["value"] for c in queries.expert_visits_home(w.user("ent_a"))["cards"]}
    assert cards == {"expert-visits-to-confirm": 1}
    assert queries.expert_visits_home(w.user("town_b")) == {}


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_the_visits(w, client_for):
    """Lists, the file, the plan page, the API and the home: the same queries at 2 and at 6 visits."""
    urls = [
        (reverse("insurance:preventionvisit_list"), "county"),
        (reverse("insurance:preventionvisit_list"), "expert_a"),
        (reverse("insurance:insured_file", args=[w["ent_a"].pk]), "insurer_a"),
        (reverse("insurance:preventionplan_detail", args=[w["xplan"].pk]), "insurer_a"),
        (reverse("insurance:appointment_unconfirmed"), "insurer_a"),
        (reverse("insurance:policy_list") + "?idle=true", "county"),
        ("/api/v1/insurance/expert-visits/", "ent_a"),
        (reverse("home"), "expert_a"),
        (reverse("home"), "insurer_a"),
    ]
    for days in (20, 19):
        record(w, w.user("expert_a"), w["xplan"], days_ago=days, problem=True)
    clients = {who: client_for(who) for _u, who in urls}
    for url, who in urls:
        _queries(clients[who], url)  # warm caches (content types), as on a running server
    small = {(url, who): _queries(clients[who], url) for url, who in urls}
    for days in (18, 17, 16, 15):
        record(w, w.user("expert_a"), w["xplan"], days_ago=days, problem=True)
    large = {(url, who): _queries(clients[who], url) for url, who in urls}
    assert small == large
    assert PreventionVisit.objects.count() == 6


@pytest.mark.parametrize(
    "payload", ["svg_script", "html", "text_named_jpg", "png_named_html", "polyglot_jpeg_html", "truncated_jpeg"]
)
def test_hostile_photos_on_the_phone_form(w, client_for, settings, tmp_path, payload):
    """The expert's form is an upload door: a refused file names itself and leaves no record, no
    file; an accepted one is stored re-encoded under its verified format and served clean."""
    import hashlib

    from safeserve.core import uploads
    from safeserve_dev.services_fixtures import general_template
    from safeserve_dev.testfiles import SCRIPT, hostile_photos

    settings.MEDIA_ROOT = tmp_path
    photos = hostile_photos()
    name, content, expected_format, reason = photos[payload]
    template = general_template()
    data = {
        "plan": w["xplan"].pk,
        "template": template.pk,
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "photos": upload(name, content),
        **{f"result_{i.pk}": "ok" for i in template.items.all()},
    }
    resp = client_for("expert_a").post(reverse("insurance:preventionvisit_add"), data)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    if expected_format is None:
        text = resp.content.decode()
        assert resp.status_code == 400 and f"「{name}」" in text and reason in text
        assert not PreventionVisit.objects.exists() and not files
        return
    assert resp.status_code == 302
    photo = PreventionVisit.objects.get().photos.get()
    assert photo.file.name.startswith("prevention/") and photo.file.name.endswith(uploads.FORMATS[expected_format][0])
    served = client_for("county").get(reverse("insurance:preventionvisit_photo", args=[photo.pk]))
    body = b"".join(served.streaming_content)
    assert served["X-Content-Type-Options"] == "nosniff" and SCRIPT not in body
    assert hashlib.sha256(body).hexdigest() == photo.sha256
