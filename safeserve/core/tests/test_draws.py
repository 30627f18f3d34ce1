"""The shared draw (core.draws): reproducible, hash before value, tamper shows, nothing deleted."""

import hashlib
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError

from safeserve.core import draws
from safeserve.core.models import AuditLog, Draw

pytestmark = pytest.mark.django_db


def people(n, weight=1):
    return [{"id": f"registry.enterprise:{i}", "label": f"企业{i}", "weight": weight} for i in range(1, n + 1)]


def test_sample_size_rounds_up_exactly():
    assert draws.sample_size(13, "0.15") == 2  # 1.95 -> 2
    assert draws.sample_size(20, "0.15") == 3
    assert draws.sample_size(0, "0.15") == 0
    assert draws.sample_size(3, 1) == 3
    assert draws.sample_size(7, "0.1") == 1


def test_rank_is_sha256_of_id_and_value_independent_of_list_order():
    cands = people(6)
    value = "2026112905"
    expected = sorted(
        (int.from_bytes(hashlib.sha256(f"{c['id']}/{value}".encode()).digest(), "big"), c["id"]) for c in cands
    )
    assert draws.rank(cands, value) == [cid for _, cid in expected]
    assert draws.rank(list(reversed(cands)), value) == draws.rank(cands, value)
    assert draws.rank(cands, value + "1") != draws.rank(cands, value)


def test_weights_favour_heavier_candidates_reproducibly():
    heavy = [{"id": "heavy", "weight": 5}] + [{"id": f"light{i}", "weight": 1} for i in range(5)]
    firsts = Counter(draws.rank(heavy, f"v{i}")[0] for i in range(600))
    # heavy holds 5 of 10 tickets: it comes first about half the time, each light one about a tenth.
    assert 240 < firsts["heavy"] < 360
    assert max(firsts[f"light{i}"] for i in range(5)) < 110


def test_same_inputs_same_result_and_a_changed_list_changes_the_hash(django_user_model):
    officer = django_user_model.objects.create(username="drawer", role="county")
    a = draws.freeze_draw(actor=officer, purpose="test", purpose_label="测试", candidates=people(8), places=3)
    b = draws.freeze_draw(actor=officer, purpose="test", purpose_label="测试", candidates=people(8), places=3)
    c = draws.freeze_draw(actor=officer, purpose="test", purpose_label="测试", candidates=people(9), places=3)
    assert a.candidates_hash == b.candidates_hash != c.candidates_hash
    assert a.number != b.number and a.number.startswith("CQ")
    a = draws.enter_value(actor=officer, draw=a, value="12345", source="lottery", note="福彩3D第2026300期")
    b = draws.enter_value(actor=officer, draw=b, value="12345", source="lottery")
    assert a.result == b.result and len(draws.chosen(a)) == 3
    assert draws.verify(a).ok
    # the value cannot be entered twice
    with pytest.raises(ValidationError):
        draws.enter_value(actor=officer, draw=a, value="99999", source="lottery")
    assert AuditLog.objects.filter(object_id=str(a.pk), content_type__model="draw").count() == 2


def test_server_value_is_recorded_and_verifies(django_user_model):
    officer = django_user_model.objects.create(username="drawer2", role="county")
    d = draws.freeze_draw(
        actor=officer, purpose="test", purpose_label="测试", candidates=people(5), places=2, reserves=2
    )
    d = draws.enter_value(actor=officer, draw=d, source="server")
    assert len(d.random_value) == 32 and d.value_source == "server"
    assert draws.verify(d).ok
    assert len(draws.reserves(d)) == 2 and set(draws.reserves(d)).isdisjoint(draws.chosen(d))


def test_tampered_list_or_result_fails_verification(django_user_model):
    officer = django_user_model.objects.create(username="drawer3", role="county")
    d = draws.enter_value(
        actor=officer,
        draw=draws.freeze_draw(actor=officer, purpose="test", purpose_label="测试", candidates=people(6), places=2),
        value="777",
        source="joint",
    )
    Draw.objects.filter(pk=d.pk).update(candidates=d.candidates[:-1] + [{"id": "intruder", "label": "x", "weight": 1}])
    d.refresh_from_db()
    check = draws.verify(d)
    assert not check.hash_ok and not check.ok
    with pytest.raises(CommandError):
        call_command("verify_draw", d.number)


def test_result_tamper_is_caught_by_command_and_page(client, django_user_model):
    officer = django_user_model.objects.create(username="drawer4", role="county")
    d = draws.enter_value(
        actor=officer,
        draw=draws.freeze_draw(
            actor=officer, purpose="test", purpose_label="测试", candidates=people(6), places=2, publish_labels=True
        ),
        value="4242",
        source="lottery",
    )
    page = client.get(f"/draws/{d.number}/")
    assert page.status_code == 200 and 'data-testid="draw-verified"' in page.content.decode()
    assert d.candidates_hash in page.content.decode() and "企业1" in page.content.decode()
    Draw.objects.filter(pk=d.pk).update(result=list(reversed(d.result)))
    with pytest.raises(CommandError):
        call_command("verify_draw", d.number)
    assert 'data-testid="draw-mismatch"' in client.get(f"/draws/{d.number}/").content.decode()


def test_public_page_hides_labels_unless_published(client, django_user_model):
    officer = django_user_model.objects.create(username="drawer5", role="county")
    d = draws.freeze_draw(
        actor=officer,
        purpose="experts",
        purpose_label="专家抽取",
        candidates=[{"id": "E1", "label": "张三"}, {"id": "E2", "label": "李四"}],
        places=1,
    )
    body = client.get(f"/draws/{d.number}/").content.decode()
    assert "E1" in body and "张三" not in body and "李四" not in body
    assert client.get("/draws/CQ1999-00001/").status_code == 404


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"candidates": people(2), "places": 3}, "places"),
        ({"candidates": people(2), "places": 0}, "places"),
        ({"candidates": people(2) + people(1), "places": 1}, "candidates"),
        ({"candidates": people(3, weight=11), "places": 1}, "candidates"),
        ({"candidates": people(3), "places": 1, "exclusions": [{"id": "x", "reason": " "}]}, "exclusions"),
        (
            {"candidates": people(3), "places": 1, "exclusions": [{"id": "registry.enterprise:1", "reason": "回避"}]},
            "exclusions",
        ),
    ],
)
def test_bad_draws_are_refused_in_chinese_and_nothing_saved(django_user_model, kwargs, field):
    officer = django_user_model.objects.create(username="drawer6", role="county")
    with pytest.raises(ValidationError) as exc:
        draws.freeze_draw(actor=officer, purpose="test", purpose_label="测试", **kwargs)
    assert field in exc.value.message_dict
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(exc.value.message_dict[field]))
    assert not Draw.objects.exists()


def test_redraw_cites_the_old_draw_with_a_reason_and_nothing_is_deleted(django_user_model):
    officer = django_user_model.objects.create(username="drawer7", role="county")
    first = draws.freeze_draw(actor=officer, purpose="test", purpose_label="测试", candidates=people(4), places=1)
    first = draws.enter_value(actor=officer, draw=first, value="1", source="lottery")
    with pytest.raises(ValidationError):
        draws.freeze_draw(
            actor=officer, purpose="test", purpose_label="测试", candidates=people(4), places=1, supersedes=first
        )
    second = draws.freeze_draw(
        actor=officer,
        purpose="test",
        purpose_label="测试",
        candidates=people(4),
        places=1,
        supersedes=first,
        redraw_reason="抽中企业已注销",
    )
    assert second.supersedes == first and list(first.redraws.all()) == [second]
    with pytest.raises(ProtectedError):
        first.delete()
    assert Draw.objects.count() == 2


def test_verify_draw_command_prints_match(django_user_model, capsys):
    officer = django_user_model.objects.create(username="drawer8", role="county")
    d = draws.enter_value(
        actor=officer,
        draw=draws.freeze_draw(actor=officer, purpose="test", purpose_label="测试", candidates=people(5), places=2),
        value="31415",
        source="lottery",
    )
    call_command("verify_draw", d.number)
    out = capsys.readouterr().out
    assert "MATCH" in out and "MISMATCH" not in out and "verified" in out
