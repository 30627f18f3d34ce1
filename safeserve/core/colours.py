"""Colours that carry meaning, declared once.

The four risk colours of 安全风险分级管控 (红/橙/黄/蓝 = 重大/较大/一般/低风险) are used by list
badges, detail pages, ECharts option data and the fill of exported spreadsheet cells: every one of
them reads a ``Tone`` from here (registry.choices.RISK_TONES maps the levels onto them). Each tone
names the text colour that keeps WCAG AA contrast (>= 4.5:1) on its background.
"""

from dataclasses import dataclass

from django.utils.html import format_html


@dataclass(frozen=True)
class Tone:
    name: str
    background: str  # "#RRGGBB"
    text: str  # "#RRGGBB", AA contrast on background

    @property
    def style(self) -> str:
        return f"background-color:{self.background};color:{self.text}"

    @property
    def argb(self) -> str:
        """The colour as openpyxl writes it (cell fill)."""
        return "FF" + self.background.lstrip("#").upper()

    @property
    def text_argb(self) -> str:
        return "FF" + self.text.lstrip("#").upper()

    def badge(self, text) -> str:
        return format_html('<span class="badge" data-tone="{}" style="{}">{}</span>', self.name, self.style, text)


DARK_TEXT = "#212529"
WHITE_TEXT = "#FFFFFF"

RISK_RED = Tone("red", "#D9001B", WHITE_TEXT)
RISK_ORANGE = Tone("orange", "#FF7F00", DARK_TEXT)
RISK_YELLOW = Tone("yellow", "#FFD400", DARK_TEXT)
RISK_BLUE = Tone("blue", "#0062D6", WHITE_TEXT)
RISK_TONES_BY_NAME = {t.name: t for t in (RISK_RED, RISK_ORANGE, RISK_YELLOW, RISK_BLUE)}


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two "#RRGGBB" colours."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)
