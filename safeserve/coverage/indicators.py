"""Indicator sources for assessments (core.hooks.INDICATOR_SOURCES): each built-in target's
coverage per town as of the period's end, with the ids of the participating enterprises."""

from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from safeserve.core import hooks
from safeserve.registry.models import Enterprise

from .choices import BUILTIN_KINDS, TargetKind
from .queries import POPULATION, participation_q, percent, target_q


def compute_for(kind: str):
    def compute(subject, subject_ids, start, end) -> dict:
        if subject != "town":
            return {}
        population = Enterprise.objects.filter(POPULATION).filter(target_q(None, kind))
        if subject_ids is not None:
            population = population.filter(town_id__in=list(subject_ids))
        totals = dict(population.order_by().values_list("town_id").annotate(n=Count("pk")))
        covered: dict[int, list[int]] = {}
        for pk, town_id in population.filter(participation_q(end)).order_by("pk").values_list("pk", "town_id"):
            covered.setdefault(town_id, []).append(pk)
        ids = list(subject_ids) if subject_ids is not None else list(totals)
        out = {}
        for tid in ids:
            total, ents = totals.get(tid, 0), covered.get(tid, [])
            value = percent(len(ents), total)
            out[tid] = hooks.IndicatorFigure(
                value=value if value is None else Decimal(value),
                numerator=len(ents),
                denominator=total,
                records={"registry.enterprise": ents},
            )
        return out

    return compute


LABELS = {
    TargetKind.OVERALL: _("社会化服务覆盖率（全部生产经营单位）"),
    TargetKind.VILLAGE_SMALL: _("村级小微企业覆盖率"),
    TargetKind.KEY_INDUSTRY: _("重点行业企业覆盖率"),
}


def register():
    for kind in BUILTIN_KINDS:
        hooks.register_indicator(
            hooks.IndicatorSource(
                key=f"coverage.{kind}",
                label=LABELS[kind],
                unit="%",
                subjects=("town",),
                compute=compute_for(kind),
            )
        )
