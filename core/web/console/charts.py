"""The dashboard's charts as SVG made on the server by pygal: served as images (no script of
theirs ever runs, nothing is fetched from elsewhere), each beside a table of its data."""

from __future__ import annotations

from collections.abc import Sequence

import pygal
from pygal.style import Style


def _style(brand: str) -> Style:
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1b1f24",
        foreground_strong="#1b1f24",
        foreground_subtle="#57606a",
        colors=(brand,),
        font_family="system-ui, sans-serif",
        label_font_size=13,
        major_label_font_size=13,
        value_font_size=13,
        title_font_size=15,
    )


def bar_chart(
    title: str, labels: Sequence[str], values: Sequence[float], brand: str, horizontal: bool = False
) -> str:
    """One series of bars (the funnel is horizontal), the value printed on each bar."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    chart = kind(
        style=_style(brand),
        js=[],
        disable_xml_declaration=True,
        show_legend=False,
        print_values=True,
        width=640,
        height=320 if horizontal else 300,
        title=title,
        x_label_rotation=0 if horizontal or len(labels) <= 12 else 45,
        show_minor_x_labels=len(labels) <= 31,
    )
    # A horizontal chart draws its first bar at the bottom: reversed, it reads top-down.
    order = slice(None, None, -1) if horizontal else slice(None)
    chart.x_labels = list(labels)[order]
    chart.add(title, list(values)[order])
    return str(chart.render(is_unicode=True))
