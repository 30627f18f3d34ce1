"""Account provisioning (issue 11 §4, ADR 0024): bulk creation from .xlsx, the safety manager's invite
link, initial passwords that must be changed, and the expired-session message."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from safeserve.accounts.models import AccountInvite, User
from safeserve.core.models import AuditLog
from safeserve_dev import permsuite
from safeserve_dev.testfiles import hostile_rosters, xlsx_bytes, zip_bomb_xlsx
from safeserve_dev.testkit import PASSWORD

world = permsuite.shared_world()


@pytest.fixture(autouse=True)
def _each_test_in_a_savepoint(world, db):
    """The world is built once for the module; what a test writes is rolled back after it."""


IMPORT = "/accounts/users/import/"
HEADER = ("用户名*", "姓名*", "手机号*", "角色*", "所属镇（街道）", "所属单位", "电子邮箱")


def _client(world, persona):
    c = Client()
    c.force_login(world.user(persona))
    return c


def _upload(client, rows, name="账号.xlsx"):
    data = xlsx_bytes([HEADER, *rows])
    return client.post(IMPORT, {"action": "upload", "file": SimpleUploadedFile(name, data)})


def _errors(resp):
    return resp.context["error_lines"]


GOOD = [
    ("luoxing_li", "李镇干", "13811112222", "镇（街道）安监办人员", "罗星街道", "", ""),
    ("jia_wujin", "王安全", "13911112222", "企业用户", "", "嘉善甲五金有限公司", "wang@example.cn"),
]


def test_the_template_has_header_dropdowns_example_and_instructions(world):
    resp = _client(world, "county").get(reverse("accounts:user_import_template"))
    assert resp.status_code == 200 and "filename*=utf-8''" in resp["Content-Disposition"]
    wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content)))
    ws = wb["账号"]
    assert [c.value for c in ws[1]] == list(HEADER)
    assert ws["B2"].value == "张三（示例）"
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists["D2:D501"].startswith("'可选值'!$A$2") and lists["E2:E501"].startswith("'可选值'!$B$2")
    options = [r for r in wb["可选值"].iter_rows(values_only=True)]
    assert ("企业用户" in [r[0] for r in options]) and ("西塘镇" in [r[1] for r in options])
    assert "仅显示一次" in "".join(r[0] for r in wb["填写说明"].iter_rows(values_only=True))
    # A town officer's template offers only what it may create: enterprise accounts, no town list.
    resp = _client(world, "town_a").get(reverse("accounts:user_import_template"))
    wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content)))
    assert [r[0] for r in wb["可选值"].iter_rows(min_row=2, values_only=True)] == ["企业用户"]
    assert wb["账号"]["F2"].value == "嘉善甲五金有限公司"


def test_the_template_writes_names_as_text_never_as_formulas(world):
    from safeserve.registry.models import Enterprise, Town

    Enterprise.objects.filter(pk=world["ent_a"].pk).update(name='=HYPERLINK("http://x","a")')
    Town.objects.filter(pk=world["town_b"].pk).update(name="@SUM(A1)")
    for persona in ("county", "town_a"):
        resp = _client(world, persona).get(reverse("accounts:user_import_template"))
        wb = load_workbook(io.BytesIO(b"".join(resp.streaming_content)))
        cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
        assert cells and [c.coordinate for c in cells if c.data_type == "f"] == [], persona


def test_row_errors_are_exact_and_one_bad_row_creates_nobody(world):
    before = User.objects.count()
    resp = _upload(
        _client(world, "county"),
        [
            GOOD[0],
            ("town_a", "重名", "13800000009", "企业用户", "", "嘉善甲五金有限公司", ""),
            ("LUOXING_LI", "重复", "1380000", "区长", "", "", ""),
            ("ok_user", "无单位", "13800000010", "服务机构人员", "", "不存在的机构", "not-an-email"),
            ("bad name!", "", "13800000011", "镇（街道）安监办人员", "火星镇", "", ""),
            ("formula", "=1+1", "13800000012", "企业用户", "", "嘉善甲五金有限公司", ""),
            ("zhangsan01", "张三（示例）", "13800000000", "企业用户", "", "", ""),  # the example row: skipped
        ],
    )
    assert resp.status_code == 200
    assert _errors(resp) == [
        "第 3 行，字段「用户名」：用户名“town_a”已存在",
        "第 4 行，字段「用户名」：与第 2 行重复",
        "第 4 行，字段「手机号」：应为 11 位手机号码（以 1 开头）",
        "第 4 行，字段「角色」：“区长”不是可选的角色",
        "第 5 行，字段「所属单位」：未找到单位“不存在的机构”",
        "第 5 行，字段「电子邮箱」：邮箱格式不正确",
        "第 6 行，字段「用户名」：只能包含字母、数字和 @ . + - _",
        "第 6 行，字段「姓名」：必填",
        "第 6 行，字段「所属镇（街道）」：未找到镇（街道）“火星镇”",
        "第 7 行，字段「姓名」：不接受公式，请填写文字",
    ]
    assert "confirm-import" not in resp.content.decode()  # nothing to confirm
    assert User.objects.count() == before


def test_import_creates_accounts_and_shows_each_password_once(world):
    county = _client(world, "county")
    resp = _upload(county, GOOD)
    assert resp.status_code == 200 and resp.context["parsed"].ok, _errors(resp)
    assert not User.objects.filter(username="luoxing_li").exists()  # a preview writes nothing
    token = resp.context["token"]
    resp = county.post(IMPORT, {"action": "confirm", "token": token})
    assert resp.status_code == 200 and resp["Cache-Control"] == "no-store, private"
    shown = {row[0]: row[4] for row in resp.context["created"]}
    town_user, ent_user = User.objects.get(username="luoxing_li"), User.objects.get(username="jia_wujin")
    assert town_user.town == world["town_a"] and ent_user.enterprise == world["ent_a"]
    assert ent_user.phone == "13911112222" and ent_user.must_change_password
    assert check_password(shown["jia_wujin"], ent_user.password)
    page = resp.content.decode()
    assert shown["jia_wujin"] in page and shown["luoxing_li"] in page
    # Audited, with neither the password nor its hash in the log.
    entries = AuditLog.objects.filter(action="create", object_id__in=[str(town_user.pk), str(ent_user.pk)])
    assert entries.count() == 2 and all(e.actor == world.user("county") for e in entries)
    logged = str(list(AuditLog.objects.values_list("changes", "note")))
    assert shown["jia_wujin"] not in logged and ent_user.password not in logged
    # The credential sheet comes from the page's signed rows, for its officer only.
    sheet = resp.context["sheet"]
    resp = county.post(reverse("accounts:user_import_credentials"), {"sheet": sheet})
    cells = [
        c
        for r in load_workbook(io.BytesIO(b"".join(resp.streaming_content))).active.iter_rows(values_only=True)
        for c in r
    ]
    assert shown["jia_wujin"] in cells and resp["Cache-Control"] == "no-store, private"
    other = _client(world, "town_a").post(reverse("accounts:user_import_credentials"), {"sheet": sheet})
    assert other.status_code == 403
    forged = county.post(reverse("accounts:user_import_credentials"), {"sheet": sheet[:-2] + "xx"})
    assert forged.status_code == 403
    # A second view (reload = the same confirm again) shows no password and creates nothing.
    again = county.post(IMPORT, {"action": "confirm", "token": token}, follow=True)
    text = again.content.decode()
    assert "本次导入已完成或已失效" in text and shown["jia_wujin"] not in text
    assert User.objects.filter(username__in=["luoxing_li", "jia_wujin"]).count() == 2


def test_a_username_taken_after_the_preview_rolls_the_whole_file_back(world):
    county = _client(world, "county")
    resp = _upload(county, GOOD)
    token = resp.context["token"]
    User.objects.create(username="jia_wujin", role="county")  # someone else took the second name
    resp = county.post(IMPORT, {"action": "confirm", "token": token})
    assert _errors(resp) == ["第 3 行，字段「用户名」：用户名“jia_wujin”已存在"]
    assert not User.objects.filter(username="luoxing_li").exists()


def test_the_import_action_writes_all_rows_or_none(world):
    from django.core.exceptions import ValidationError

    from safeserve.accounts.actions import accounts_import

    rows = [
        {"username": "first_ok", "full_name": "甲", "phone": "13800000030", "role": "county"},
        {"username": "town_a", "full_name": "乙", "phone": "13800000031", "role": "county"},  # taken
    ]
    with pytest.raises(ValidationError):
        accounts_import(actor=world.user("county"), rows=rows)
    assert not User.objects.filter(username="first_ok").exists()


def test_a_town_officer_creates_only_its_own_towns_enterprise_accounts(world):
    town_a = _client(world, "town_a")
    resp = _upload(
        town_a,
        [
            ("boss", "越权", "13800000020", "县局监管人员", "", "", ""),
            ("other_ent", "外镇", "13800000021", "企业用户", "", "西塘乙机械有限公司", ""),
            ("own_ent", "本镇", "13800000022", "企业用户", "", world["ent_a"].credit_code, ""),
        ],
    )
    assert _errors(resp) == [
        "第 2 行，字段「角色」：您无权创建“县局监管人员”账号",
        "第 3 行，字段「所属单位」：未找到本镇（街道）企业“西塘乙机械有限公司”",
    ]
    resp = _upload(town_a, [("own_ent", "本镇", "13800000022", "企业用户", "", world["ent_a"].credit_code, "")])
    resp = town_a.post(IMPORT, {"action": "confirm", "token": resp.context["token"]})
    assert resp.status_code == 200
    assert User.objects.get(username="own_ent").enterprise == world["ent_a"]


@pytest.mark.parametrize("key", ["svg_named_xlsx", "zip_without_workbook", "truncated"])
def test_hostile_files_are_refused(world, key):
    name, data, reason = hostile_rosters()[key]
    resp = _client(world, "county").post(IMPORT, {"action": "upload", "file": SimpleUploadedFile(name, data)})
    assert reason in resp.context["upload_error"]


def test_a_zip_bomb_is_refused_before_it_is_opened(world, settings):
    settings.SAFESERVE = {**settings.SAFESERVE, "IMPORT_MAX_UNCOMPRESSED_BYTES": 2 * 1024 * 1024}
    resp = _client(world, "county").post(
        IMPORT, {"action": "upload", "file": SimpleUploadedFile("b.xlsx", zip_bomb_xlsx(unpacked_mb=3))}
    )
    assert "解压后过大" in resp.context["upload_error"]


# ----------------------------------------------------------------------------- initial passwords


def test_an_initial_password_must_be_changed_before_anything_else(world):
    user = User.objects.create(username="fresh", role="town", town=world["town_a"], must_change_password=True)
    user.set_password(PASSWORD)
    user.save()
    c = Client()
    assert c.post("/accounts/login/", {"username": "fresh", "password": PASSWORD}).status_code == 302
    resp = c.get("/registry/enterprises/")
    assert resp.status_code == 302 and resp["Location"] == "/accounts/password/"
    assert c.get("/api/v1/registry/enterprises/").json()["detail"] == "请先修改初始密码后再使用系统。"
    assert c.get("/registry/enterprises/", headers={"HX-Request": "true"})["HX-Redirect"] == "/accounts/password/"
    assert "初始密码" in c.get("/accounts/password/").content.decode()
    new = "Anquan-2026-Jiashan"
    form = {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    assert c.post("/accounts/password/", form).status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password(new)
    assert c.get("/registry/enterprises/").status_code == 200  # the session survives the change
    entry = AuditLog.objects.filter(object_id=str(user.pk), note="本人修改密码").get()
    assert entry.changes == {"password": ["***", "***"], "must_change_password": [True, False]}


def test_initial_passwords_are_hashed_cheaply_and_upgraded_at_login(world, settings):
    from safeserve.accounts import hashers

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher", hashers.PATH]
    user = User(username="initial", role="county", password=hashers.hash_initial_password("Xk-7Tq9mWp2Lr4"))
    user.save()
    assert user.password.startswith("pbkdf2_sha256_initial$20000$")
    assert Client().post("/accounts/login/", {"username": "initial", "password": "Xk-7Tq9mWp2Lr4"}).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")  # re-hashed with the default at the first login


def test_a_password_set_by_the_bureau_is_an_initial_one(world):
    target = User.objects.get(username="town_b")  # not the world's object: its session hash must stay
    form = {"username": "town_b", "full_name": "town_b", "role": "town", "town": world["town_b"].pk}
    form.update({"is_active": "on", "new_password": "Anquan-2026-Reset"})
    resp = _client(world, "county").post(reverse("accounts:user_edit", args=[target.pk]), form)
    assert resp.status_code == 302
    target.refresh_from_db()
    assert target.must_change_password


def test_an_expired_session_says_so_in_chinese(world):
    c = _client(world, "town_a")
    session = c.session
    session.set_expiry(-1)
    session.save()
    resp = c.get("/registry/enterprises/", follow=True)
    assert resp.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert "登录已超时，请重新登录。" in resp.content.decode()
    assert "登录已超时" not in Client().get("/accounts/login/").content.decode()  # a first visit is no timeout
    # An htmx filter request on an expired session: the whole page goes to the login, not the table.
    resp = c.get(
        "/registry/enterprises/?q=x",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/registry/enterprises/?town=1"},
    )
    assert resp.status_code == 204
    assert resp["HX-Redirect"] == "/accounts/login/?next=%2Fregistry%2Fenterprises%2F%3Ftown%3D1"


# ----------------------------------------------------------------------------- the safety manager's invite


def _invite(world, persona="county", ent="ent_a"):
    return _client(world, persona).post(reverse("accounts:safety_manager_account", args=[world[ent].pk]))


def test_one_click_account_gives_a_single_use_invite_link(world):
    resp = _invite(world)
    assert resp.status_code == 200 and resp["Cache-Control"] == "no-store, private"
    link = resp.context["link"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    user = User.objects.get(enterprise=world["ent_a"], username__startswith="qy")
    assert (user.full_name, user.phone, user.role) == ("李四", "13800000001", "enterprise")
    assert not user.has_usable_password()
    # Only a hash is stored; the audit keeps a fingerprint of that, never the token.
    invite = AccountInvite.objects.get(user=user)
    assert token not in invite.token_hash
    assert token not in str(list(AuditLog.objects.values_list("changes", flat=True)))
    # A second click makes a new link and the first stops working.
    second = _invite(world).context["link"]
    assert second != link
    anon = Client()
    assert anon.get(link).status_code == 404
    page = anon.get(second)
    assert page.status_code == 200 and "qy" in page.content.decode()
    weak = anon.post(second, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200 and "这个密码太常见了" in weak.content.decode()
    new = "Anquan-2026-Jiashan"
    resp = anon.post(second, {"new_password1": new, "new_password2": new})
    assert resp.status_code == 302 and resp["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.check_password(new) and not user.must_change_password
    assert anon.get(second).status_code == 404  # used: single use
    assert "已使用或已过期" in anon.get(second).content.decode()
    assert Client().post("/accounts/login/", {"username": user.username, "password": new}).status_code == 302
    # Once the manager has a password, one click no longer hands out a link (nor offers to).
    url = reverse("accounts:safety_manager_account", args=[world["ent_a"].pk])
    resp = _client(world, "county").post(url, follow=True)
    assert "安全管理员账号已启用" in resp.content.decode()
    assert "开通并生成邀请链接" not in resp.content.decode()
    assert AccountInvite.objects.filter(user=user).count() == 2


def test_an_expired_invite_is_refused(world):
    link = _invite(world).context["link"]
    AccountInvite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(link).status_code == 404


def test_guessing_invite_tokens_is_throttled(world, settings):
    c = Client()
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        assert c.get(f"/accounts/password/invite/guess{i}/").status_code == 404
    assert c.get("/accounts/password/invite/guess-last/").status_code == 429
    link = _invite(world).context["link"]
    assert c.get(link).status_code == 429  # even a good link, from this address, for a while
    assert Client(REMOTE_ADDR="10.0.0.9").get(link).status_code == 200


@pytest.mark.parametrize("persona", ["town_b", "agency_a", "ent_a"])
def test_forged_one_click_requests_change_nothing(world, persona):
    client = _client(world, persona)
    before = permsuite.snapshot()
    assert client.post(reverse("accounts:safety_manager_account", args=[world["ent_a"].pk])).status_code in (403, 404)
    assert permsuite.changed_tables(before, permsuite.snapshot()) == []


def test_the_enterprise_panel_leads_to_the_button_for_whom_may_use_it(world):
    from types import SimpleNamespace

    from safeserve.accounts.panels import enterprise_accounts_panel

    for persona, shown in (("county", True), ("town_a", True), ("town_b", False), ("ent_a", False)):
        panels = enterprise_accounts_panel(SimpleNamespace(user=world.user(persona)), world["ent_a"])
        assert bool(panels) is shown, persona
    (panel,) = enterprise_accounts_panel(SimpleNamespace(user=world.user("town_a")), world["ent_a"])
    assert [i["text"] for i in panel["items"]] == ["ent_a · ent_a"] and panel["items"][0]["url"] is None
    page = _client(world, "town_a").get(panel["url"]).content.decode()
    assert "李四" in page and "qy" in page and "开通并生成邀请链接" in page
