"""``report.html`` of a settlement: the recommendation in plain words, a chart of each
organisation's contribution per rule next to its stand-alone cost, and the tables (stand-alone
cost by part, contributions, stability, the insurer's business case, advances, the nights).

Self-contained: inline CSS and an inline SVG chart, no script, no external resource; every text
from the data is escaped. Organisation totals only.
"""

from __future__ import annotations

import html
import math

from ..sharing.report import REPORT_CSS, html_table
from .game import coalition_key
from .settlement import Settlement

#: Bar colours: the stand-alone cost, then one per rule (colour-blind safe, Okabe-Ito).
STANDALONE_COLOUR = "#9a9a9a"
RULE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
                "#7f3c8d", "#11a579", "#3969ac", "#f2b701")

_CSS = REPORT_CSS + """
body{max-width:80rem}
.note{color:#555;font-size:.85rem}
svg text{font-family:inherit}
"""


def _eur(x: float) -> str:
    return f"{x:,.0f}"


def _table(name: str, header: list[str], rows: list[list[str]], total_last: bool = False) -> str:
    return html_table(header, rows, total_last, name=name)


def contribution_chart(st: Settlement, width: int = 960, height: int = 380) -> str:
    """Grouped bars per organisation: its stand-alone cost, then its contribution under each rule
    (EUR a year), as inline SVG."""
    esc = html.escape
    players = list(st.players)
    rules = list(st.allocations)
    alone = st.standalone()
    series = [("alone", STANDALONE_COLOUR, {p: alone[p]["total_eur"] for p in players})]
    series += [(r, RULE_COLOURS[i % len(RULE_COLOURS)], st.allocations[r]) for i, r in enumerate(rules)]
    top = max([1.0] + [v for _, _, vals in series for v in vals.values()])
    step = 10 ** math.floor(math.log10(top))
    for m in (1, 2, 5, 10):
        if top / (step * m) <= 6:
            step *= m
            break
    top = step * math.ceil(top / step)
    left, right, up, legend_h = 80, 20, 20, 22 * math.ceil(len(series) / 4) + 10
    plot_h = height - up - 40 - legend_h
    plot_w = width - left - right
    group_w = plot_w / len(players)
    bar_w = max(2.0, (group_w * 0.8) / len(series))
    parts = [(f'<svg id="contribution-chart" xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}">'),
             "<title>Contribution per organisation and rule, next to its stand-alone cost (EUR a year)</title>"]
    for k in range(round(top / step) + 1):
        v = k * step
        y = up + plot_h - plot_h * v / top
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{esc(_eur(v))}</text>')
    for i, p in enumerate(players):
        x0 = left + i * group_w + group_w * 0.1
        for j, (name, colour, vals) in enumerate(series):
            v = float(vals[p])
            h = plot_h * max(v, 0.0) / top
            x = x0 + j * bar_w
            parts.append(f'<rect class="bar" data-org="{esc(p)}" data-rule="{esc(name)}" x="{x:.1f}" '
                         f'y="{up + plot_h - h:.1f}" width="{bar_w * 0.92:.1f}" height="{h:.1f}" fill="{colour}">'
                         f"<title>{esc(p)}, {esc(name)}: {esc(_eur(v))} EUR</title></rect>")
        parts.append(f'<text x="{left + i * group_w + group_w / 2:.1f}" y="{up + plot_h + 16}" text-anchor="middle" '
                     f'font-size="12">{esc(p)}</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{up + plot_h}" y2="{up + plot_h}" stroke="#444"/>')
    ly = up + plot_h + 34
    for j, (name, colour, _) in enumerate(series):
        lx = left + (j % 4) * 200
        yy = ly + (j // 4) * 22
        parts.append(f'<rect x="{lx}" y="{yy}" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{lx + 18}" y="{yy + 11}" font-size="12">'
                     f'{esc("stand-alone cost" if name == "alone" else name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def plain_recommendation(st: Settlement) -> list[str]:
    """The recommendation in a few plain sentences (organisation names and yearly euros)."""
    alloc = st.allocations[st.rule]
    alone = st.standalone()
    sav = st.saving()
    names = st.names
    together = st.game.grand_value
    total_alone = sum(a["total_eur"] for a in alone.values())
    out = [(f"Together, the night care of the {len(st.players)} organisations costs {_eur(together)} EUR a year; "
           f"each on its own would pay {_eur(total_alone)} EUR in all. Pooling saves {_eur(sav['total_eur'])} EUR "
           f"a year ({sav['total_pct']:.1f} %): {_eur(sav['planned_eur'])} EUR on the planned visits, "
           f"{_eur(sav['readiness_eur'])} EUR on acute readiness (nurses awake for alarm calls that one shared "
           f"team covers) and {_eur(sav['fixed_eur'])} EUR on yearly fixed items (cars, back-up, coordination).")]
    lines = []
    for p in st.players:
        a, s = alloc[p], alone[p]["total_eur"]
        pct = 100 * (s - a) / s if s else 0.0
        lines.append(f"{names[p]} ({p}) pays {_eur(a)} EUR, {_eur(s - a)} EUR ({pct:.1f} %) less than alone")
    rule_note = (f"We recommend settling by the {st.rule}." if st.rule == st.recommended
                 else f"The period file settles by the {st.rule}; our recommendation is the {st.recommended}.")
    out.append(rule_note + " Under it, " + "; ".join(lines) + ".")
    core = st.share.core_checks.get(st.rule)
    if core is not None and core.in_core:
        out.append("No organisation and no group of organisations would pay less by running its own night "
                   "service: the split is stable.")
    elif core is not None:
        grp = coalition_key(core.most_violated or frozenset())
        out.append(f"This split is not stable: the group {grp} would pay {_eur(core.violation)} EUR less on its own.")
    out.append(st.explanation)
    return out


def render_html(st: Settlement) -> str:
    """The self-contained report page."""
    esc = html.escape
    pg, spec = st.pg, st.pg.period.spec
    players = list(st.players)
    grand = frozenset(players)
    alone = st.standalone()
    tot = st.parts(grand)
    body = [f"<h1>Year's settlement of the night team: {esc(spec.name)}</h1>",
            (f"<p>Region {esc(spec.region.name)}; {len(players)} organisations; {pg.period.nights_in_year:,.0f} nights "
            f"represented by {len(pg.nights)} night{'s' if len(pg.nights) != 1 else ''}; response norm "
            f"{spec.norm.share * 100:.0f} % of call-outs within {spec.norm.minutes:g} minutes. Yearly euros, "
            "organisation totals only.</p>"),
            "<h2>Recommendation</h2>",
            '<div class="rec">' + "".join(f"<p>{esc(t)}</p>" for t in plain_recommendation(st)) + "</div>",
            "<h2>Contribution per rule next to the stand-alone cost</h2>",
            contribution_chart(st)]
    rows = [[f"{st.names[p]} ({p})", _eur(alone[p]["planned_eur"]), _eur(alone[p]["readiness_eur"]),
             _eur(alone[p]["fixed_eur"]), _eur(alone[p]["total_eur"])] for p in players]
    rows.append(["each alone, in all", *(_eur(sum(alone[p][k] for p in players))
                                         for k in ("planned_eur", "readiness_eur", "fixed_eur", "total_eur"))])
    rows.append(["together (one night team)", _eur(tot["planned_eur"]), _eur(tot["readiness_eur"]),
                 _eur(tot["fixed_eur"]), _eur(tot["total_eur"])])
    body += ["<h2>Stand-alone cost: where the savings come from</h2>",
             ('<p class="note">Planned visits: the cheapest routes of the organisation\'s own visits on every night. '
             "Acute readiness: the nurses beyond those routes that it must keep awake to reach its own alarm calls "
             "within the norm (an organisation alone keeps at least one nurse awake all night). Fixed items: cars "
             "for its busiest night and the yearly items it would carry alone.</p>"),
             _table("standalone", ["organisation", "planned visits", "acute readiness", "fixed items", "total"], rows,
                    total_last=True)]
    rules = list(st.allocations)
    header = ["organisation", "alone", *rules]
    rows = [[f"{st.names[p]} ({p})", _eur(alone[p]["total_eur"]), *(_eur(st.allocations[r][p]) for r in rules)]
            for p in players]
    rows.append(["total", _eur(sum(alone[p]["total_eur"] for p in players)),
                 *(_eur(sum(st.allocations[r].values())) for r in rules)])
    body += ["<h2>Contribution per organisation and rule (EUR a year)</h2>",
             _table("allocations", header, rows, total_last=True)]
    srows = []
    for r in rules:
        chk = st.share.core_checks[r]
        srows.append([r + (" (recommended)" if r == st.recommended else ""), "yes" if chk.in_core else "no",
                      "-" if chk.in_core else coalition_key(chk.most_violated or frozenset()),
                      "-" if chk.in_core else _eur(max(chk.violation, 0.0))])
    eps = st.share.least_core_epsilon
    body += ["<h2>Stability (core check)</h2>",
             f"<p>The core is {'empty' if st.share.core_empty else 'not empty'} (least-core epsilon {eps:,.2f} EUR).</p>",
             _table("core", ["rule", "stable (in core)", "most unhappy group", "gain for that group by leaving (EUR)"],
                    srows)]
    if st.skipped:
        body.append("<p class=\"note\">Not computed: " + esc("; ".join(f"{r}: {why}" for r, why in st.skipped.items()))
                    + "</p>")
    bc = st.business_case()
    body += ["<h2>Business case (system function of unplannable night care)</h2>",
             '<p class="note">Per organisation as if it ran its own night service, and for the region together.</p>',
             _table("business-case", ["item", *(f"{p} alone" for p in players), "together"],
                    [[item, *cells] for item, cells in bc])]
    adv = {ln.organisation_id: ln.amount_cents for ln in st.finance if ln.kind == "advance"}
    cor = {ln.organisation_id: ln.amount_cents for ln in st.finance if ln.kind == "correction"}
    frows = [[f"{st.names[p]} ({p})", f"{adv[p] / 100:,.2f}", f"{12 * adv[p] / 100:,.2f}", f"{cor[p] / 100:,.2f}",
              f"{(12 * adv[p] + cor[p]) / 100:,.2f}"] for p in players]
    employer = spec.finance.employer
    who = (f"{st.names[employer]} employs the night team and drives the shifts; the others pay their share to it. "
           if employer else "")
    body += [f"<h2>Advances and year-end correction {spec.finance.year}</h2>",
             (f"<p>{esc(who)}Monthly advance: {esc(st.advance_basis)}; the year-end correction brings each "
             f"organisation to its {esc(st.rule)} allocation (finance.csv holds the bookings).</p>"),
             _table("finance", ["organisation", "advance a month", "12 advances", "year-end correction",
                                "allocation"], frows)]
    nrows = [[n.label, f"{n.weight:,.1f}", str(sum(n.visits.values())), str(n.coalitions[grand].nurses_planned),
              str(n.coalitions[grand].nurses - n.coalitions[grand].nurses_planned),
              f"{100 * n.coalitions[grand].within_share:.0f} %"] for n in pg.nights]
    body += ["<h2>The nights of the period</h2>",
             _table("nights", ["night", "nights a year", "planned visits", "nurses for the visits",
                               "extra nurses for readiness", "calls within the norm (simulated)"], nrows)]
    if st.moves is not None:
        largest = max((m for r in st.moves.values() for m in r.values()), default=0.0)
        verdict = ("enough" if largest <= spec.target_move else
                   f"not enough: about {st.nights_for_target} sampled nights would keep it under "
                   f"{100 * spec.target_move:g} %")
        crow = [[r, *(f"± {100 * st.moves[r][p]:.2f} %" for p in players)] for r in st.moves]
        body += ["<h2>How much the allocation could move</h2>",
                 (f"<p>The year is estimated from {len(pg.nights)} sampled nights. Resampling them, each contribution "
                 f"stays within the margins below (95 % of resamples); the largest is ± {100 * largest:.2f} %, "
                 f"{esc(verdict)}.</p>"),
                 _table("confidence", ["rule", *players], crow)]
    reps = pg.repairs()
    body += ["<h2>Consistency repairs</h2>",
             (f"<p>{sum(1 for r in reps if r['part'] == 'planned')} planned-visit values were lowered to a larger "
             "coalition's routes restricted to the smaller one; "
             f"{sum(1 for r in reps if r['part'] == 'readiness')} readiness teams were capped at the team of a larger "
             "coalition that already reaches all its calls.</p>")]
    missed = pg.norm_not_met()
    if missed:
        body.append(f'<p class="bad">On {len(missed)} coalition nights even the largest team tried does not reach the '
                    "norm in the simulation; their readiness cost is that of the largest team tried.</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc('Settlement: ' + spec.name)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
