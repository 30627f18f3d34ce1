"""The permission world's reports: one per side (A: about enterprise A, assigned to town A; B: about
enterprise B, assigned to town B), each with a real-name reporter, an attachment and a supplement,
filed through the public door and accepted by a handler, as people would."""

from django.contrib.auth.models import Permission

from safeserve.accounts.choices import Role
from safeserve.accounts.models import User
from safeserve.tipoffs import actions
from safeserve_dev.testfiles import image_bytes, upload
from safeserve_dev.testkit import PASSWORD

REPORTERS = {"a": ("举报人甲某", "13911110001"), "b": ("举报人乙某", "13922220002")}


def make_handler(username="handler"):
    user = User(username=username, role=Role.COUNTY, full_name="受理员" + username)
    user.set_password(PASSWORD)
    user.save()
    user.user_permissions.add(Permission.objects.get(content_type__app_label="tipoffs", codename="handle_tipoff"))
    return User.objects.get(pk=user.pk)  # fresh: no permission cache


def file_tipoff(*, enterprise=None, agency=None, name="", phone="", text="举报内容", ip="10.0.0.1", files=(), **extra):
    data = {
        "subject_kind": "enterprise" if enterprise else ("agency" if agency else "unknown"),
        "enterprise": enterprise,
        "agency": agency,
        "unit_name": "" if enterprise or agency else "不明作坊",
        "unit_address": "" if enterprise or agency else "某村某路",
        "category": "illegal",
        "description": text,
        "reporter_name": name,
        "reporter_phone": phone,
        **extra,
    }
    return actions.tipoff_file(data=data, attachments=list(files), password="secret-pass-1", client_ip=ip)


def extend_world(world):
    o = world.objs
    handler = make_handler()
    world.users["handler"] = handler
    for side, ent, town in (("a", o["ent_a"], o["town_a"]), ("b", o["ent_b"], o["town_b"])):
        name, phone = REPORTERS[side]
        photo = upload(f"photo_{side}.jpg", image_bytes())
        t = file_tipoff(
            enterprise=ent, name=name, phone=phone, text=f"举报{side.upper()}：仓库违规存放易燃物品", files=[photo]
        )
        actions.tipoff_supplement(tipoff=t, text=f"补充{side.upper()}：夜间生产", attachments=[], client_ip="10.0.0.2")
        t = actions.tipoff_transition(actor=handler, tipoff=t, action="accept", town=town)
        o[f"tipoff_{side}"] = t
        o[f"attachment_{side}"] = t.attachments.first()
    return world
