"""Reads shared by pages, exports, providers and panels."""

from datetime import date

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role
from safeserve.core import hooks
from safeserve.core.hooks import AccidentRef, ListingRef

from .actions import listing_propose_from_source
from .choices import Subject
from .models import Accident, CreditGrade, Listing, listed_on_q

GRADE_BADGES = {"A+": "success", "A": "success", "B": "info", "C": "warning", "D": "danger"}


def current_grades(user, action="view"):
    return CreditGrade.objects.visible_to(user, action).filter(is_current=True)


def grade_history(user, grade: CreditGrade):
    field = "enterprise_id" if grade.subject == Subject.ENTERPRISE else "agency_id"
    return (
        CreditGrade.objects.visible_to(user)
        .filter(subject=grade.subject, **{field: getattr(grade, field)})
        .order_by("-computed_at", "-id")
    )


# ---------------------------------------------------------------- providers (core.hooks.CREDIT_PROVIDERS)


def grades_provider(subject: str, ids) -> dict:
    """{id: grade} of the subjects' current grades (a system read for other capabilities)."""
    field = "enterprise_id" if subject == Subject.ENTERPRISE else "agency_id"
    qs = CreditGrade.objects.filter(subject=subject, is_current=True)
    if ids is not None:
        qs = qs.filter(**{f"{field}__in": ids})
    return dict(qs.values_list(field, "grade"))


def listed_provider(subject: str, ids, on: date) -> set:
    field = {"enterprise": "enterprise_id", "agency": "agency_id", "staff": "staff_id"}[subject]
    qs = Listing.objects.filter(listed_on_q(on), subject=subject)
    if ids is not None:
        qs = qs.filter(**{f"{field}__in": ids})
    return set(qs.values_list(field, flat=True))


# ---------------------------------------------------------------- the public page


def public_listings(on: date | None = None):
    """The listings shown to the public on ``on``: published and neither expired nor removed (by date)."""
    on = on or timezone.localdate()
    return (
        Listing.objects.filter(listed_on_q(on))
        .select_related("enterprise", "agency", "staff")
        .order_by("-published_on", "-id")
    )


def public_section(request):
    n = public_listings().count()
    return {
        "key": "credit-listings",
        "title": _("安全生产严重失信主体名单"),
        "url": reverse("credit:public_listings"),
        "summary": _("当前公示 %(n)d 个主体") % {"n": n},
    }


# ---------------------------------------------------------------- the enterprise 360° page


def enterprise_panels(request, enterprise) -> list[dict]:
    user = request.user
    if not user.has_perm("credit.view_creditgrade"):
        return []
    grade = current_grades(user).filter(subject=Subject.ENTERPRISE, enterprise_id=enterprise.pk).first()
    listings = Listing.objects.visible_to(user).filter(subject=Subject.ENTERPRISE, enterprise_id=enterprise.pk)
    today = timezone.localdate()
    live = listings.filter(listed_on_q(today)).first()
    items = []
    if grade is not None:
        for line in grade.explanation.get("lines", []):
            for fact in line["facts"]:
                items.append({"text": fact["label"], "url": fact["url"], "meta": line["rule"], "badge": "warning"})
    if live is not None:
        items.insert(
            0,
            {
                "text": _("严重失信主体名单：%(n)s") % {"n": live.decision_number},
                "url": live.get_absolute_url(),
                "meta": _("至 %(d)s") % {"d": live.expires_on.isoformat()},
                "badge": "danger",
            },
        )
    figures = [
        {
            "key": "grade",
            "label": _("信用等级"),
            "value": grade.grade if grade else "—",
            "url": grade.get_absolute_url() if grade else "",
        },
        {
            "key": "listed",
            "label": _("严重失信名单"),
            "value": _("是") if live else _("否"),
            "url": live.get_absolute_url() if live else "",
        },
    ]
    return [
        {
            "key": "credit",
            "title": _("信用"),
            "figures": figures,
            "items": items[:8],
            "url": grade.get_absolute_url() if grade else "",
            "more": _("评定依据与历史"),
        }
    ]


# ---------------------------------------------------------------- proposals from other apps (core.hooks)


def propose_provider(*, actor, party, party_id, situation, facts, source, source_url=""):
    listing = listing_propose_from_source(
        actor=actor,
        party=party,
        party_id=party_id,
        situation=situation,
        facts=facts,
        source=source,
        source_url=source_url,
    )
    return _ref(listing)


def _ref(listing):
    return ListingRef(
        id=listing.pk,
        party=listing.subject,
        party_name=listing.subject_name,
        state=listing.state,
        state_label=str(listing.get_state_display()),
        url=listing.get_absolute_url(),
    )


def of_source_provider(user, source: str) -> list:
    """The listings proposed from ``source`` that ``user`` may see (a town officer none of an agency's)."""
    rows = Listing.objects.visible_to(user).filter(source=source).select_related("agency", "staff")
    return [_ref(li) for li in rows.order_by("pk")]


# ---------------------------------------------------------------- accidents for other apps (hooks.ACCIDENT_PROVIDERS)


def _accidents_seen(user):
    """(accidents ``user`` may open, accidents it may see by label only).

    The register's scope opens the pages; an insurer also sees, by label, the accidents of the
    enterprises it insures (the relation "insured_enterprises"), which its renewals' floating rate
    already names (docs/decisions/0040-insurance.md). Nobody else sees more than the register's scope."""
    opened = Accident.objects.visible_to(user)
    labelled = Accident.objects.none()
    if getattr(user, "role", None) == Role.INSURER and getattr(user, "is_active", False):
        labelled = Accident.objects.filter(enterprise_id__in=hooks.related_ids("insured_enterprises", user))
    return opened, labelled


def _accident_ref(a, openable: bool) -> AccidentRef:
    label = _("%(date)s %(title)s（%(level)s）") % {
        "date": a.occurred_on.isoformat(),
        "title": a.title,
        "level": a.get_level_display(),
    }
    return AccidentRef(a.pk, a.enterprise_id, a.occurred_on, label, a.get_absolute_url() if openable else "")


def accidents_provider(user, enterprise_ids) -> list:
    opened, labelled = _accidents_seen(user)
    open_ids = set(opened.filter(enterprise_id__in=enterprise_ids).values_list("pk", flat=True))
    rows = (opened | labelled).filter(enterprise_id__in=enterprise_ids).order_by("-occurred_on", "-id")
    return [_accident_ref(a, a.pk in open_ids) for a in rows]


def accident_provider(user, accident_id):
    opened, labelled = _accidents_seen(user)
    try:
        a = (opened | labelled).filter(pk=int(accident_id)).first()
    except (TypeError, ValueError, OverflowError):
        return None
    if a is None:
        return None
    return _accident_ref(a, opened.filter(pk=a.pk).exists())
