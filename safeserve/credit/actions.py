"""Every write of the credit app: atomic, validated, audited; grades recomputed on commit."""

import hashlib
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.models import User
from safeserve.core import hooks
from safeserve.core.actions import create_record, update_record
from safeserve.core.audit import AuditAction, record
from safeserve.core.uploads import save_document
from safeserve.notifications.actions import notify
from safeserve.registry.models import Agency, AgencyStaff, Enterprise

from . import conf, documents, rules, transitions
from .choices import CommitmentStatus, ListingParty, ListingState, Subject
from .models import Accident, Commitment, CreditGrade, Listing, Penalty, RuleTable

# ---------------------------------------------------------------- grades


def rule_table(subject: str, year: int) -> tuple[dict, str]:
    """(table, version) in force for ``year``: the county's table for that year, else the default."""
    row = RuleTable.objects.filter(subject=subject, year=year).first()
    if row is not None:
        return row.rules, f"{row.year} {row.name}"
    table = rules.default_table(subject)
    return table, table["version"]


def _subjects(subject: str, ids):
    model = Enterprise if subject == Subject.ENTERPRISE else Agency
    qs = model.objects.all()
    qs = qs.exclude(status="cancelled") if subject == Subject.ENTERPRISE else qs.filter(is_active=True)
    return qs if ids is None else qs.filter(pk__in=list(ids))


def compute_grades(subject: str, ids=None, as_of: date | None = None) -> dict[int, rules.Outcome]:
    """{subject id: Outcome} from every registered fact source (this app's included)."""
    as_of = as_of or timezone.localdate()
    table, version = rule_table(subject, as_of.year)
    start = as_of - timedelta(days=table["window_days"])
    subjects = list(
        _subjects(subject, ids).values_list("pk", "standardization_grade" if subject == "enterprise" else "pk")
    )
    facts: dict[int, list] = {pk: [] for pk, _x in subjects}
    for fact in hooks.credit_facts(subject, [pk for pk, _x in subjects] if ids is not None else None, as_of):
        if fact.subject_id in facts and start < fact.date <= as_of:
            facts[fact.subject_id].append(fact)
    out = {}
    for pk, std in subjects:
        base_key = std if subject == Subject.ENTERPRISE else "agency"
        out[pk] = rules.apply(table, base_key=base_key, facts=facts[pk], version=version)
    return out


@transaction.atomic
def recompute_grades(subject: str, ids=None, as_of: date | None = None) -> int:
    """Store each subject's grade when it or its reasons changed (a new history row); returns how many."""
    as_of = as_of or timezone.localdate()
    outcomes = compute_grades(subject, ids, as_of)
    field = "enterprise_id" if subject == Subject.ENTERPRISE else "agency_id"
    current = {
        getattr(g, field): g
        for g in CreditGrade.objects.select_for_update().filter(
            subject=subject, is_current=True, **{f"{field}__in": list(outcomes)}
        )
    }
    changed = 0
    for pk, outcome in outcomes.items():
        old = current.get(pk)
        if old is not None and old.grade == outcome.grade and old.explanation == outcome.explanation:
            continue
        if old is not None:
            CreditGrade.objects.filter(pk=old.pk).update(is_current=False)
        grade = CreditGrade(
            subject=subject,
            grade=outcome.grade,
            as_of=as_of,
            rule_version=outcome.explanation["version"][:120],
            explanation=outcome.explanation,
            is_current=True,
            **{field: pk},
        )
        grade.full_clean()
        grade.save()
        changed += 1
    return changed


def regrade_on_commit(subject: str, ids) -> None:
    """After the transaction commits, regrade the subjects a fact was recorded for (one query path,
    in process: one subject's grade costs a few queries; the nightly job regrades everyone)."""
    ids = [i for i in ids if i]
    if ids:
        transaction.on_commit(lambda: recompute_grades(subject, ids))


def _regrade_for(obj) -> None:
    if isinstance(obj, Penalty):
        if obj.enterprise_id:
            regrade_on_commit(Subject.ENTERPRISE, [obj.enterprise_id])
        if obj.agency_id:
            regrade_on_commit(Subject.AGENCY, [obj.agency_id])
    elif isinstance(obj, Listing):
        regrade_on_commit(obj.subject, [obj.enterprise_id or obj.agency_id])
    else:
        regrade_on_commit(Subject.ENTERPRISE, [obj.enterprise_id])


# ---------------------------------------------------------------- facts


@transaction.atomic
def fact_save(*, actor, model, instance=None, data: dict, m2m=None):
    """Create or change an accident, penalty or commitment through core.actions and regrade its party."""
    before = None
    if instance is None:
        obj = create_record(actor=actor, model=model, data=data, m2m=m2m)
    else:
        before = type(instance).objects.get(pk=instance.pk)
        obj = update_record(actor=actor, instance=instance, data=data, m2m=m2m)
    if before is not None:
        _regrade_for(before)
    _regrade_for(obj)
    return obj


@transaction.atomic
def accident_attach(*, actor, accident: Accident, document) -> Accident:
    """Store a checked scan (PDF or photo, core.uploads.verify_scan) as the accident's attachment."""
    fresh = Accident.objects.visible_to(actor, "change").select_for_update().filter(pk=accident.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    fresh.attachment_sha256 = document.sha256
    fresh.attachment_name = (document.name or "")[:200]
    save_document(fresh.attachment, document)
    fresh.save(update_fields=["attachment", "attachment_name", "attachment_sha256", "updated_at"])
    record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=fresh,
        changes={"attachment": [None, fresh.attachment_name]},
        note=_("上传附件，SHA-256 %(h)s") % {"h": document.sha256},
    )
    return fresh


@transaction.atomic
def commitment_check(*, actor, commitment: Commitment, kept: bool, note: str) -> Commitment:
    """An officer's check of a yearly commitment: kept or broken, with what was found."""
    fresh = Commitment.objects.visible_to(actor, "change").select_for_update().filter(pk=commitment.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    note = (note or "").strip()
    if not kept and not note:
        raise ValidationError({"note": _("核查说明：认定未履行承诺时必须写明核查发现的情况")})
    before = (fresh.status, fresh.check_note)
    fresh.status = CommitmentStatus.KEPT if kept else CommitmentStatus.BROKEN
    fresh.checked_by = actor
    fresh.checked_on = timezone.localdate()
    fresh.check_note = note[:300]
    fresh.full_clean()
    fresh.save()
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes={"status": [before[0], fresh.status], "check_note": [before[1], fresh.check_note]},
        note=_("核查安全承诺：%(s)s") % {"s": fresh.get_status_display()},
    )
    _regrade_for(fresh)
    return fresh


# ---------------------------------------------------------------- the serious-default list


def listing_propose(*, actor, data: dict) -> Listing:
    """A proposal names one of the nine situations and the accident or penalty behind it (model.clean)."""
    return _listing_propose(actor=actor, data=data)


@transaction.atomic
def _listing_propose(*, actor, data):
    listing = create_record(
        actor=actor,
        model=Listing,
        data={**data, "state": ListingState.PROPOSED, "proposed_on": timezone.localdate()},
        system_fields=("state", "proposed_on"),
    )
    return listing


@transaction.atomic
def listing_propose_from_source(
    *, actor, party: str, party_id: int, situation: str, facts: str, source: str, source_url: str = ""
) -> Listing:
    """core.hooks.propose_listing: another app proposes listing an agency or an agency's staff member
    with the record behind it (``source``, e.g. a misconduct finding) as its reason. The same rules as
    the county's own proposal (permission, one of the nine situations, facts); one proposal per party
    and source. Afterwards the listing runs the ordinary steps (transitions.py)."""
    if party not in (ListingParty.AGENCY, ListingParty.STAFF):
        raise ValidationError({"subject": _("只能对服务机构或其从业人员提议列入")})
    source = (source or "").strip()
    if not source:
        raise ValidationError({"source": _("须注明提议所依据的来源记录")})
    if party == ListingParty.STAFF:
        staff = AgencyStaff.objects.filter(pk=party_id).first()
        if staff is None:
            raise ValidationError({"staff": _("从业人员不存在")})
        data = {"subject": party, "agency_id": staff.agency_id, "staff_id": staff.pk}
    else:
        data = {"subject": party, "agency_id": party_id}
    if Listing.objects.filter(
        source=source, subject=party, **{k: v for k, v in data.items() if k != "subject"}
    ).exists():
        raise ValidationError(_("该来源记录已对该主体提议过，不能重复提议"))
    return create_record(
        actor=actor,
        model=Listing,
        data={
            **data,
            "situation": situation,
            "facts": (facts or "").strip()[:500],
            "source": source[:80],
            "source_url": (source_url or "")[:200],
            "state": ListingState.PROPOSED,
            "proposed_on": timezone.localdate(),
        },
        system_fields=("state", "proposed_on", "source", "source_url", "staff_id", "staff", "agency_id", "subject"),
        note=_("依据%(s)s提议列入严重失信主体名单") % {"s": source},
    )


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return d.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError(d)


def repair_allowed_from(listing: Listing) -> date | None:
    return add_months(listing.decided_on, conf.get("CREDIT_REPAIR_MONTHS")) if listing.decided_on else None


def listing_transition(*, actor, listing: Listing, action: str, reason: str = "", attachment=None, on=None) -> Listing:
    stored = []
    try:
        return _listing_transition(
            actor=actor, listing=listing, action=action, reason=reason, attachment=attachment, on=on, stored=stored
        )
    except BaseException:
        for f in stored:
            f.storage.delete(f.name)
        raise


@transaction.atomic
def _listing_transition(*, actor, listing, action, reason, attachment, on, stored) -> Listing:
    fresh = Listing.objects.visible_to(actor, "view").select_for_update(of=("self",)).filter(pk=listing.pk).first()
    if fresh is None:
        raise PermissionDenied(_("该记录超出您的数据权限范围"))
    step = transitions.TABLE.get((fresh.state, action))
    if step is None:
        raise ValidationError(
            _("当前状态“%(s)s”下不能执行“%(a)s”")
            % {"s": fresh.get_state_display(), "a": transitions.ACTIONS.get(action, action)}
        )
    if not transitions.allowed(actor, fresh, action):
        raise PermissionDenied(_("您没有该操作的权限"))
    reason = (reason or "").strip()
    if step.reason and not reason:
        raise ValidationError({"reason": _("理由：该操作必须填写理由")})
    today = on or timezone.localdate()
    before = {f: str(getattr(fresh, f) or "") for f in ("state", "decided_on", "expires_on", "removed_on")}
    if action == "notify":
        fresh.noticed_on = today
        fresh.objection_deadline = today + timedelta(days=conf.get("CREDIT_OBJECTION_DAYS"))
    elif action == "object":
        if today > fresh.objection_deadline:
            raise ValidationError(
                {"reason": _("异议期已于 %(d)s 届满，不能再提出异议") % {"d": fresh.objection_deadline.isoformat()}}
            )
        fresh.objection = reason
    elif action in ("uphold", "accept_objection"):
        fresh.objection_result = reason
    elif action == "decide":
        if fresh.state == ListingState.NOTICED and today <= fresh.objection_deadline:
            raise ValidationError(
                _("异议期至 %(d)s 届满，届满后方可作出列入决定") % {"d": fresh.objection_deadline.isoformat()}
            )
        _decide(fresh, today, stored)
    elif action == "publish":
        fresh.published_on = today
    elif action == "request_repair":
        allowed_from = repair_allowed_from(fresh)
        if today < allowed_from:
            raise ValidationError(
                {
                    "reason": _("列入满 12 个月后方可申请提前移出：本名单于 %(d)s 作出决定，%(f)s 起可申请")
                    % {"d": fresh.decided_on.isoformat(), "f": allowed_from.isoformat()}
                }
            )
        fresh.repair_requested_on = today
        fresh.repair_evidence = reason
        if attachment is not None:
            fresh.repair_sha256 = attachment.sha256
            save_document(fresh.repair_attachment, attachment)
            stored.append(fresh.repair_attachment)
    elif action == "approve_repair":
        fresh.repair_result = reason
        fresh.removed_on = today
    elif action == "refuse_repair":
        fresh.repair_result = reason
    elif action == "revoke_removal":
        # Removal obtained by fraud: the listing is restored with its original decision and end dates.
        fresh.revocation_reason = reason
        fresh.removed_on = None
    elif action == "withdraw":
        fresh.objection_result = fresh.objection_result or reason
    fresh.state = step.target
    fresh.full_clean()
    fresh.save()
    after = {f: str(getattr(fresh, f) or "") for f in before}
    record(
        actor=actor,
        action=AuditAction.TRANSITION,
        instance=fresh,
        changes={k: [before[k], after[k]] for k in before if before[k] != after[k]},
        note=f"{transitions.ACTIONS[action]}{'：' + reason[:300] if reason else ''}",
    )
    if action in ("publish", "approve_repair", "revoke_removal"):
        _regrade_for(fresh)
    return fresh


def _decide(listing: Listing, today: date, stored: list) -> None:
    issuer = conf.get("CREDIT_ISSUER")
    expires = add_years(today, conf.get("CREDIT_LISTING_YEARS"))
    for _attempt in range(3):
        seq = (Listing.objects.filter(decision_year=today.year).aggregate(m=Max("decision_seq"))["m"] or 0) + 1
        number = documents.decision_number(issuer=issuer, year=today.year, seq=seq)
        listing.decided_on, listing.expires_on = today, expires
        listing.decision_year, listing.decision_seq, listing.decision_number = today.year, seq, number
        pdf = documents.render_decision_pdf(
            listing=listing, number=number, issuer=issuer, decided_on=today, expires_on=expires
        )
        listing.decision_sha256 = hashlib.sha256(pdf).hexdigest()
        try:
            with transaction.atomic():
                listing.save(update_fields=["decision_year", "decision_seq"])
        except IntegrityError:
            continue
        listing.decision_pdf.save("decision.pdf", ContentFile(pdf), save=False)
        stored.append(listing.decision_pdf)
        return
    raise ValidationError(_("决定书编号冲突，请重试"))


# ---------------------------------------------------------------- rule tables


def ruletable_save(*, actor, instance=None, data: dict):
    if instance is None:
        return create_record(actor=actor, model=RuleTable, data=data)
    return update_record(actor=actor, instance=instance, data=data)


# ---------------------------------------------------------------- the expiry warning job


def warn_expiring(today: date) -> int:
    """Tell the county of listings ending in CREDIT_EXPIRY_WARNING_DAYS days and of those ending today."""
    days = conf.get("CREDIT_EXPIRY_WARNING_DAYS")
    county = list(User.objects.filter(role="county", is_active=True))
    sent = 0
    live = Listing.objects.filter(state__in=(ListingState.PUBLISHED, ListingState.REPAIR_REQUESTED))
    for when, title in (
        (today + timedelta(days=days), _("严重失信名单将于 %(d)s 届满")),
        (today, _("严重失信名单今日届满")),
    ):
        for li in live.filter(expires_on=when).select_related("enterprise", "agency"):
            sent += len(
                notify(
                    actor=None,
                    recipients=county,
                    kind="credit.listing_expiry",
                    title=(title % {"d": when.isoformat()}) + f"：{li.subject_name}",
                    body=_("决定书 %(n)s，届满后自动停止公示。") % {"n": li.decision_number},
                    link=li.get_absolute_url(),
                    dedup_key=f"credit.expiry:{li.pk}:{when.isoformat()}:{(when - today).days}",
                )
            )
    return sent
