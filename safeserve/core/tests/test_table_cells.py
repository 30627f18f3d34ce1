"""core.display.table_cells writes the same table body the template loop wrote, far cheaper."""

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from safeserve.core.display import table_cells

LOOP = Template("{% for row in rows %}<tr>{% for c in row %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}")
ROWS = [
    ["甲镇 <b>&</b> \"工贸\" 'x'", 0, 12, 3456, 1234567, -1, 7],
    [_("合计"), 1, 2, 3, 4, 5, 6],
    ["plain", 10, 20, 30, 40, 50, 60],
]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_same_html_as_the_template_loop(lang):
    with translation.override(lang):
        assert table_cells(ROWS) == LOOP.render(Context({"rows": ROWS}))


def test_text_is_escaped_and_none_is_empty():
    html = table_cells([["<script>alert(1)</script>", None, True]])
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<td></td>" in html and "<td>True</td>" in html
