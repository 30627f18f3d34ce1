"""Every experts route × every persona, from expectations written from the policy:

- the pool (profiles, interests, periods away, status): the county all; an expert only their own;
- requests: the county all; a town those it made and those about its enterprises;
- jobs (invitations): the county all; a town those of its requests; an enterprise the accepted jobs
  about itself; an expert only their own. Insurers, associations and agencies: nothing.
"""

from safeserve.experts.models import ExpertProfile, ExpertRequest, Invitation
from safeserve_dev import permsuite
from safeserve_dev.experts_fixtures import extend_world
from safeserve_dev.permsuite import RouteCheck, route_tests, widening_tests

world = permsuite.shared_world(extend_world)
media_root = permsuite.shared_media_root


def _pk(obj):
    return [obj.pk]


def _expert_name(profile):
    return profile.expert.name


def _job_title(job):
    return job.request.title


POOL = {"county": "ab", "expert_a": "a"}
REQUESTS = {"county": "ab", "town_a": "a", "town_b": "b"}
JOBS = {**REQUESTS, "ent_a": "a", "expert_a": "a"}
REQUEST_MAKERS = {"county": "ab", "town_a": "a"}  # request_a is town A's own; request_b the county's
JOB_OWNER = {"see": {"expert_a": "a"}, "visible": {"county": "ab"}, "ok": (302,)}

ROUTE_CHECKS = [
    # The pool.
    RouteCheck("experts:expertprofile_list", POOL, "profile_a", "profile_b", label=_expert_name),
    RouteCheck("experts:expertprofile_export", POOL, "profile_a", "profile_b", label=_expert_name, kind="xlsx"),
    RouteCheck("experts:profile_detail", POOL, "profile_a", "profile_b", args=_pk, label=_expert_name),
    RouteCheck("experts:profile_edit", POOL, "profile_a", "profile_b", args=_pk, label=_expert_name),
    RouteCheck(
        "experts:profile_edit",
        POOL,
        "profile_a",
        "profile_b",
        args=_pk,
        method="post",
        data=lambda w: {"specialties": [], "certificates": "伪造"},
    ),
    RouteCheck(
        "experts:profile_status",
        {"county": "ab"},
        "profile_a",
        "profile_b",
        args=_pk,
        method="post",
        data={"status": "suspended", "reason": "测试"},
        ok=(302,),
        visible={"expert_a": "a"},
    ),
    RouteCheck(
        "experts:absence_add",
        POOL,
        "profile_a",
        "profile_b",
        args=_pk,
        method="post",
        data={"start": "2030-01-01", "end": "2030-01-05", "reason": "出差"},
        ok=(302,),
    ),
    RouteCheck(
        "experts:interest_add",
        POOL,
        "profile_a",
        "profile_b",
        args=_pk,
        method="post",
        data={"kind": "investment", "party_name": "某公司"},
        ok=(302,),
    ),
    RouteCheck(
        "experts:interests_confirm",
        {"county": "ab"},
        "profile_a",
        "profile_b",
        args=_pk,
        method="post",
        ok=(302,),
        visible={"expert_a": "a"},
    ),
    RouteCheck("experts:pool_import", {"county": ""}, no_rows="the upload form"),
    RouteCheck("experts:pool_import", {"county": ""}, method="post", data={}, ok=(400,)),
    # Requests and draws.
    RouteCheck("experts:expertrequest_list", REQUESTS, "request_a", "request_b", label="title"),
    RouteCheck("experts:expertrequest_export", REQUESTS, "request_a", "request_b", label="title", kind="xlsx"),
    RouteCheck("experts:request_detail", REQUESTS, "request_a", "request_b", args=_pk, label="title"),
    RouteCheck("experts:request_add", {"county": "", "town_a": "", "town_b": ""}, no_rows="the request form"),
    RouteCheck("experts:request_add", {"county": "", "town_a": "", "town_b": ""}, method="post", data={}),
    # Both requests are drawn already: freezing or drawing again is refused with a message.
    RouteCheck("experts:request_freeze", REQUEST_MAKERS, "request_a", "request_b", args=_pk, method="post", ok=(302,)),
    RouteCheck(
        "experts:request_draw",
        REQUEST_MAKERS,
        "request_a",
        "request_b",
        args=_pk,
        method="post",
        data={"source": "server"},
        ok=(302,),
    ),
    RouteCheck(
        "experts:request_redraw",
        REQUEST_MAKERS,
        "request_a",
        "request_b",
        args=_pk,
        method="post",
        data={"reason": "测试重抽"},
        ok=(302,),
    ),
    # Jobs.
    RouteCheck("experts:job_list", JOBS, "job_a", "job_b", label=_job_title),
    RouteCheck("experts:job_export", JOBS, "job_a", "job_b", label=_job_title, kind="xlsx"),
    RouteCheck("experts:job_detail", JOBS, "job_a", "job_b", args=_pk, label=_job_title),
    RouteCheck("experts:job_opinion_pdf", JOBS, "job_a", "job_b", args=_pk, kind="file"),
    RouteCheck("experts:job_answer", a="job_a", b="job_b", args=_pk, method="post", data={"accept": "1"}, **JOB_OWNER),
    RouteCheck("experts:job_finding", a="job_a", b="job_b", args=_pk, method="post", data={}, **JOB_OWNER),
    RouteCheck("experts:job_opinion", a="job_a", b="job_b", args=_pk, method="post", data={}, **JOB_OWNER),
    RouteCheck(
        "experts:job_rate",
        {"county": "ab", "town_a": "a"},
        "job_a",
        "job_b",
        args=_pk,
        method="post",
        data={"score": "80"},
        ok=(302,),
        visible={"town_b": "b", "ent_a": "a", "expert_a": "a"},
    ),
    # The read-only API: the same rows as the pages.
    RouteCheck("expertrequest-list", REQUESTS, "request_a", "request_b", kind="json"),
    RouteCheck("expertrequest-detail", REQUESTS, "request_a", "request_b", args=_pk, kind="file"),
    RouteCheck("expertjob-list", JOBS, "job_a", "job_b", kind="json"),
    RouteCheck("expertjob-detail", JOBS, "job_a", "job_b", args=_pk, kind="file"),
    # Experts by name for the request form's manual exclusion (registry.Expert's own scope).
    RouteCheck(
        "autocomplete",
        {"county": "ab", "town_a": "ab", "town_b": "ab", "expert_a": "a"},
        "expert_a",
        "expert_b",
        url_args=["expert"],
        kind="json",
        name="autocomplete:expert",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
test_a_widened_scope_is_reported = widening_tests([ExpertProfile, ExpertRequest, Invitation], [], ROUTE_CHECKS)
