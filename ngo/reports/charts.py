"""The report's charts as SVG (pygal), drawn into the PDF inline by WeasyPrint in the shipped
font. Values are plotted in minor units, integers as the money is, and every label on an axis
or a bar is formatted as money in the report's language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _

from ngo.money import Money, format_money_short
from ngo.reports.pdf import FONT_FAMILY

COLOURS = ("#1f5f8b", "#3f9142", "#c0762b", "#7a4e9a")
# More points than this and the line chart's day labels are thinned to about this many.
_X_LABELS = 8


def _style() -> Any:
    from pygal.style import Style

    return Style(
        font_family=FONT_FAMILY,
        background="white",
        plot_background="white",
        foreground="#222",
        foreground_strong="#111",
        foreground_subtle="#888",
        colors=COLOURS,
        label_font_size=11,
        major_label_font_size=11,
        legend_font_size=11,
        title_font_size=13,
        value_font_size=10,
    )


def _config(currency: str, locale: str, **extra: Any) -> dict[str, Any]:
    def money(value: float | None) -> str:
        return "" if value is None else format_money_short(Money(int(value), currency), locale)

    return {
        "style": _style(),
        "js": [],  # no script fetched or run: the PDF is static
        "disable_xml_declaration": True,
        "width": 760,
        "height": 320,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 4,
        "value_formatter": money,
        "y_labels_major_every": None,
        "print_values": False,
        **extra,
    }


def budget_chart(lines: Sequence[dict[str, Any]], currency: str, locale: str) -> str:
    """Goal, allocated and spent per budget line, as grouped bars."""
    import pygal

    # The table above the chart has the full labels; under the bars they must not overlap.
    chart = pygal.Bar(**_config(currency, locale, truncate_label=max(8, 96 // max(1, len(lines)))))
    chart.title = _("Budget lines: goal, allocated and spent")
    chart.x_labels = [line["label"] for line in lines]
    chart.add(_("Goal"), [line["goal"] for line in lines])
    chart.add(_("Allocated"), [line["allocated"] for line in lines])
    chart.add(_("Spent"), [line["spent"] for line in lines])
    return _rendered(chart, "budget")


def _rendered(chart: Any, name: str) -> str:
    """The chart's SVG, its legend's anchors named after the chart: two charts in one document
    would otherwise define the same ids."""
    svg = str(chart.render(is_unicode=True))
    return svg.replace('id="activate-serie-', f'id="{name}-activate-serie-')


def raised_chart(
    series: Sequence[dict[str, Any]], goal_minor: int, currency: str, locale: str
) -> str:
    """The running total of gifts by day, against the goal."""
    import pygal

    every = max(1, len(series) // _X_LABELS)
    chart = pygal.Line(
        **_config(
            currency,
            locale,
            show_dots=len(series) <= 40,
            fill=False,
            x_label_rotation=0,
            x_labels_major_every=every,
            show_minor_x_labels=len(series) <= _X_LABELS,
        )
    )
    chart.title = _("Raised over time")
    chart.x_labels = [point["day"] for point in series]
    chart.add(_("Raised, running total"), [point["total"] for point in series])
    chart.add(
        _("Goal"), [goal_minor] * len(series), show_dots=False, stroke_style={"dasharray": "6,4"}
    )
    return str(chart.render(is_unicode=True))
