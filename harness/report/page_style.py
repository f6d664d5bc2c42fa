"""The report page's inline stylesheet (the page must load no external asset)."""

from __future__ import annotations

CSS = """
:root { --pass: #1a7f37; --fail: #cf222e; --error: #bc4c00; --muted: #57606a; --line: #d0d7de;
        --soft: #f6f8fa; --ink: #1f2328; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--soft); color: var(--ink);
       font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", Helvetica, Arial, sans-serif; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
                   font-size: 12.5px; }
a { color: #0969da; text-decoration: none; }
a:hover { text-decoration: underline; }
.topbar { background: #24292f; color: #fff; padding: 14px 32px; display: flex; align-items: baseline; gap: 16px; }
.topbar h1 { font-size: 18px; margin: 0; font-weight: 600; }
.topbar .sub { color: #afb8c1; font-size: 13px; }
.banner { padding: 12px 32px; color: #fff; font-size: 16px; font-weight: 600; }
.banner.fail { background: var(--fail); } .banner.error { background: var(--error); }
.banner.pass { background: var(--pass); } .banner.empty { background: #6e7781; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 32px 48px; }
.stats { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin-bottom: 12px; }
.stat { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; }
.stat .value { font-size: 26px; font-weight: 600; line-height: 1.2; }
.stat .name { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.stat.pass .value { color: var(--pass); } .stat.fail .value { color: var(--fail); }
.stat.error .value { color: var(--error); } .stat.zero .value { color: #8c959f; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 24px; color: var(--muted); margin: 0 0 24px; font-size: 13px; }
.meta b { color: var(--ink); font-weight: 600; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; margin-bottom: 20px; }
h2.section { font-size: 15px; margin: 28px 0 10px; color: var(--muted); text-transform: uppercase;
             letter-spacing: .05em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 12px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: var(--soft); }
tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; min-width: 52px; text-align: center; padding: 1px 8px; border-radius: 12px;
         font-size: 11px; font-weight: 700; letter-spacing: .05em; color: #fff; text-transform: uppercase; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
.badge.error { background: var(--error); }
.scenario { border-left: 5px solid var(--line); }
.scenario.pass { border-left-color: var(--pass); } .scenario.fail { border-left-color: var(--fail); }
.scenario.error { border-left-color: var(--error); }
.scenario > summary { list-style: none; cursor: pointer; padding: 14px 20px; display: flex; align-items: center;
                      gap: 12px; }
.scenario > summary::-webkit-details-marker { display: none; }
.scenario > summary::before { content: "▸"; color: var(--muted); width: 10px; }
.scenario[open] > summary::before { content: "▾"; }
.scenario > summary h3 { font-size: 16px; margin: 0; font-weight: 600; word-break: break-word; }
.scenario > summary .summary-text { color: var(--muted); font-size: 13px; overflow: hidden; white-space: nowrap;
                                   text-overflow: ellipsis; min-width: 0; flex: 1; }
.scenario[open] > summary .summary-text { visibility: hidden; }
.scenario > summary .right { margin-left: auto; color: var(--muted); white-space: nowrap; font-size: 13px; }
.scenario .body { padding: 0 20px 18px 42px; }
.description { margin: 0 0 8px; color: #424a53; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 18px; color: var(--muted); font-size: 13px; margin-bottom: 10px; }
.tag { display: inline-block; background: #ddf4ff; color: #0969da; border-radius: 10px; padding: 0 8px;
       font-size: 12px; margin-right: 4px; }
.replay { display: flex; align-items: center; gap: 10px; background: var(--soft); border: 1px solid var(--line);
          border-radius: 6px; padding: 6px 12px; margin: 8px 0 14px; }
.replay span { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.replay code { word-break: break-all; }
.problem { border: 1px solid #ffcecb; background: #fff5f5; border-radius: 6px; padding: 10px 14px; margin: 10px 0; }
.problem.error { border-color: #ffd8b5; background: #fff8f2; }
.problem h4 { margin: 0 0 6px; font-size: 13px; color: var(--fail); text-transform: uppercase;
              letter-spacing: .04em; }
.problem.error h4 { color: var(--error); }
.problem ul { margin: 0; padding-left: 18px; }
.violations td.kind { font-weight: 700; color: var(--fail); white-space: nowrap; font-size: 12.5px; }
.violations td.item { white-space: nowrap; }
.violations details summary { cursor: pointer; color: var(--muted); font-size: 12.5px; }
pre.history { margin: 6px 0 0; padding: 8px 10px; background: var(--soft); border: 1px solid #eaeef2;
              border-radius: 6px; max-height: 220px; overflow: auto; white-space: pre-wrap; }
.more { color: var(--muted); font-style: italic; padding: 6px 12px; }
h4.part { margin: 16px 0 6px; font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
.metrics { display: flex; flex-wrap: wrap; gap: 8px; }
.metric { border: 1px solid var(--line); border-radius: 6px; padding: 4px 12px; background: #fff; }
.metric .name { color: var(--muted); font-size: 12px; margin-right: 6px; }
.metric .value { font-weight: 600; font-variant-numeric: tabular-nums; }
.timeline-box { border: 1px solid var(--line); border-radius: 6px; padding: 8px 8px 4px; background: #fff;
                overflow-x: auto; }
svg.timeline { display: block; min-width: 760px; }
svg.timeline text { font-size: 12px; fill: var(--ink); }
svg.timeline .axis { fill: var(--muted); font-size: 11px; }
svg.timeline .grid { stroke: #eaeef2; stroke-width: 1; }
svg.timeline .step line { stroke: #8c959f; stroke-width: 1; stroke-dasharray: 2 3; }
svg.timeline .step .step-stem { stroke-dasharray: none; stroke: #afb8c1; }
svg.timeline .step text { fill: #424a53; font-size: 11.5px; }
svg.timeline .band-bg { fill: var(--soft); stroke: var(--line); }
svg.timeline .band-label { font-weight: 600; }
svg.timeline .band-text { font-size: 11.5px; font-weight: 600; }
svg.timeline .row-stripe { fill: #f6f8fa; }
svg.timeline .row-bad { fill: #ffebe9; }
svg.timeline .label { fill: #424a53; }
svg.timeline .label.bad { fill: var(--fail); font-weight: 700; }
svg.timeline .life { stroke: #8c959f; stroke-width: 1.5; }
svg.timeline .life.open { stroke-dasharray: 4 3; }
svg.timeline .queued { fill: #fff; stroke: #424a53; stroke-width: 1.5; }
svg.timeline .attempt { stroke: rgba(0,0,0,.25); stroke-width: .5; }
svg.timeline .acked { fill: var(--pass); stroke: #fff; stroke-width: 1; }
svg.timeline .kind-tag { fill: var(--fail); font-weight: 700; font-size: 11px; }
svg.timeline .hidden-note, svg.timeline .empty { fill: var(--muted); font-style: italic; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; color: var(--muted); font-size: 12px; padding: 6px 4px 2px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.legend svg { width: 22px; height: 14px; }
.note { color: var(--muted); font-style: italic; }
details.steps summary { cursor: pointer; color: var(--muted); font-size: 12.5px; margin-top: 8px; }
details.steps ol { margin: 4px 0 0; padding-left: 22px; font-size: 12.5px; columns: 2; }
details.steps .t { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: 6px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 12px; }
@media (max-width: 800px) { .stats { grid-template-columns: repeat(2, 1fr); } main { padding: 16px; } }
"""
