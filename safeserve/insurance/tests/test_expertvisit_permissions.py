"""Every route of the experts' prevention visits × every persona. Read like the plan (insurer A its own
policies', towns their enterprises', the insured its own, the county all) and by the expert in whose
name they were recorded; recorded by the plan's expert or the plan's insurer; confirmed by the insured
alone; never changed or deleted."""

from django.utils import timezone

from safeserve.insurance.models import PreventionVisit
from safeserve_dev import permsuite
from safeserve_dev.expertvisit_fixtures import extend_expert_visits
from safeserve_dev.insurance_fixtures import extend_world
from safeserve_dev.permsuite import RouteCheck, route_tests, widening_tests

world = permsuite.shared_world(extend_world, extend_expert_visits)
media_root = permsuite.shared_media_root

SEE = {"county": "ab", "town_a": "a", "town_b": "b", "ent_a": "a", "insurer_a": "a", "expert_a": "a"}
RECORDERS = {"expert_a": "", "insurer_a": ""}


def _pk(obj):
    return [obj.pk]


def _number(visit):
    return visit.plan.policy.number


def _visit(world):
    from safeserve_dev.services_fixtures import general_template

    template = general_template()
    data = {
        "plan": world["xplan_a"].pk,
        "template": template.pk,
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "findings": "权限用例录入",
    }
    data.update({f"result_{i.pk}": "ok" for i in template.items.all()})
    return data


def _api_visit(world):
    from safeserve_dev.services_fixtures import general_template

    template = general_template()
    return {
        "plan": world["xplan_a"].pk,
        "template": template.pk,
        "visited_at": timezone.now().isoformat(),
        "results": [{"item": i.pk, "result": "ok"} for i in template.items.all()],
    }


ROUTE_CHECKS = [
    RouteCheck("insurance:preventionvisit_list", SEE, "pvisit_a", "pvisit_b", label=_number),
    RouteCheck("insurance:preventionvisit_export", SEE, "pvisit_a", "pvisit_b", label=_number, kind="xlsx"),
    RouteCheck("insurance:preventionvisit_detail", SEE, "pvisit_a", "pvisit_b", label=_number, args=_pk),
    RouteCheck("insurance:preventionvisit_photo", SEE, "xphoto_a", "xphoto_b", args=_pk, kind="file"),
    RouteCheck("insurance:preventionvisit_add", RECORDERS, no_rows="the phone form (a checklist to pick)"),
    RouteCheck("insurance:preventionvisit_add", RECORDERS, method="post", data=_visit, ok=(302,)),
    RouteCheck(
        "insurance:preventionvisit_confirm",
        {"ent_a": "a"},
        "pvisit_a",
        "pvisit_b",
        args=_pk,
        method="post",
        ok=(302,),
        visible={k: v for k, v in SEE.items() if k != "ent_a"},
        denied=(403,),
    ),
    RouteCheck("insurance-prevention-visit-list", SEE, "pvisit_a", "pvisit_b", kind="json"),
    RouteCheck("insurance-prevention-visit-detail", SEE, "pvisit_a", "pvisit_b", args=_pk, kind="json"),
    RouteCheck(
        "insurance-prevention-visit-list",
        RECORDERS,
        method="post",
        api=True,
        data=_api_visit,
        ok=(201,),
        name="insurance-prevention-visit-record",
    ),
]
test_routes = route_tests(ROUTE_CHECKS)
test_a_widened_scope_is_reported = widening_tests([PreventionVisit], [], ROUTE_CHECKS)
