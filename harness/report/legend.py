"""The legend under each timeline: what its marks mean (HTML with tiny inline SVG swatches)."""

from __future__ import annotations

from harness.report import colors


def _legend_entry(shape: str, text: str) -> str:
    return f'<span><svg viewBox="0 0 22 14" aria-hidden="true">{shape}</svg>{text}</span>'


LEGEND = '<div class="legend">' + "".join([
    _legend_entry('<circle cx="11" cy="7" r="4" fill="#fff" stroke="#424a53" stroke-width="1.5"/>',
                  "queued on the device"),
    *(_legend_entry(f'<rect x="2" y="2" width="18" height="10" rx="2" fill="{colors.ATTEMPT[outcome]}"/>',
                    f"attempt: {meaning}")
      for outcome, meaning in (("ok", "ok"), ("fail", "fail (not applied)"), ("info", "info (outcome unknown)"))),
    _legend_entry(f'<path d="M11 1 l6 6 l-6 6 l-6 -6 z" fill="{colors.PASS}"/>', "acknowledged"),
    _legend_entry('<line x1="1" y1="7" x2="21" y2="7" stroke="#8c959f" stroke-width="1.5" stroke-dasharray="4 3"/>',
                  "never acknowledged"),
    _legend_entry('<line x1="11" y1="0" x2="11" y2="14" stroke="#8c959f" stroke-dasharray="2 3"/>', "scenario step"),
    _legend_entry(f'<rect x="0" y="1" width="22" height="12" fill="{colors.VIOLATION_ROW}"/>',
                  "item named by a violation"),
]) + "</div>"
