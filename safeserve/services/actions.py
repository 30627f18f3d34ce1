"""Every write of the services app: contracts, visits (hash-chained), ratings, and the jobs."""

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core import uploads
from safeserve.core.audit import AuditAction, record
from safeserve.notifications.actions import notify
from safeserve.notifications.models import Level
from safeserve.notifications.queries import agency_users, town_officers
from safeserve.registry.choices import ServiceType
from safeserve.registry.models import Agency, AgencyQualification, AgencyStaff

from . import chain, transitions
from .choices import ITEM_SERVICE_TYPE, ContractStatus, ItemResult
from .models import (
    ConfirmMethod,
    PendingPhoto,
    ServiceContract,
    ServiceVisit,
    VisitConfirmation,
    VisitItemResult,
    VisitPhoto,
    VisitRating,
)

# Photos chosen on the visit form wait as PendingPhoto rows for this long, at most this many per user.
PENDING_PHOTO_HOURS = 24
PENDING_PHOTO_MAX = 60
# The enterprise's one-time confirmation code: digits, minutes valid, wrong tries before it is void.
CONFIRM_CODE_DIGITS = 6
CONFIRM_CODE_MINUTES = 15
CONFIRM_CODE_MAX_TRIES = 5


def contract_actions_for(user, contract) -> list[str]:
    """The steps ``user`` may take on ``contract`` now, as the table (services/transitions.py) says."""
    return transitions.available_actions(user, contract)


def may_record_visits(user) -> bool:
    """Only a service agency's staff record visits (and see the "record a visit" buttons)."""
    return user is not None and user.role == Role.AGENCY and user.has_perm("services.add_servicevisit")


def is_contract_agency(user, contract) -> bool:
    """The agency a contract names (its party, whoever owns the contract)."""
    return user is not None and user.role == Role.AGENCY and user.agency_id == contract.agency_id


def may_record_visit_for(user, contract) -> bool:
    """A visit is recorded on an active contract of the recorder's own agency."""
    return may_record_visits(user) and is_contract_agency(user, contract) and contract.status == ContractStatus.ACTIVE


def is_visit_agency(user, visit) -> bool:
    """The agency that made the visit: it reports the hazards it found there."""
    return user is not None and user.role == Role.AGENCY and user.agency_id == visit.agency_id


def is_served_enterprise(user, visit) -> bool:
    """The enterprise the visit served: it alone rates the visit."""
    return user is not None and user.role == Role.ENTERPRISE and user.enterprise_id == visit.enterprise_id


def may_rate(user, visit) -> bool:
    return is_served_enterprise(user, visit) and user.has_perm("services.add_visitrating")


@transaction.atomic
def contract_transition(*, actor, contract, action: str, note: str = "", today: date | None = None):
    """Take one step of the contract lifecycle, if the table allows it for the actor's relation."""
    if action not in transitions.ACTIONS:
        raise ValidationError(_("未知操作"))
    party = transitions.role_party(actor)
    if party not in transitions.parties_for(action):
        raise PermissionDenied(_("您的角色不能执行该操作"))
    rows = ServiceContract.objects.all()
    if actor is not None:
        # Only the contract's owner acts on it (ServiceContract.owner_q): seeing it is not enough.
        if not rows.visible_to(actor, "view").filter(pk=contract.pk).exists():
            raise PermissionDenied(_("该记录超出您的数据权限范围"))
        if party not in transitions.relations(actor, contract):
            raise PermissionDenied(_("该合同由付费方（或县应急管理局）管理，您不能变更其状态"))
    try:
        fresh = rows.select_for_update(of=("self",)).get(pk=contract.pk)
    except ServiceContract.DoesNotExist:
        raise PermissionDenied(_("该记录超出您的数据权限范围")) from None
    t = transitions.lookup(fresh.status, action)
    if t is None:
        raise ValidationError(
            _("合同当前状态为“%(s)s”，不能执行“%(a)s”")
            % {"s": fresh.get_status_display(), "a": transitions.ACTIONS[action]}
        )
    if party not in t.parties:
        raise PermissionDenied(_("您的角色不能执行该操作"))
    if action == "activate":
        if not fresh.links.exists():
            raise ValidationError(_("合同没有服务企业，不能生效"))
        if fresh.staff.exclude(agency_id=fresh.agency_id).exists():
            raise ValidationError(_("指派人员必须属于该服务机构"))
    before = fresh.status
    fresh.status = t.target
    if action == "terminate":
        fresh.terminated_on = today or timezone.localdate()
    fresh.full_clean()
    fresh.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes={"status": [before, fresh.status]},
        note=note or str(transitions.ACTIONS[action]),
    )
    return fresh


@uploads.discard_files_on_error
@transaction.atomic
def contract_attach_scan(*, actor, contract, upload) -> ServiceContract:
    """The contract's owner (its payer, or the county) attaches the signed contract, scanned.

    A PDF is parsed and refused if encrypted or active (scripts, attachments, launch actions); a
    photo is re-encoded (core.uploads.verify_scan). A new scan replaces the old; both hashes are in
    the history.
    """
    if actor is None or not actor.has_perm("services.change_servicecontract"):
        raise PermissionDenied(_("您没有该操作的权限"))
    owner = ServiceContract.owner_q(actor)
    mine = owner is not None and ServiceContract.objects.visible_to(actor, "view").filter(owner, pk=contract.pk)
    if not mine or not mine.exists():
        raise PermissionDenied(_("该合同由付费方（或县应急管理局）管理，您不能上传其扫描件"))
    if not upload:
        _fail("scan", _("请选择签署的合同扫描件（PDF 或照片）"))
    document = uploads.verify_scan(upload)
    fresh = ServiceContract.objects.select_for_update().get(pk=contract.pk)
    before = fresh.scan_sha256 or None
    old = (fresh.scan.storage, fresh.scan.name) if fresh.scan else None
    fresh.scan_sha256 = document.sha256
    fresh.scan_name = document.name[:200]
    uploads.save_document(fresh.scan, document)
    fresh.full_clean()
    fresh.save(update_fields=["scan", "scan_sha256", "scan_name", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=fresh,
        changes={"scan_sha256": [before, fresh.scan_sha256], "scan_name": [None, fresh.scan_name]},
        note=_("上传合同扫描件"),
    )
    if old and old[1] != fresh.scan.name:
        transaction.on_commit(lambda: old[0].delete(old[1]))
    return fresh


def expire_contracts(today: date | None = None) -> int:
    """Daily job: active contracts past their end date become expired."""
    today = today or timezone.localdate()
    n = 0
    for c in ServiceContract.objects.filter(status=ContractStatus.ACTIVE, end_date__lt=today):
        contract_transition(actor=None, contract=c, action="expire", note=_("服务期届满，系统自动到期"))
        n += 1
    return n


def prepare_checklist_item(*, actor, previous, instance):
    """Write hook (core.actions.WRITE_HOOKS): an item answered on a signed visit keeps its wording.

    The visit's hash covers the item's id, and its page shows the item's text: rewording a used item
    would change what a signed record says. Reword by adding a new item instead.
    """
    if previous is None:
        return
    fields = ("template_id", "category", "text")
    changed = any(getattr(previous, f) != getattr(instance, f) for f in fields)
    if changed and VisitItemResult.objects.filter(item_id=instance.pk).exists():
        raise ValidationError(
            {"text": _("该检查项已用于服务记录，内容不能再修改（已签署的记录以原内容为准）；请新建检查项")}
        )


# ---------------------------------------------------------------- visits


def _fail(field, message):
    raise ValidationError({field: message})


def missing_licences(agency_id, items, day) -> list[str]:
    """Licensed service types the contract's items need but the agency holds no qualification for on ``day``.

    Only a qualification of that service type, valid on the day as far as the county has confirmed
    it (``AgencyQualification.counts_on``), counts. Docs: decisions/0014-related-rows-and-qualifications.md.
    """
    licensed = set(settings.SAFESERVE["LICENSED_SERVICE_TYPES"])
    needed = {ITEM_SERVICE_TYPE.get(i) for i in items or ()} & licensed
    if not needed:
        return []
    held = set(
        AgencyQualification.objects.filter(
            AgencyQualification.counts_on_q(day), agency_id=agency_id, service_type__in=needed
        ).values_list("service_type", flat=True)
    )
    return sorted(needed - held)


@uploads.discard_files_on_error
@transaction.atomic
def visit_record(
    *,
    actor,
    contract,
    enterprise,
    visited_at: datetime,
    staff,
    template=None,
    results: dict | None = None,
    findings: str = "",
    signed_by: str = "",
    signed_at: datetime | None = None,
    photos=(),
    pending_photos=(),
    latitude=None,
    longitude=None,
    location_accuracy=None,
) -> ServiceVisit:
    """Record one visit, chained to the agency's previous record.

    ``pending_photos`` are ids of the actor's own ``PendingPhoto`` rows (uploaded when chosen): they
    are moved onto the visit. ``latitude``/``longitude`` come from the browser (asked on a tap); the
    time stamp (``recorded_at``) is the server's clock, never the phone's.

    ``results`` maps a checklist item id to (result, note). Every staff member present must be
    qualified on the day of the visit; otherwise the whole record is refused, naming the person.
    ``photos`` are uploads or ``VerifiedImage``s; each is checked by content and stored re-encoded.
    """
    if not may_record_visits(actor):
        raise PermissionDenied(_("只有服务机构人员可以录入服务记录"))
    if contract.agency_id != actor.agency_id:
        raise PermissionDenied(_("该合同不属于您的机构"))
    if contract.status != ContractStatus.ACTIVE:
        _fail("contract", _("合同未处于履行中，不能录入服务记录"))
    if visited_at is None:
        _fail("visited_at", _("请填写服务时间"))
    if timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    day = timezone.localtime(visited_at).date()
    if visited_at > timezone.now() + timedelta(minutes=10):
        _fail("visited_at", _("服务时间不能晚于当前时间"))
    if not (contract.start_date <= day <= contract.end_date):
        _fail("visited_at", _("服务时间不在合同服务期内"))
    if not contract.links.filter(enterprise_id=enterprise.pk).exists():
        _fail("enterprise", _("该企业不在本合同服务范围内"))
    agency = Agency.objects.only("is_active").get(pk=actor.agency_id)
    if not agency.is_active:
        raise PermissionDenied(_("本机构已不在服务机构名录中（不在册），不能录入服务记录"))
    lacking = missing_licences(actor.agency_id, contract.items, day)
    if lacking:
        labels = "、".join(str(ServiceType(t).label) for t in lacking)
        _fail(
            "contract",
            _("本机构在 %(day)s 没有经县局核验的有效“%(types)s”资质，不能录入该合同的服务记录")
            % {"day": day.isoformat(), "types": labels},
        )
    # Read the people afresh: their certificates are judged as stored now, not as the caller loaded them.
    staff = list(AgencyStaff.objects.filter(pk__in=[p.pk for p in staff]).order_by("name", "pk"))
    if not staff:
        _fail("staff", _("请选择到场人员"))
    for person in staff:
        if person.agency_id != actor.agency_id:
            _fail("staff", _("%(name)s 不是本机构人员") % {"name": person.name})
        if not person.is_qualified_on(day) and person.certificate_pending_on(day):
            _fail(
                "staff",
                _("%(name)s 的注册安全工程师证书由本机构新填或变更，尚待县应急管理局核验，不能作为到场人员")
                % {"name": person.name},
            )
        if not person.is_qualified_on(day):
            _fail(
                "staff",
                _("%(name)s 在 %(day)s 没有有效的执业资格（注册安全工程师证书），不能作为到场人员")
                % {"name": person.name, "day": day.isoformat()},
            )
    results = results or {}
    items = list(template.items.all()) if template is not None else []
    item_ids = {i.pk for i in items}
    if set(results) - item_ids:
        _fail("results", _("检查结果含有不属于该检查表的项目"))
    missing = [i for i in items if i.pk not in results or not results[i.pk][0]]
    if missing:
        _fail("results", unanswered_message(items, missing))
    for item_id, (res, _note) in results.items():
        if res not in ItemResult.values:
            _fail("results", _("检查结果无效"))
        if res == ItemResult.PROBLEM and not (_note or "").strip() and not findings.strip():
            _fail("results", _("“存在问题”的检查项须填写说明"))
    if signed_by and signed_at is None:
        signed_at = timezone.now()
    position = _position(latitude, longitude, location_accuracy)
    images = uploads.verify_images(photos, field="photos")
    pending = _own_pending(actor, pending_photos)
    if len(images) + len(pending) > uploads.limit("UPLOAD_IMAGE_MAX_FILES"):
        _fail("photos", _("一次最多上传 %(n)d 张照片") % {"n": uploads.limit("UPLOAD_IMAGE_MAX_FILES")})
    # A pending photo was verified when chosen; it goes through the same check again as it moves.
    images += [uploads.verify_image(p.file, name=p.name) for p in pending]

    # Serialise the agency's chain: the agency row is the lock.
    Agency.objects.select_for_update().filter(pk=actor.agency_id).first()
    last = ServiceVisit.objects.filter(agency_id=actor.agency_id).order_by("-seq").values("seq", "content_hash").first()
    visit = ServiceVisit(
        agency_id=actor.agency_id,
        contract=contract,
        enterprise=enterprise,
        visited_at=visited_at,
        template=template,
        findings=findings.strip(),
        signed_by=signed_by.strip(),
        signed_at=signed_at,
        recorded_by=actor,
        recorded_at=timezone.now(),
        latitude=position[0],
        longitude=position[1],
        location_accuracy=position[2],
        seq=(last["seq"] + 1) if last else 1,
        prev_hash=last["content_hash"] if last else chain.GENESIS,
        content_hash="0" * 64,
    )
    visit.full_clean()
    visit.save()
    visit.staff.set(staff)
    VisitItemResult.objects.bulk_create(
        [VisitItemResult(visit=visit, item_id=i, result=r, note=(n or "").strip()) for i, (r, n) in results.items()]
    )
    for image in images:
        # The hash is of the bytes actually stored (the re-encoded image), as verification reads them.
        photo = VisitPhoto(
            visit=visit,
            **image.evidence(),
        )
        uploads.save_image(photo.file, image)
        photo.save()
    # Round-trip visited_at through the database's precision before hashing.
    visit.refresh_from_db(fields=["visited_at", "signed_at", "recorded_at", "latitude", "longitude"])
    content, _problems = chain.stored_content(visit, check_files=False)
    visit.content_hash = chain.digest(content)
    ServiceVisit.objects.filter(pk=visit.pk).update(content_hash=visit.content_hash)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=visit,
        changes={"content_hash": [None, visit.content_hash], "seq": [None, visit.seq]},
    )
    if pending:
        stale = [(p.file.storage, p.file.name) for p in pending]
        PendingPhoto.objects.filter(pk__in=[p.pk for p in pending]).delete()
        transaction.on_commit(lambda: [storage.delete(name) for storage, name in stale])
    return visit


def unanswered_message(items, missing) -> str:
    """检查项 n“…”未作答 — naming the first few unanswered items by number and text."""
    number = {item.pk: n for n, item in enumerate(items, start=1)}
    named = "；".join(_("第 %(n)d 项“%(text)s”") % {"n": number[i.pk], "text": i.text} for i in missing[:3])
    more = _("等 %(count)d 项") % {"count": len(missing)} if len(missing) > 3 else ""
    return _("检查项未作答：%(items)s%(more)s。每一项都须选择“符合”“存在问题”或“不适用”") % {
        "items": named,
        "more": more,
    }


def _position(latitude, longitude, accuracy):
    """(lat, lng, accuracy) checked: both or neither, within the earth's ranges."""
    if latitude in (None, "") and longitude in (None, ""):
        return None, None, None
    try:
        lat = Decimal(str(latitude)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        lng = Decimal(str(longitude)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        _fail("latitude", _("位置无效：纬度和经度须为数字"))
    if not (lat.is_finite() and lng.is_finite()):
        _fail("latitude", _("位置无效：纬度和经度须为数字"))
    if not (Decimal(-90) <= lat <= Decimal(90)):
        _fail("latitude", _("位置无效：纬度须在 -90 到 90 之间"))
    if not (Decimal(-180) <= lng <= Decimal(180)):
        _fail("longitude", _("位置无效：经度须在 -180 到 180 之间"))
    acc = None
    if accuracy not in (None, ""):
        try:
            acc = max(0, min(100_000, round(float(accuracy))))
        except (ValueError, TypeError, OverflowError):
            acc = None
    return lat, lng, acc


def _own_pending(actor, ids) -> list:
    """The actor's own pending photos by id; any other id (someone else's, expired) is refused."""
    wanted = []
    for raw in ids or ():
        pk = raw.pk if isinstance(raw, PendingPhoto) else raw
        try:
            wanted.append(int(pk))
        except (TypeError, ValueError):
            _fail("photos", _("照片已失效，请重新选择"))
    if not wanted:
        return []
    found = list(PendingPhoto.objects.select_for_update().filter(owner=actor, pk__in=set(wanted)).order_by("pk"))
    if len(found) != len(set(wanted)):
        _fail("photos", _("部分照片已失效（超过 %(h)d 小时未提交），请重新选择") % {"h": PENDING_PHOTO_HOURS})
    return found


@uploads.discard_files_on_error
@transaction.atomic
def pending_photo_add(*, actor, upload) -> PendingPhoto:
    """Verify one photo the moment it is chosen on the visit form and keep it for its uploader."""
    if actor is None or actor.role != Role.AGENCY or not actor.has_perm("services.add_servicevisit"):
        raise PermissionDenied(_("只有服务机构人员可以上传服务记录照片"))
    since = timezone.now() - timedelta(hours=PENDING_PHOTO_HOURS)
    if PendingPhoto.objects.filter(owner=actor, created_at__gte=since).count() >= PENDING_PHOTO_MAX:
        _fail("photo", _("待提交的照片已达 %(n)d 张，请先保存服务记录") % {"n": PENDING_PHOTO_MAX})
    if not upload:
        _fail("photo", _("请选择照片"))
    image = uploads.verify_image(upload)
    photo = PendingPhoto(
        owner=actor,
        **image.evidence(),
    )
    uploads.save_image(photo.file, image)
    photo.full_clean()
    photo.save()
    return photo


def purge_pending_photos(now: datetime | None = None) -> int:
    """Daily job: photos chosen but never saved with a visit are deleted after PENDING_PHOTO_HOURS."""
    cutoff = (now or timezone.now()) - timedelta(hours=PENDING_PHOTO_HOURS)
    n = 0
    for photo in PendingPhoto.objects.filter(created_at__lt=cutoff).iterator():
        photo.file.delete(save=False)
        photo.delete()
        n += 1
    return n


# ---------------------------------------------------------------- the enterprise confirms


def _code_hash(visit_id, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"visit-confirm:{visit_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _confirmation(visit) -> VisitConfirmation:
    conf, _created = VisitConfirmation.objects.select_for_update().get_or_create(visit=visit)
    return conf


def _already_confirmed(conf):
    if conf.confirmed_at:
        raise ValidationError(
            _("本次服务已于 %(t)s 确认") % {"t": f"{timezone.localtime(conf.confirmed_at):%Y-%m-%d %H:%M}"}
        )


@transaction.atomic
def visit_confirm_code_issue(*, actor, visit) -> str:
    """The agency shows a new one-time code on its phone; any earlier code is void. Returns the code."""
    if actor is None or actor.role != Role.AGENCY or actor.agency_id != visit.agency_id:
        raise PermissionDenied(_("只有录入本记录的服务机构可以生成确认码"))
    conf = _confirmation(visit)
    _already_confirmed(conf)
    code = "".join(secrets.choice("0123456789") for _i in range(CONFIRM_CODE_DIGITS))
    conf.code_hash = _code_hash(visit.pk, code)
    conf.code_expires_at = timezone.now() + timedelta(minutes=CONFIRM_CODE_MINUTES)
    conf.failed_attempts = 0
    conf.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=conf,
        changes={"code_expires_at": [None, conf.code_expires_at.isoformat()]},
        note=_("生成企业现场确认码"),
    )
    return code


def visit_confirm_by_code(*, visit, code: str, name: str, actor=None) -> VisitConfirmation:
    """The enterprise's contact types the code shown on the agency's phone (no account needed).

    A wrong code counts against it (and is audited) even though the caller gets an error: the count
    is committed first, then the error raised; the fifth wrong try voids the code.
    """
    conf, error = _try_code(visit=visit, code=code, name=name, actor=actor)
    if error is not None:
        raise ValidationError(error)
    return conf


@transaction.atomic
def _try_code(*, visit, code, name, actor):
    name = (name or "").strip()
    conf = _confirmation(visit)
    if conf.confirmed_at:
        t = f"{timezone.localtime(conf.confirmed_at):%Y-%m-%d %H:%M}"
        return conf, _("本次服务已于 %(t)s 确认") % {"t": t}
    if not conf.code_hash:
        return conf, _("确认码无效：请服务人员在手机上重新生成确认码")
    if conf.code_expires_at is None or conf.code_expires_at < timezone.now():
        return conf, _("确认码已过期（有效期 %(m)d 分钟）：请服务人员重新生成") % {"m": CONFIRM_CODE_MINUTES}
    code = "".join((code or "").split())
    if not hmac.compare_digest(conf.code_hash, _code_hash(visit.pk, code)):
        conf.failed_attempts += 1
        left = CONFIRM_CODE_MAX_TRIES - conf.failed_attempts
        if left <= 0:
            conf.code_hash, conf.code_expires_at = "", None
        conf.save()
        record(
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=AuditAction.UPDATE,
            instance=conf,
            changes={"failed_attempts": [conf.failed_attempts - 1, conf.failed_attempts]},
            note=_("确认码错误"),
        )
        if left <= 0:
            return conf, _("确认码错误次数过多，已失效：请服务人员重新生成确认码")
        return conf, _("确认码错误，还可尝试 %(n)d 次") % {"n": left}
    if not name:
        return conf, {"name": _("请填写企业确认人姓名")}
    return _confirm(conf, actor=actor, method=ConfirmMethod.CODE, name=name[:50]), None


def _confirm(conf, *, actor, method, name):
    conf.code_hash, conf.code_expires_at = "", None
    conf.confirmed_at = timezone.now()
    conf.method = method
    conf.confirmed_by = actor if actor is not None and actor.is_authenticated else None
    conf.confirmer_name = name
    conf.full_clean()
    conf.save()
    record(
        actor=conf.confirmed_by,
        action=AuditAction.UPDATE,
        instance=conf,
        changes={
            "confirmed_at": [None, conf.confirmed_at.isoformat()],
            "method": [None, method],
            "confirmer_name": [None, name],
        },
        note=_("企业确认服务"),
    )
    return conf


@transaction.atomic
def visit_confirm_by_login(*, actor, visit) -> VisitConfirmation:
    """A user of the enterprise served confirms the visit on its own account."""
    if actor is None or actor.role != Role.ENTERPRISE or actor.enterprise_id != visit.enterprise_id:
        raise PermissionDenied(_("只有被服务企业可以确认本次服务"))
    conf = _confirmation(visit)
    _already_confirmed(conf)
    return _confirm(conf, actor=actor, method=ConfirmMethod.LOGIN, name=(actor.get_full_name() or actor.username)[:50])


@transaction.atomic
def visit_rate(*, actor, visit, score: int, comment: str = "") -> VisitRating:
    if not is_served_enterprise(actor, visit):
        raise PermissionDenied(_("只有被服务企业可以评价本次服务"))
    if not actor.has_perm("services.add_visitrating"):
        raise PermissionDenied(_("您没有该操作的权限"))
    rating = VisitRating.objects.filter(visit=visit).first()
    before = {"score": rating.score, "comment": rating.comment} if rating else {}
    rating = rating or VisitRating(visit=visit, agency_id=visit.agency_id, rated_by=actor)
    rating.score = score
    rating.comment = (comment or "").strip()
    rating.full_clean()
    rating.save()
    record(
        actor=actor,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        instance=rating,
        changes={"score": [before.get("score"), score], "comment": [before.get("comment"), rating.comment]},
    )
    return rating


# ---------------------------------------------------------------- jobs


def flag_missing_visits(today: date | None = None) -> int:
    """Job: tell the agency and the town office about visits overdue against the contract frequency."""
    from .queries import missing_visits

    today = today or timezone.localdate()
    sent = 0
    for row in missing_visits(None, today=today):
        link = reverse("services:servicecontract_detail", args=[row["contract_id"]])
        title = _("服务记录缺失：%(ent)s（合同 %(no)s，应于 %(due)s 前上门）") % {
            "ent": row["enterprise_name"],
            "no": row["contract_number"],
            "due": row["due"].isoformat(),
        }
        body = _("按合同每年 %(n)d 次上门服务，上次服务：%(last)s。") % {
            "n": row["visits_per_year"],
            "last": row["last_visit"].isoformat() if row["last_visit"] else _("无"),
        }
        key = f"visit-missing:{row['contract_id']}:{row['enterprise_id']}:{row['due'].isoformat()}"
        recipients = list(agency_users(row["agency_id"])) + list(town_officers(row["town_id"]))
        sent += len(
            notify(
                actor=None,
                recipients=recipients,
                kind="visit_missing",
                title=title,
                body=body,
                link=link,
                level=Level.WARNING,
                dedup_key=key,
            )
        )
    return sent
