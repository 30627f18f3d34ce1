"""Pages keep their query counts whatever the number of towns and objections, and render in English."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeserve.assessment import actions
from safeserve.registry.models import Town
from safeserve_dev.assessment_fixtures import make_scheme


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _open(world):
    county = world.user("county")
    return actions.assessment_open(
        actor=county, scheme=make_scheme(county, year=timezone.localdate().year), cut_off=timezone.localdate()
    )


def test_the_ranking_page_does_not_grow_with_the_towns(world, client_for):
    a = _open(world)
    c = client_for("county")
    few = _count(c, a.get_absolute_url())
    for n in range(3, 8):
        Town.objects.create(code=f"3304210{n:02d}", name=f"测试镇{n}", sort_order=n)
    b = actions.assessment_open(
        actor=world.user("county"), scheme=make_scheme(world.user("county"), year=2000), cut_off=timezone.localdate()
    )
    assert b.sheets.count() == 7
    assert _count(c, b.get_absolute_url()) == few


def test_the_sheet_page_does_not_grow_with_the_objections(world, client_for):
    a = _open(world)
    sheet = a.sheets.get(subject_id=world["town_a"].pk)
    c = client_for("town_a")
    scores = list(sheet.scores.order_by("indicator__order"))
    actions.objection_raise(actor=world.user("town_a"), score=scores[0], note="一")
    one = _count(c, sheet.get_absolute_url())
    for sc in scores[1:4]:
        actions.objection_raise(actor=world.user("town_a"), score=sc, note="多")
    assert _count(c, sheet.get_absolute_url()) == one


def test_the_sheet_in_english(world, client_for):
    a = _open(world)
    c = client_for("county")
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = c.get(a.sheets.get(subject_id=world["town_a"].pk).get_absolute_url()).content.decode()
    assert "Assessment sheet" in html
    assert "隐患整改率" in html and "Hazard closure rate" in html  # the name is data; the source's label translates
    assert "Adjust score" in html and "Linear between two thresholds" in html
