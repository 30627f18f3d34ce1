"""An expert cannot resolve a credit code to an enterprise name through its employer (issue 8, 12)."""

from safeserve.registry.models import Expert


def _form(expert, **extra):
    data = {
        "name": expert.name,
        "id_number": expert.id_number,
        "title": expert.title,
        "specialties": expert.specialties,
        "pool": expert.pool,
        "employer": expert.employer,
        "phone": expert.phone,
        "email": expert.email,
        "is_active": "on",
    }
    data.update(extra)
    return data


def test_expert_cannot_look_up_an_enterprise_by_credit_code(world, client_for):
    """The employer link is the county's (recusal rests on it): an expert's attempt is refused as a
    field it may not write, before any lookup, so the page never names the enterprise."""
    expert, ent_b = world["expert_a"], world["ent_b"]
    resp = client_for("expert_a").post(
        f"/registry/experts/{expert.pk}/edit/", _form(expert, employer_enterprise=ent_b.credit_code)
    )
    page = resp.content.decode()
    assert resp.status_code == 200 and "您无权修改" in page
    assert ent_b.name not in page
    expert.refresh_from_db()
    assert expert.employer_enterprise_id is None
    assert ent_b.name not in client_for("expert_a").get(f"/registry/experts/{expert.pk}/").content.decode()


def test_unknown_invisible_and_visible_codes_get_the_same_answer(world, client_for):
    expert = world["expert_a"]
    c = client_for("expert_a")
    url = f"/registry/experts/{expert.pk}/edit/"
    codes = (world["ent_b"].credit_code, world["ent_a"].credit_code, "91330421MA0000000X")
    pages = [c.post(url, _form(expert, employer_enterprise=code)).content.decode() for code in codes]
    for page in pages:
        assert "您无权修改" in page
        assert world["ent_a"].name not in page and world["ent_b"].name not in page


def test_the_county_gets_one_answer_for_unknown_codes(world, client_for):
    expert = world["expert_a"]
    page = (
        client_for("county")
        .post(f"/registry/experts/{expert.pk}/edit/", _form(expert, employer_enterprise="91330421MA0000000X"))
        .content.decode()
    )
    assert "未找到该统一社会信用代码的企业" in page


def test_expert_api_cannot_link_an_invisible_enterprise(world, client_for):
    expert = world["expert_a"]
    resp = client_for("expert_a").patch(
        f"/api/v1/registry/experts/{expert.pk}/",
        {"employer_enterprise": world["ent_b"].pk},
        content_type="application/json",
    )
    assert resp.status_code == 400
    assert world["ent_b"].name not in resp.content.decode()
    assert Expert.objects.get(pk=expert.pk).employer_enterprise_id is None


def test_county_still_links_any_enterprise(world, client_for):
    expert, ent_b = world["expert_a"], world["ent_b"]
    resp = client_for("county").post(
        f"/registry/experts/{expert.pk}/edit/", _form(expert, employer_enterprise=ent_b.credit_code)
    )
    assert resp.status_code == 302
    expert.refresh_from_db()
    assert expert.employer_enterprise_id == ent_b.pk
