"""The SVG timeline of one scenario: time axis, network and sync bands, step ticks, item rows."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any

from harness.report import colors
from harness.report.scenario import violating_item_ids

WIDTH = 1080
LEFT = 200  # the label column
RIGHT = 24
PLOT = WIDTH - LEFT - RIGHT
BAND_H = 22
ROW_H = 20
LANE_H = 15
MAX_LANES = 3
CHAR_W = 6.8  # rough width of one 12 px character, enough to keep labels from overlapping
FIRST_ROWS = 30  # item rows always drawn; violating items are drawn beyond these ...
MAX_ROWS = 80  # ... up to this many rows in all


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def fmt_t(value: float) -> str:
    return f"{value:.2f} s"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


@dataclass(frozen=True)
class Scale:
    duration: float

    def x(self, t: float) -> float:
        return LEFT + PLOT * min(max(t, 0.0), self.duration) / self.duration


@dataclass(frozen=True)
class StepMark:
    t: float
    label: str
    lane: int | None  # None: no room for the text, only the tick (with its hover title)
    anchor_end: bool


def timeline_svg(scenario: dict[str, Any]) -> str | None:
    """Inline ``<svg>`` for the scenario's timeline; None when nothing was recorded."""
    timeline = scenario.get("timeline") or {}
    items = [item for item in timeline.get("items") or [] if isinstance(item, dict)]
    network = _states(timeline.get("network"))
    syncs = _states(timeline.get("sync_states"))
    steps = [(t, str(s.get("label") or "")) for s in timeline.get("steps") or []
             if isinstance(s, dict) and (t := number(s.get("t"))) is not None]
    if not (items or network or syncs or steps):
        return None
    scale = Scale(_duration(scenario, timeline, items, network, syncs, steps))
    violating = violating_item_ids(scenario)
    shown = _rows_to_draw(items, violating)
    marks = _place_steps(steps, scale)
    lanes = max((mark.lane + 1 for mark in marks if mark.lane is not None), default=0)

    top_axis = 6 + lanes * LANE_H + 15
    net_y = top_axis + 6
    sync_y = net_y + BAND_H + 6
    rows_y = sync_y + BAND_H + 12
    row_count = max(len(shown), 1) + (1 if len(shown) < len(items) else 0)
    bottom = rows_y + row_count * ROW_H
    bottom_axis = len(shown) > 12
    height = bottom + (22 if bottom_axis else 8)

    name = escape(str(scenario.get("name") or "scenario"))
    parts = [f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
             f'width="100%" role="img" aria-label="Timeline of {name}">']
    parts += _row_backgrounds(items, shown, violating, rows_y)
    parts += _axis(scale, top_axis, top_axis + 4, bottom, bottom + 14 if bottom_axis else None)
    parts += _step_ticks(marks, scale, top_axis + 4, bottom)
    parts.append(_row_label("Network", net_y + BAND_H / 2, bold=True))
    parts += _band(network, scale, net_y, colors.network_state)
    parts.append(_row_label("Sync indicator", sync_y + BAND_H / 2, bold=True))
    parts += _band(syncs, scale, sync_y, colors.sync_state)
    parts += _item_rows(items, shown, violating, scale, rows_y)
    parts.append("</svg>")
    return "".join(parts)


def _states(entries: Any) -> list[tuple[float, str]]:
    states = [(t, str(e.get("state") or "unknown")) for e in entries or []
              if isinstance(e, dict) and (t := number(e.get("t"))) is not None]
    return sorted(states, key=lambda entry: entry[0])


def _duration(scenario: dict[str, Any], timeline: dict[str, Any], items: list[dict[str, Any]],
              *series: list[tuple[float, str]]) -> float:
    times: list[float | None] = [t for entries in series for t, _ in entries]
    for item in items:
        times += [number(item.get("accepted_t")), number(item.get("acknowledged_t"))]
        for attempt in item.get("attempts") or []:
            times += [number(attempt.get("start_t")), number(attempt.get("end_t"))]
    declared = number(timeline.get("duration_s")) or number(scenario.get("duration_s")) or 0.0
    return max([declared, *(t for t in times if t is not None)]) or 1.0


def _rows_to_draw(items: list[dict[str, Any]], violating: dict[str, list[str]]) -> list[int]:
    """Indexes of the items to draw, in run order: the first FIRST_ROWS plus violating ones."""
    first = list(range(min(FIRST_ROWS, len(items))))
    extra = [i for i in range(len(first), len(items)) if str(items[i].get("item_id")) in violating]
    return first + extra[: MAX_ROWS - len(first)]


def _place_steps(steps: list[tuple[float, str]], scale: Scale) -> list[StepMark]:
    """Greedy lanes: each label goes in the first lane where it overlaps nothing."""
    lane_ends = [-math.inf] * MAX_LANES
    marks = []
    for t, label in sorted(steps, key=lambda step: step[0]):
        x = scale.x(t)
        width = len(shorten(label, 40)) * CHAR_W
        anchor_end = x + 3 + width > WIDTH - 4
        start, end = (x - 3 - width, x) if anchor_end else (x, x + 3 + width)
        lane = next((i for i, lane_end in enumerate(lane_ends) if lane_end + 8 <= start), None)
        if lane is not None:
            lane_ends[lane] = end
        marks.append(StepMark(t, label, lane, anchor_end))
    return marks


def _axis(scale: Scale, label_y: float, top: float, bottom: float, bottom_label_y: float | None) -> list[str]:
    step = _nice_step(scale.duration / 8)
    parts = []
    decimals = 0 if step >= 1 else (1 if step >= 0.1 else 2)
    tick = 0.0
    while tick <= scale.duration + 1e-9:
        x = scale.x(tick)
        text = f"{tick:.{decimals}f} s"
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}"/>')
        parts.append(f'<text class="axis" x="{x:.1f}" y="{label_y:.1f}" text-anchor="middle">{text}</text>')
        if bottom_label_y is not None:
            parts.append(f'<text class="axis" x="{x:.1f}" y="{bottom_label_y:.1f}" text-anchor="middle">{text}</text>')
        tick += step
    return parts


def _nice_step(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _step_ticks(marks: list[StepMark], scale: Scale, top: float, bottom: float) -> list[str]:
    parts = []
    for mark in marks:
        x = scale.x(mark.t)
        title = f"<title>{escape(mark.label)} at {fmt_t(mark.t)}</title>"
        parts.append(f'<g class="step">{title}<line x1="{x:.1f}" y1="{top - 2:.1f}" x2="{x:.1f}" y2="{bottom:.1f}"/>')
        if mark.lane is not None:
            y = 6 + mark.lane * LANE_H + 11
            anchor = "end" if mark.anchor_end else "start"
            text_x = x - 3 if mark.anchor_end else x + 3
            parts.append(f'<line class="step-stem" x1="{x:.1f}" y1="{y - 9:.1f}" x2="{x:.1f}" y2="{top:.1f}"/>'
                         f'<text x="{text_x:.1f}" y="{y:.1f}" text-anchor="{anchor}">'
                         f'{escape(shorten(mark.label, 40))}</text>')
        parts.append("</g>")
    return parts


def _row_label(text: str, y_mid: float, *, bold: bool = False, css: str = "", title: str = "") -> str:
    classes = " ".join(filter(None, ["label", "band-label" if bold else "", css]))
    hover = f"<title>{escape(title)}</title>" if title else ""
    return (f'<text class="{classes}" x="{LEFT - 10}" y="{y_mid + 4:.1f}" text-anchor="end">'
            f'{hover}{escape(text)}</text>')


def _band(states: list[tuple[float, str]], scale: Scale, y: float, palette: Any) -> list[str]:
    parts = [f'<rect class="band-bg" x="{LEFT}" y="{y:.1f}" width="{PLOT}" height="{BAND_H}" rx="3"/>']
    for index, (t, state) in enumerate(states):
        end = states[index + 1][0] if index + 1 < len(states) else scale.duration
        x1, x2 = scale.x(t), scale.x(end)
        if x2 - x1 <= 0:
            continue
        fill, ink = palette(state)
        parts.append(f'<g><title>{escape(state)}: {fmt_t(t)} – {fmt_t(end)}</title>'
                     f'<rect x="{x1:.1f}" y="{y:.1f}" width="{x2 - x1:.1f}" height="{BAND_H}" fill="{fill}"/>')
        if x2 - x1 > len(state) * CHAR_W + 8:
            parts.append(f'<text class="band-text" x="{(x1 + x2) / 2:.1f}" y="{y + BAND_H / 2 + 4:.1f}" '
                         f'text-anchor="middle" fill="{ink}">{escape(state)}</text>')
        parts.append("</g>")
    if not states:
        parts.append(f'<text class="empty" x="{LEFT + 8}" y="{y + BAND_H / 2 + 4:.1f}">not recorded</text>')
    return parts


def _item_rows(items: list[dict[str, Any]], shown: list[int], violating: dict[str, list[str]],
               scale: Scale, top: float) -> list[str]:
    if not items:
        return [f'<text class="empty" x="{LEFT + 8}" y="{top + ROW_H / 2 + 4:.1f}">'
                "no queued items in this scenario</text>"]
    parts = []
    for row, index in enumerate(shown):
        parts += _item_row(items[index], violating, scale, top + row * ROW_H)
    hidden = len(items) - len(shown)
    if hidden:
        drawn = set(shown)
        hidden_bad = sum(1 for i, item in enumerate(items) if i not in drawn and str(item.get("item_id")) in violating)
        why = f"{hidden_bad} of them violating" if hidden_bad else "none of them violating"
        y = top + len(shown) * ROW_H + ROW_H / 2 + 4
        parts.append(f'<text class="hidden-note" x="{LEFT + 8}" y="{y:.1f}">+ {hidden} more items not drawn '
                     f"({why}); every item is in results.json</text>")
    return parts


def _row_backgrounds(items: list[dict[str, Any]], shown: list[int], violating: dict[str, list[str]],
                     top: float) -> list[str]:
    """Drawn first, under the grid: stripes for reading across, red for violating items."""
    parts = []
    for row, index in enumerate(shown):
        bad = str(items[index].get("item_id") or "") in violating
        if bad or row % 2:
            parts.append(f'<rect class="{"row-bad" if bad else "row-stripe"}" x="0" y="{top + row * ROW_H:.1f}" '
                         f'width="{WIDTH}" height="{ROW_H}"/>')
    return parts


def _item_row(item: dict[str, Any], violating: dict[str, list[str]], scale: Scale, y: float) -> list[str]:
    item_id = str(item.get("item_id") or "")
    kinds = violating.get(item_id)
    label = str(item.get("label") or f"{item.get('kind') or 'item'} {item_id}")
    mid = y + ROW_H / 2
    parts = []
    title = f"{label} ({item.get('kind') or 'item'} {item_id})" + (f": {', '.join(kinds)}" if kinds else "")
    parts.append(_row_label(shorten(label, 30), mid, css="bad" if kinds else "", title=title))

    accepted = number(item.get("accepted_t"))
    acked = number(item.get("acknowledged_t"))
    end_x = scale.x(acked) if acked is not None else LEFT + PLOT
    if accepted is not None:
        style = "life" if acked is not None else "life open"
        parts.append(f'<line class="{style}" x1="{scale.x(accepted):.1f}" y1="{mid:.1f}" '
                     f'x2="{end_x:.1f}" y2="{mid:.1f}"/>')
    for number_, attempt in enumerate(item.get("attempts") or [], start=1):
        parts.append(_attempt(attempt, number_, scale, mid))
    if accepted is not None:
        parts.append(f'<circle class="queued" cx="{scale.x(accepted):.1f}" cy="{mid:.1f}" r="4">'
                     f"<title>queued at {fmt_t(accepted)}</title></circle>")
    if acked is not None:
        x = scale.x(acked)
        parts.append(f'<path class="acked" d="M{x:.1f} {mid - 6:.1f} l6 6 l-6 6 l-6 -6 z">'
                     f"<title>acknowledged at {fmt_t(acked)}</title></path>")
    if kinds:
        parts.append(_kind_tag(", ".join(dict.fromkeys(kinds)), scale.x(accepted) if accepted is not None else None,
                               end_x, mid))
    return parts


def _kind_tag(text: str, start_x: float | None, end_x: float, mid: float) -> str:
    """The violation kinds beside the item's life: after it, else before it, else at the right edge."""
    width = len(text) * CHAR_W
    if end_x + 12 + width < WIDTH:
        x, anchor = end_x + 12, "start"
    elif start_x is not None and start_x - 10 - width > LEFT:
        x, anchor = start_x - 10, "end"
    else:
        x, anchor = WIDTH - 4, "end"
    return f'<text class="kind-tag" x="{x:.1f}" y="{mid + 4:.1f}" text-anchor="{anchor}">{escape(text)}</text>'


def _attempt(attempt: Any, index: int, scale: Scale, mid: float) -> str:
    if not isinstance(attempt, dict) or (start := number(attempt.get("start_t"))) is None:
        return ""
    end = number(attempt.get("end_t"))
    outcome = str(attempt.get("outcome") or "unknown")
    x1 = scale.x(start)
    x2 = max(scale.x(end if end is not None else scale.duration), x1 + 3)
    status = attempt.get("http_status")
    detail = f", HTTP {status}" if status is not None else ""
    until = fmt_t(end) if end is not None else "the end"
    fill = colors.ATTEMPT.get(outcome, colors.ATTEMPT_UNKNOWN)
    return (f'<rect class="attempt" x="{x1:.1f}" y="{mid - 5:.1f}" width="{x2 - x1:.1f}" height="10" rx="2" '
            f'fill="{fill}"><title>attempt {index}: {escape(outcome)}{escape(detail)}, '
            f"{fmt_t(start)} – {until}</title></rect>")


