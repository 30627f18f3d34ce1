"""The insured's file (一企一档) as a PDF: the sections of the page, in Chinese, scoped like the page."""

import io

import pytest
from pypdf import PdfReader

from safeserve_dev.insurance_fixtures import extend_world


@pytest.fixture
def iw(world):
    return extend_world(world)


def _text(resp) -> str:
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(resp.content))
    return "".join(p.extract_text() for p in reader.pages).replace("\x00", "").replace(" ", "").replace("\n", "")


def test_the_pdf_holds_every_section_of_the_file(iw, client_for):
    ent = iw["ent_a"]
    resp = client_for("insurer_a").get(f"/insurance/insured/{ent.pk}/file.pdf")
    assert ".pdf" in resp["Content-Disposition"]
    text = _text(resp)
    assert ent.credit_code in text
    for needle in (
        "安责险一企一档",
        iw["policy_a"].number,  # the policy
        "隐患排查全覆盖",  # the plan's goals
        "甲企业隐患排查服务费",  # the fee ledger
        "甲投诉人",  # a complaint
        "甲车间机械伤害",  # a claim
        "甲评估人",  # a yearly evaluation
        "服务记录",
        "年度评估",
    ):
        assert needle in text, needle
    # Nothing of the other insured.
    for needle in (iw["policy_b"].number, "乙投诉人", "乙评估人"):
        assert needle not in text, needle


def test_the_pdf_is_scoped_like_the_page(iw, client_for):
    ent_a = iw["ent_a"]
    assert client_for("ent_a").get(f"/insurance/insured/{ent_a.pk}/file.pdf").status_code == 200
    assert client_for("town_b").get(f"/insurance/insured/{ent_a.pk}/file.pdf").status_code == 404
    assert client_for("agency_a").get(f"/insurance/insured/{ent_a.pk}/file.pdf").status_code == 403
    page = client_for("county").get(f"/insurance/insured/{ent_a.pk}/").content.decode()
    assert f"/insurance/insured/{ent_a.pk}/file.pdf" in page
