"""Risk colours come from one source (core/colours.py): list badge, detail badge, chart data and the
exported cell's fill all show the same four colours, each with AA-contrast text."""

import io
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from safeserve.core import colours
from safeserve.registry.choices import RISK_TONES, RiskLevel
from safeserve.registry.models import Enterprise

TONES = [colours.RISK_RED, colours.RISK_ORANGE, colours.RISK_YELLOW, colours.RISK_BLUE]


def test_every_risk_level_has_its_colour_with_readable_text():
    assert {t.name for t in RISK_TONES.values()} == {"red", "orange", "yellow", "blue"}
    assert set(RISK_TONES) == set(RiskLevel)
    for tone in TONES:
        assert colours.contrast_ratio(tone.background, tone.text) >= 4.5, tone


def test_the_hex_values_are_written_only_in_core_colours():
    """Nobody else spells the risk colours (or keeps a second risk map): they all read the Tone."""
    root = Path(settings.BASE_DIR) / "safeserve"
    hexes = [t.background.lower() for t in TONES]
    offenders = []
    for path in [*root.rglob("*.py"), *root.rglob("*.html"), *root.rglob("*.js"), *root.rglob("*.css")]:
        if "vendor" in path.parts or "tests" in path.parts or path.name == "colours.py":
            continue
        text = path.read_text(encoding="utf-8").lower()
        if any(h in text for h in hexes) or re.search(r"risk\w*\s*=\s*\{\s*[\"']", text):
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_badge_chart_and_export_show_the_same_colours(client_for, world):
    ents = [world["ent_a"], world["ent_b"]]
    Enterprise.objects.filter(pk=ents[0].pk).update(risk_level=RiskLevel.RED)
    Enterprise.objects.filter(pk=ents[1].pk).update(risk_level=RiskLevel.YELLOW)
    client = client_for("county")
    red, yellow = colours.RISK_RED, colours.RISK_YELLOW

    # the list badge and the detail badge
    html = client.get(reverse("registry:enterprise_list")).content.decode()
    for tone in (red, yellow):
        assert f'data-tone="{tone.name}" style="{tone.style}"' in html
    detail = client.get(reverse("registry:enterprise_detail", args=[ents[0].pk])).content.decode()
    assert f'data-tone="red" style="{red.style}"' in detail

    # the home page's ECharts data: one colour per level, in the levels' order
    home = client.get(reverse("home")).content.decode()
    charts = json.loads(re.search(r'id="chart-data"[^>]*>(.*?)</script>', home, re.S).group(1))
    by_risk = next(c for c in charts if c["id"] == "by-risk")
    assert by_risk["colors"] == [RISK_TONES[v].background for v, _ in RiskLevel.choices]

    # the export: the risk cell is filled with the badge's colour, its text in the badge's text colour
    response = client.get(reverse("registry:enterprise_export"))
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header_row = next(r for r in range(1, 10) if "风险等级" in [c.value for c in ws[r]])  # below the title block
    header = [c.value for c in ws[header_row]]
    col = header.index("风险等级")
    fills = {}
    for row in ws.iter_rows(min_row=header_row + 1):
        cell = row[col]
        fills[cell.value] = (cell.fill.fgColor.rgb, cell.font.color.rgb)
    assert fills[str(RiskLevel.RED.label)] == (red.argb, red.text_argb)
    assert fills[str(RiskLevel.YELLOW.label)] == (yellow.argb, yellow.text_argb)


@pytest.mark.parametrize("tone", TONES[:1])
def test_badge_filter_renders_tone_and_bootstrap(tone):
    from safeserve.core.templatetags.ss import badge

    assert badge("红", tone) == f'<span class="badge" data-tone="red" style="{tone.style}">红</span>'
    assert badge("<b>", "danger") == '<span class="badge text-bg-danger">&lt;b&gt;</span>'
