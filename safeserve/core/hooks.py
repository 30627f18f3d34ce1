"""Extension points that apps higher in the layers fill in their ``AppConfig.ready()``.

core, accounts and registry never import a capability app (the import contract in pyproject.toml
holds that). Where a lower layer needs an answer only a higher app knows, it asks here, and the app
that knows registers the answer. Every hook fails closed: with no provider, a relation is empty.

Navigation and home panels live beside the shell (``core.context_processors.NAV``/``EXTRA_NAV``/
``NAV_TAIL``/``SHELL_CONTEXT``, ``core.home.HOME_PROVIDERS``); writes have ``core.actions.WRITE_HOOKS``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.apps import apps

# ---------------------------------------------------------------- scope relations
# name -> provider(*args) returning a values() subquery of ids (or any iterable of ids).
#   "agency_enterprises": provider(agency_id) — the enterprises an agency serves (services registers it).
#   "enterprise_agency_staff": provider(enterprise_id) — the agency staff an enterprise may see
#       (those on its contracts or present at its visits; services registers it).
SCOPE_RELATIONS: dict[str, Callable] = {}


def register_relation(name: str, provider: Callable) -> None:
    SCOPE_RELATIONS[name] = provider


def related_ids(name: str, *args):
    """The ids the relation ``name`` gives for ``args``; nothing at all when no app provides it."""
    provider = SCOPE_RELATIONS.get(name)
    return provider(*args) if provider is not None else []


# ---------------------------------------------------------------- tamper-evident record chains
# Chains kept by apps above services, whose records services' ``verify_records`` and the backup
# manifest (ops) must cover too. name -> RecordChain: ``verify(check_files)`` returns (records
# checked, [(record id, chain key, seq, reason), ...] for each broken record); ``checksums()``
# returns {chain key: SHA-256 over the chain's (seq, previous hash, record hash) in order}.


@dataclass(frozen=True)
class RecordChain:
    label: str
    verify: Callable
    checksums: Callable


RECORD_CHAINS: dict[str, RecordChain] = {}


def register_chain(name: str, chain: RecordChain) -> None:
    RECORD_CHAINS[name] = chain


# ---------------------------------------------------------------- panels
# ENTERPRISE_PANELS: provider(request, enterprise) -> list of panels for the enterprise's 360° page
# (一企一档, the registry's enterprise detail page), each read through ``visible_to(request.user)``
# and so limited to what the viewer may see of that enterprise. A panel is a dict rendered by
# core/_panel.html: {"key", "title", "figures": [{"key", "label", "value", "url"}],
# "items": [{"text", "url", "meta", "badge"}], "url": the full filtered list, "more": its label}.
# A provider returns [] when the viewer may not see its kind of record at all.
ENTERPRISE_PANELS: list[Callable] = []
# VISIT_PANELS: provider(request, visit) -> {"title", "template", "context"} (e.g. the visit's hazards).
VISIT_PANELS: list[Callable] = []

# ---------------------------------------------------------------- extension points for coming capabilities
# Coverage channels: how the policy reaches an enterprise (a service contract, an online smart-electrical
# device, a 安责险 policy). name -> provider(enterprise_ids, on_date) returning, of ``enterprise_ids``
# (ids or a values() subquery), those covered on that date as a values("enterprise_id") subquery,
# computed from the records' own validity dates. COVERAGE_LABELS holds each channel's Chinese label.
# A provider registered with ``whole_register=True`` also accepts ``enterprise_ids=None``: every
# enterprise, with no restriction (the county's figures ask that; it spares a semi-join with the
# register). Providers registered without it are never given None.
COVERAGE_CHANNELS: dict[str, Callable] = {}
COVERAGE_LABELS: dict[str, str] = {}
COVERAGE_WHOLE_REGISTER: set[str] = set()


def register_coverage_channel(name: str, label, provider: Callable, *, whole_register: bool = False) -> None:
    COVERAGE_CHANNELS[name] = provider
    COVERAGE_LABELS[name] = label
    if whole_register:
        COVERAGE_WHOLE_REGISTER.add(name)
    else:
        COVERAGE_WHOLE_REGISTER.discard(name)


def coverage_subqueries(enterprise_ids, on_date: date, channels=None) -> list:
    """One subquery per counting channel (all registered ones when ``channels`` is None); an
    enterprise participates on ``on_date`` when it is in any of them. No channel -> [] (none covered).

    ``enterprise_ids`` None means the whole register: a channel registered with ``whole_register``
    gets None, any other the register's ids as a subquery (what it was always given)."""
    names = COVERAGE_CHANNELS if channels is None else [c for c in channels if c in COVERAGE_CHANNELS]
    out = []
    for name in names:
        ids = enterprise_ids
        if ids is None and name not in COVERAGE_WHOLE_REGISTER:
            ids = apps.get_model("registry", "Enterprise").objects.order_by().values("pk")
        out.append(COVERAGE_CHANNELS[name](ids, on_date))
    return out


# ---------------------------------------------------------------- indicator sources (assessments)
# Named figures that an assessment scheme scores (the yearly town assessment, agency grading, a
# government-purchase evaluation). Registered by the app that owns the data; the assessment engine
# computes them for a set of subjects over a period and freezes the figure *and the ids of the records
# behind it*, so a finalised result can be recomputed and explained years later.


@dataclass(frozen=True)
class IndicatorFigure:
    """One subject's figure: ``value`` (a share in %, a count, days; None when there is nothing to
    measure), the fraction it came from where it is one, and the records behind it by model label."""

    value: Decimal | None
    numerator: Decimal | int | None = None
    denominator: Decimal | int | None = None
    records: dict[str, list[int]] = field(default_factory=dict)  # "hazards.hazard" -> [ids]


@dataclass(frozen=True)
class IndicatorSource:
    """``compute(subject, subject_ids, start, end)`` -> {subject_id: IndicatorFigure} for the period
    [start, end] (dates, inclusive; ``end`` is the cut-off). ``subjects`` names the subject kinds it
    can measure: "town", "agency", "project" (a government purchase), ... ``unit`` is shown beside
    the figure ("%", "家", "天"). Computed from the records' own dates, never from a stored counter."""

    key: str
    label: str
    unit: str
    subjects: tuple[str, ...]
    compute: Callable


INDICATOR_SOURCES: dict[str, IndicatorSource] = {}


def register_indicator(source: IndicatorSource) -> None:
    INDICATOR_SOURCES[source.key] = source


# ---------------------------------------------------------------- credit (诚信) extension points
# Facts that credit grades are made of come from the apps that own them (accidents, penalties,
# overdue major hazards, sampling results, verified reports, visits without a practice notice).
# provider(subject, subject_ids, as_of) -> iterable of CreditFact; subject is "enterprise" or
# "agency"; subject_ids None means every subject. The credit app reads them all.


@dataclass(frozen=True)
class CreditFact:
    subject: str  # "enterprise" | "agency"
    subject_id: int
    date: date
    kind: str  # a code the rule table prices, e.g. "report.verified", "sampling.false_record"
    label: str  # Chinese, shown in the grade's explanation
    source: str  # the record behind it: "app_label.model:id"
    url: str = ""  # that record's page, when it has one
    detail: dict = field(default_factory=dict)  # e.g. {"deaths": 2, "level": "major"}


CREDIT_FACT_SOURCES: list[Callable] = []


def credit_facts(subject: str, subject_ids, as_of: date) -> list[CreditFact]:
    return [fact for provider in CREDIT_FACT_SOURCES for fact in provider(subject, subject_ids, as_of)]


# One provider each, registered by the credit app (issue 13); fail closed when absent:
#   "grades": provider(subject, ids) -> {id: grade code}; no credit app -> {} (no grade known).
#   "listed": provider(subject, ids, on) -> set of ids on the serious-default list (严重失信主体名单)
#       on that date; no credit app -> empty set.
#   "notice": provider(agency_ids, on) -> set of agency ids holding a valid practice notice (执业告知)
#       on that date; no provider -> None, meaning "the notice system does not exist" (nothing flagged).
CREDIT_PROVIDERS: dict[str, Callable] = {}


def credit_grades(subject: str, ids) -> dict:
    provider = CREDIT_PROVIDERS.get("grades")
    return provider(subject, ids) if provider is not None else {}


def listed_ids(subject: str, ids, on: date) -> set:
    provider = CREDIT_PROVIDERS.get("listed")
    return set(provider(subject, ids, on)) if provider is not None else set()


def agencies_with_notice(agency_ids, on: date) -> set | None:
    provider = CREDIT_PROVIDERS.get("notice")
    return set(provider(agency_ids, on)) if provider is not None else None


# ---------------------------------------------------------------- the public portal
# PUBLIC_SECTIONS: provider(request) -> {"key", "title", "url", "summary"} or None, for the public
# home (no login): published items only (inspection results, the serious-default list, purchase
# contracts, how to report). Aggregates and published records, never personal data.
PUBLIC_SECTIONS: list[Callable] = []

# ---------------------------------------------------------------- autocomplete
# kind -> AutocompleteKind: the records a filter or form chooses by name (``/autocomplete/<kind>/``),
# always read through ``model.objects.visible_to(user)``. Registered by the app that owns the model.


class AutocompleteKind:
    def __init__(self, model, search: tuple[str, ...], order: tuple[str, ...] = ("name", "id"), label=str):
        self.model, self.search, self.order, self.label = model, search, order, label


AUTOCOMPLETE: dict[str, AutocompleteKind] = {}


def register_autocomplete(kind: str, model, search: tuple[str, ...], order=("name", "id"), label=str) -> None:
    AUTOCOMPLETE[kind] = AutocompleteKind(model, search, order, label)


# ---------------------------------------------------------------- the agency file (一机构一档)
# AGENCY_FILE_SECTIONS: provider(user, agency) -> list of sections for the agency's file page, its
# .xlsx bundle (one sheet each) and its PDF; each read through ``visible_to(user)``. The supervision
# app renders them; the apps that own reports against an agency (举报), penalties and credit grades
# register here. A section: {"key", "title", "headers": [...], "rows": [[plain values]],
# "links": [url or "" per row], "flags": [warning or "" per row], "note": ""}.
AGENCY_FILE_SECTIONS: list[Callable] = []


# ---------------------------------------------------------------- yearly agency grading (年度考评)
# The assessment app registers the provider: provider(ids, year) -> {agency id: YearlyGrade} of the
# finalised agency gradings (year None: each agency's latest finalised year). No provider -> {}.
# The grade is published (the agency file, the public directory); the sheet behind it is not: its
# ``url`` opens only for the county and the agency itself (assessment scoping).


@dataclass(frozen=True)
class YearlyGrade:
    year: int
    grade: str  # "excellent" | "good" | "fair" | "poor"
    label: str  # 优 / 良 / 中 / 差
    total: Decimal
    vetoed: bool
    rank: int | None
    count: int  # agencies graded that year
    url: str = ""  # the agency's sheet


YEARLY_GRADE_PROVIDERS: dict[str, Callable] = {}


def agency_yearly_grades(ids, year: int | None = None) -> dict:
    provider = YEARLY_GRADE_PROVIDERS.get("agency")
    return provider(list(ids), year) if provider is not None else {}


# ---------------------------------------------------------------- proposals to the serious-default list
# The credit app registers both (issue 13 §3/§5): another app proposes a listing of an agency or of
# an agency's staff member with the record behind it as its ``source`` ("app.model:id") and that
# record's page; the listing links back to it, and the source's page shows the listing's state.
#   "propose": provider(*, actor, party, party_id, situation, facts, source, source_url) -> ListingRef
#       (party "agency" | "staff"; situation a code of the nine 11号令 situations; raises
#       ValidationError / PermissionDenied as the credit app's own proposal does)
#   "of_source": provider(user, source) -> [ListingRef] the listings from that source ``user`` may see
# No credit app: proposing is impossible (``listing_proposals_enabled`` False) and nothing is shown.


@dataclass(frozen=True)
class ListingRef:
    id: int
    party: str
    party_name: str
    state: str
    state_label: str
    url: str


LISTING_PROVIDERS: dict[str, Callable] = {}


def listing_proposals_enabled() -> bool:
    return "propose" in LISTING_PROVIDERS


def propose_listing(*, actor, party: str, party_id: int, situation: str, facts: str, source: str, source_url=""):
    return LISTING_PROVIDERS["propose"](
        actor=actor,
        party=party,
        party_id=party_id,
        situation=situation,
        facts=facts,
        source=source,
        source_url=source_url,
    )


def listings_of_source(user, source: str) -> list:
    provider = LISTING_PROVIDERS.get("of_source")
    return list(provider(user, source)) if provider is not None else []


# ---------------------------------------------------------------- accidents on record (生产安全事故)
# The credit app owns the accident register and registers both (docs/decisions/0040-insurance.md):
#   "of_enterprises": provider(user, enterprise_ids) -> [AccidentRef] the accidents of those
#       enterprises ``user`` may see (newest first);
#   "one": provider(user, accident_id) -> AccidentRef | None, None when missing or not visible.
# ``url`` is the accident's page when ``user`` may open it, "" when it may only see the label (an
# insurer sees its insureds' accidents by label, as its renewals' rate explanation already shows).
# Who may see is the credit app's call; an insurer's insureds come from the relation
# "insured_enterprises" (provider(user): the enterprises with a policy the user sees; insurance
# registers it). No credit app: no accident is on record ([] / None).


@dataclass(frozen=True)
class AccidentRef:
    id: int
    enterprise_id: int
    occurred_on: date
    label: str
    url: str = ""


ACCIDENT_PROVIDERS: dict[str, Callable] = {}


def accidents_of(user, enterprise_ids) -> list[AccidentRef]:
    provider = ACCIDENT_PROVIDERS.get("of_enterprises")
    return list(provider(user, list(enterprise_ids))) if provider is not None else []


def accident(user, accident_id) -> AccidentRef | None:
    provider = ACCIDENT_PROVIDERS.get("one")
    return provider(user, accident_id) if provider is not None and accident_id else None
