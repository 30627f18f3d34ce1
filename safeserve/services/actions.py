"""Every write of the services app: contracts, visits (hash-chained), ratings, and the jobs."""

from datetime import date, datetime, timedelta

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
from .models import ServiceContract, ServiceVisit, VisitItemResult, VisitPhoto, VisitRating


def contract_actions_for(user, contract) -> list[str]:
    """The steps ``user`` may take on ``contract`` now, as the table (services/transitions.py) says."""
    return transitions.available_actions(user, contract)


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
            raise PermissionDenied(_("该合同由付费方(或县应急管理局)管理,您不能变更其状态"))
    try:
        fresh = rows.select_for_update(of=("self",)).get(pk=contract.pk)
    except ServiceContract.DoesNotExist:
        raise PermissionDenied(_("该记录超出您的数据权限范围")) from None
    t = transitions.lookup(fresh.status, action)
    if t is None:
        raise ValidationError(
            _("合同当前状态为“%(s)s”,不能执行“%(a)s”")
            % {"s": fresh.get_status_display(), "a": transitions.ACTIONS[action]}
        )
    if party not in t.parties:
        raise PermissionDenied(_("您的角色不能执行该操作"))
    if action == "activate":
        if not fresh.links.exists():
            raise ValidationError(_("合同没有服务企业,不能生效"))
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


def expire_contracts(today: date | None = None) -> int:
    """Daily job: active contracts past their end date become expired."""
    today = today or timezone.localdate()
    n = 0
    for c in ServiceContract.objects.filter(status=ContractStatus.ACTIVE, end_date__lt=today):
        contract_transition(actor=None, contract=c, action="expire", note=_("服务期届满,系统自动到期"))
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
            {"text": _("该检查项已用于服务记录,内容不能再修改(已签署的记录以原内容为准);请新建检查项")}
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
) -> ServiceVisit:
    """Record one visit, chained to the agency's previous record.

    ``results`` maps a checklist item id to (result, note). Every staff member present must be
    qualified on the day of the visit; otherwise the whole record is refused, naming the person.
    ``photos`` are uploads or ``VerifiedImage``s; each is checked by content and stored re-encoded.
    """
    if actor is None or actor.role != Role.AGENCY or not actor.has_perm("services.add_servicevisit"):
        raise PermissionDenied(_("只有服务机构人员可以录入服务记录"))
    if contract.agency_id != actor.agency_id:
        raise PermissionDenied(_("该合同不属于您的机构"))
    if contract.status != ContractStatus.ACTIVE:
        _fail("contract", _("合同未处于履行中,不能录入服务记录"))
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
        raise PermissionDenied(_("本机构已不在服务机构名录中(不在册),不能录入服务记录"))
    lacking = missing_licences(actor.agency_id, contract.items, day)
    if lacking:
        labels = "、".join(str(ServiceType(t).label) for t in lacking)
        _fail(
            "contract",
            _("本机构在 %(day)s 没有经县局核验的有效“%(types)s”资质,不能录入该合同的服务记录")
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
                _("%(name)s 的注册安全工程师证书由本机构新填或变更,尚待县应急管理局核验,不能作为到场人员")
                % {"name": person.name},
            )
        if not person.is_qualified_on(day):
            _fail(
                "staff",
                _("%(name)s 在 %(day)s 没有有效的执业资格(注册安全工程师证书),不能作为到场人员")
                % {"name": person.name, "day": day.isoformat()},
            )
    results = results or {}
    items = list(template.items.all()) if template is not None else []
    item_ids = {i.pk for i in items}
    if set(results) - item_ids:
        _fail("results", _("检查结果含有不属于该检查表的项目"))
    missing = [i for i in items if i.pk not in results]
    if missing:
        _fail("results", _("检查项未填写结果:%(item)s") % {"item": missing[0].text})
    for item_id, (res, _note) in results.items():
        if res not in ItemResult.values:
            _fail("results", _("检查结果无效"))
        if res == ItemResult.PROBLEM and not (_note or "").strip() and not findings.strip():
            _fail("results", _("“存在问题”的检查项须填写说明"))
    if signed_by and signed_at is None:
        signed_at = timezone.now()
    images = uploads.verify_images(photos, field="photos")

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
            sha256=image.sha256,
            name=image.name[:200],
            taken_at=image.taken_at,
            latitude=image.latitude,
            longitude=image.longitude,
        )
        uploads.save_image(photo.file, image)
        photo.save()
    # Round-trip visited_at through the database's precision before hashing.
    visit.refresh_from_db(fields=["visited_at", "signed_at"])
    content, _problems = chain.stored_content(visit, check_files=False)
    visit.content_hash = chain.digest(content)
    ServiceVisit.objects.filter(pk=visit.pk).update(content_hash=visit.content_hash)
    record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=visit,
        changes={"content_hash": [None, visit.content_hash], "seq": [None, visit.seq]},
    )
    return visit


@transaction.atomic
def visit_rate(*, actor, visit, score: int, comment: str = "") -> VisitRating:
    if actor is None or actor.role != Role.ENTERPRISE or actor.enterprise_id != visit.enterprise_id:
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
        title = _("服务记录缺失:%(ent)s(合同 %(no)s,应于 %(due)s 前上门)") % {
            "ent": row["enterprise_name"],
            "no": row["contract_number"],
            "due": row["due"].isoformat(),
        }
        body = _("按合同每年 %(n)d 次上门服务,上次服务:%(last)s。") % {
            "n": row["visits_per_year"],
            "last": row["last_visit"].isoformat() if row["last_visit"] else _("无"),
        }
        key = f"visit-missing:{row['contract_id']}:{row['enterprise_id']}:{row['due'].isoformat()}"
        recipients = list(agency_users(row["agency_id"])) + list(town_officers(row["town_id"]))
        sent += len(
            notify(
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
