"""Reads shared by pages, exports and the home page; each takes the acting user (scoping in one place)."""

from django.db.models import Avg, Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from safeserve.accounts.choices import Role

from .actions import ensure_profiles
from .choices import InvitationState, PoolStatus, ProposalState, RequestStatus
from .models import ExpertProfile, ExpertRequest, Invitation, Rating, RemovalProposal


def profiles_for(user, action="view"):
    return ExpertProfile.objects.visible_to(user, action)


def requests_for(user, action="view"):
    return ExpertRequest.objects.visible_to(user, action)


def jobs_for(user, action="view"):
    return Invitation.objects.visible_to(user, action)


def ratings_of(expert_id):
    return Rating.objects.filter(expert_id=expert_id).aggregate(avg=Avg("score"), n=Count("id"))


def home_summary(user) -> dict:
    """The expert's home (pending invitations, upcoming jobs, ratings); the county's and towns' cards."""
    cards, notes = [], []
    if not user.is_authenticated:
        return {}
    jobs_url = reverse("experts:job_list")
    if user.role == Role.EXPERT and user.expert_id:
        mine = Invitation.objects.visible_to(user)
        today = timezone.localdate()
        figures = ratings_of(user.expert_id)
        cards += [
            {
                "key": "expert-invited",
                "label": _("待答复的抽取邀请"),
                "value": mine.filter(state=InvitationState.INVITED).count(),
                "url": jobs_url + "?state=invited",
            },
            {
                "key": "expert-upcoming",
                "label": _("即将开展的任务"),
                "value": mine.filter(state=InvitationState.ACCEPTED, request__work_date__gte=today).count(),
                "url": jobs_url + f"?state=accepted&date_from={today.isoformat()}",
            },
        ]
        avg = figures["avg"]
        notes.append(
            _("您的评分：%(n)s次，平均%(a)s分。请及时答复抽取邀请；接受后在任务页记录检查发现和专家意见。")
            % {"n": figures["n"], "a": f"{avg:.1f}" if avg is not None else "—"}
        )
    elif user.has_perm("experts.view_expertrequest"):
        reqs = ExpertRequest.objects.visible_to(user)
        cards.append(
            {
                "key": "expert-requests-open",
                "label": _("进行中的专家抽取"),
                "value": reqs.filter(status=RequestStatus.DRAWN).count(),
                "url": reverse("experts:expertrequest_list") + "?status=drawn",
            }
        )
        if user.role == Role.COUNTY:
            ensure_profiles()  # register entries added since join the pool (idempotent)
            cards.append(
                {
                    "key": "expert-pool",
                    "label": _("在库专家"),
                    "value": ExpertProfile.objects.visible_to(user).filter(status=PoolStatus.ACTIVE).count(),
                    "url": reverse("experts:expertprofile_list") + "?status=active",
                }
            )
            proposals = RemovalProposal.objects.visible_to(user).filter(state=ProposalState.PROPOSED).count()
            if proposals:
                notes.append(
                    _("有%(n)s名专家平均评分低于标准，建议移出专家库，请在专家档案中处理。") % {"n": proposals}
                )
    return {"cards": cards, "notes": notes}


def enterprise_panels(request, enterprise) -> list[dict]:
    """Expert jobs about one enterprise, as the viewer may see them (core.hooks.ENTERPRISE_PANELS)."""
    user = request.user
    if not user.has_perm("experts.view_invitation") or user.role in (Role.EXPERT, Role.ENTERPRISE):
        return []  # an enterprise finds its expert jobs under 专家任务; its home keeps its to-dos
    about = ExpertRequest.enterprises.through.objects.filter(enterprise_id=enterprise.pk)
    qs = Invitation.objects.visible_to(user).filter(request__in=about.values("expertrequest_id"))
    url = reverse("experts:job_list") + f"?enterprise={enterprise.pk}"
    accepted = qs.filter(state=InvitationState.ACCEPTED)
    items = [
        {
            "text": f"{j.request.get_purpose_display()} · {j.expert.name}",
            "url": j.get_absolute_url(),
            "meta": j.request.work_date.isoformat(),
            "badge": "success" if j.finished_at else None,
        }
        for j in accepted.select_related("request", "expert").order_by("-request__work_date", "-id")[:5]
    ]
    return [
        {
            "key": "expert_jobs",
            "title": _("专家任务"),
            "figures": [
                {"key": "jobs", "label": _("专家任务"), "value": qs.count(), "url": url},
                {
                    "key": "accepted",
                    "label": _("已接受"),
                    "value": accepted.count(),
                    "url": f"{url}&state={InvitationState.ACCEPTED}",
                },
            ],
            "items": items,
            "url": url,
            "more": _("全部专家任务"),
        }
    ]
