"""Cost-sharing report: per-organisation table, stability verdicts, Markdown and HTML.

Only organisation-level aggregates appear (coalition values, shares); never clients.
The HTML page is self-contained (inline CSS, no scripts, no external resources) and
every piece of text coming from the data is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from nachtzorg.sharing.game import Game, GameError, format_coalition
from nachtzorg.sharing.rules import METHODS, MethodNotApplicableError, allocate, allocate_all
from nachtzorg.sharing.stability import (
    CoreCheck,
    check_core,
    check_individual_rationality,
    core_is_empty,
    default_tolerance,
    least_core_epsilon,
)

RepairedValue = tuple[Iterable[str], float, float]
"""``(coalition, original value, repaired value)`` as delivered by the routing part."""


@dataclass
class ShareReport:
    """Everything the coordinator sees; build it with :func:`build_report`."""

    game: Game
    allocations: dict[str, dict[str, float]]
    table: pd.DataFrame
    stability: pd.DataFrame
    core_checks: dict[str, CoreCheck]
    least_core_epsilon: float
    core_empty: bool
    recommended: str
    explanation: str
    repaired: list[tuple[str, float, float]] = field(default_factory=list)
    title: str = "Fair cost sharing of the night team"

    def to_markdown(self) -> str:
        """Markdown version of the report."""
        return render_markdown(self)

    def to_html(self) -> str:
        """Self-contained HTML page."""
        return render_html(self)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per organisation: stand-alone cost and the share under each rule."""
        return self.table.copy()

    def __str__(self) -> str:
        return self.to_markdown()


# ------------------------------------------------------------------ tables
def _reference(game: Game) -> tuple[str, pd.Series | None]:
    """Stand-alone reference column: name and values (None when only v({i}) is known)."""
    if game.has_standalone_costs():
        return "standalone_cost", pd.Series(game.standalone_costs(), index=list(game.players))
    return "standalone_value", None


def allocation_table(
    game: Game, allocations: Mapping[str, Mapping[str, float]], tol: float | None = None
) -> pd.DataFrame:
    """One row per organisation: stand-alone cost and, per rule, cost, saving (EUR, %) and IR.

    Cost game (or savings game that knows stand-alone costs): ``<rule> cost`` is the
    allocated cost, ``<rule> saving`` = stand-alone cost - allocated cost.  Savings game
    without stand-alone costs: ``<rule> share`` is the allocated gain and ``<rule> saving``
    the gain over the stand-alone worth ``v({i})``.  ``<rule> better off`` is True when
    the organisation is not worse off than alone (individual rationality).
    """
    players = list(game.players)
    ref_name, costs = _reference(game)
    df = pd.DataFrame(index=pd.Index(players, name="organisation"))
    if costs is not None:
        df[ref_name] = costs
    else:
        df[ref_name] = pd.Series(game.singleton_values(), index=players)
    for rule, alloc in allocations.items():
        share = pd.Series({p: float(alloc[p]) for p in players})
        ir = check_individual_rationality(game, alloc, tol)
        if costs is not None:
            cost = share if game.kind == "cost" else costs - share
            saving = costs - cost
            base = costs
            df[f"{rule} cost"] = cost
        else:
            saving = share - df[ref_name]
            base = df[ref_name].abs()
            df[f"{rule} share"] = share
        df[f"{rule} saving"] = saving
        df[f"{rule} saving %"] = [
            100.0 * s / b if b != 0 else math.nan for s, b in zip(saving, base)
        ]
        df[f"{rule} better off"] = [ir.per_player[p] <= _ir_tol(game, tol) for p in players]
    return df


def _ir_tol(game: Game, tol: float | None) -> float:
    """Tolerance used for per-organisation verdicts."""
    return default_tolerance(game) if tol is None else tol


def stability_table(
    game: Game, allocations: Mapping[str, Mapping[str, float]], tol: float | None = None
) -> tuple[pd.DataFrame, dict[str, CoreCheck]]:
    """One row per rule: in core, individually rational, most violated coalition, violation."""
    rows = []
    checks: dict[str, CoreCheck] = {}
    for rule, alloc in allocations.items():
        chk = check_core(game, alloc, tol)
        ir = check_individual_rationality(game, alloc, tol)
        checks[rule] = chk
        rows.append(
            {
                "rule": rule,
                "in_core": chk.in_core,
                "individually_rational": ir.individually_rational,
                "most_violated_coalition": (
                    "" if chk.most_violated is None else format_coalition(chk.most_violated, game.players)
                ),
                "violation": max(chk.violation, 0.0) if not chk.in_core else 0.0,
            }
        )
    df = pd.DataFrame(rows, columns=[
        "rule", "in_core", "individually_rational", "most_violated_coalition", "violation"
    ]).set_index("rule")
    return df, checks


# ------------------------------------------------------------------ recommendation
def recommend(game: Game, core_empty: bool | None = None) -> tuple[str, str]:
    """Recommended rule and a plain-language reason.

    Non-empty core -> nucleolus: it is in the core, so no group of organisations can do
    better on its own, and among all such splits it keeps the group that is closest to
    walking away as far from that point as possible (then the next group, and so on),
    without an arbitrary choice.  The Shapley value rewards marginal contributions but
    can fall outside the core, so it is not recommended as the default.
    Empty core -> least core (nucleolus within it): no split keeps every group on board,
    and this one minimises the largest amount any group would gain by leaving.
    """
    empty = core_is_empty(game) if core_empty is None else core_empty
    unit = "EUR" if game.kind == "cost" else "units of value"
    if not empty:
        return "nucleolus", (
            "We recommend the nucleolus. It lies in the core: no organisation and no group of "
            "organisations would be better off running its own night service, so nobody has a "
            "financial reason to leave the partnership. Among all such stable splits, the "
            "nucleolus treats the group that gains least from cooperating as well as possible, "
            "then the next one, and so on; it is unique, so the result does not depend on an "
            "arbitrary choice. The Shapley value (average extra cost each organisation causes) "
            "is shown for comparison, but it can put a group at a disadvantage compared with "
            "going alone, which the stability column makes visible."
        )
    eps = least_core_epsilon(game)
    return "least_core", (
        "No split can keep every group of organisations better off than on its own (the core "
        f"is empty: some group would save up to {eps:,.2f} {unit} by leaving, whatever the split). "
        "We recommend the least-core allocation: it makes that largest possible gain from "
        "leaving as small as it can be, spreads the remaining tension as evenly as possible "
        "over all groups (nucleolus within the least core), and is unique."
    )


# ------------------------------------------------------------------ build
def build_report(
    game: Game,
    allocations: Mapping[str, Mapping[str, float]] | None = None,
    repaired: Sequence[RepairedValue] | None = None,
    tol: float | None = None,
    title: str | None = None,
) -> ShareReport:
    """Assemble the report; without ``allocations`` all applicable rules are computed.

    The recommended rule is computed and added when missing from ``allocations``.
    """
    if allocations is None:
        allocs: dict[str, dict[str, float]] = {}
        for name in METHODS:
            try:
                allocs[name] = allocate(game, name)
            except MethodNotApplicableError:
                continue
    else:
        allocs = {k: dict(v) for k, v in allocations.items()}
    eps = least_core_epsilon(game)
    empty = core_is_empty(game, tol)
    recommended, explanation = recommend(game, empty)
    if recommended not in allocs:
        try:
            allocs[recommended] = allocate(game, recommended)
        except MethodNotApplicableError:
            recommended, explanation = "least_core", recommend(game, True)[1]
            allocs.setdefault("least_core", allocate(game, "least_core"))
    table = allocation_table(game, allocs, tol)
    stability, checks = stability_table(game, allocs, tol)
    rep: list[tuple[str, float, float]] = []
    for coalition, original, new in repaired or []:
        members = [coalition] if isinstance(coalition, str) else list(coalition)
        unknown = [m for m in members if m not in game.players]
        if unknown:
            raise GameError(f"repaired value names unknown player {unknown[0]!r}")
        rep.append((format_coalition(members, game.players), float(original), float(new)))
    return ShareReport(
        game=game,
        allocations=allocs,
        table=table,
        stability=stability,
        core_checks=checks,
        least_core_epsilon=eps,
        core_empty=empty,
        recommended=recommended,
        explanation=explanation,
        repaired=rep,
        title=title or (f"Fair cost sharing: {game.name}" if game.name else ShareReport.title),
    )


# ------------------------------------------------------------------ rendering
def _fmt(value: object) -> str:
    """Cell text: 2 decimals for numbers, yes/no for booleans, '-' for missing."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.2f}"
    if isinstance(value, int):
        return str(value)
    return str(value)


def _records(df: pd.DataFrame, index_name: str) -> tuple[list[str], list[list[str]]]:
    """Header and formatted rows of a DataFrame (index as first column)."""
    header = [index_name] + [str(c) for c in df.columns]
    rows = [[str(idx)] + [_fmt(v.item() if hasattr(v, "item") else v) for v in row]
            for idx, row in zip(df.index, df.itertuples(index=False))]
    return header, rows


def _md_escape(text: str) -> str:
    """Escape characters with meaning inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    """GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(_md_escape(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_md_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _summary_rows(report: ShareReport) -> tuple[list[str], list[list[str]]]:
    """Compact per-organisation table: stand-alone reference and one column per rule."""
    df = report.table
    ref = df.columns[0]
    value_col = "cost" if f"{next(iter(report.allocations), '')} cost" in df.columns else "share"
    header = ["organisation", ref.replace("_", " ")]
    rules = list(report.allocations)
    for rule in rules:
        header += [f"{rule} {value_col}", f"{rule} saving", f"{rule} saving %"]
    rows = []
    for org in df.index:
        row = [str(org), _fmt(float(df.at[org, ref]))]
        for rule in rules:
            row += [
                _fmt(float(df.at[org, f"{rule} {value_col}"])),
                _fmt(float(df.at[org, f"{rule} saving"])),
                _fmt(float(df.at[org, f"{rule} saving %"])),
            ]
        rows.append(row)
    total = ["total", _fmt(float(df[ref].sum()))]
    for rule in rules:
        total += [_fmt(float(df[f"{rule} {value_col}"].sum())), _fmt(float(df[f"{rule} saving"].sum())), ""]
    rows.append(total)
    return header, rows


def _stability_rows(report: ShareReport) -> tuple[list[str], list[list[str]]]:
    """Per rule: stable or not, with the most unhappy group."""
    header = ["rule", "stable (in core)", "nobody worse off than alone",
              "most unhappy group", "gain for that group by leaving"]
    rows = []
    for rule, r in report.stability.iterrows():
        rows.append([
            str(rule) + (" (recommended)" if rule == report.recommended else ""),
            _fmt(bool(r["in_core"])),
            _fmt(bool(r["individually_rational"])),
            str(r["most_violated_coalition"]) if not r["in_core"] else "-",
            _fmt(float(r["violation"])) if not r["in_core"] else "-",
        ])
    return header, rows


def _core_sentence(report: ShareReport) -> str:
    """One line on core emptiness."""
    eps = report.least_core_epsilon
    if report.core_empty:
        return f"The core is empty: least-core epsilon {eps:,.2f} (> 0)."
    return f"The core is non-empty: least-core epsilon {eps:,.2f} (<= 0)."


def render_markdown(report: ShareReport) -> str:
    """Markdown report: shares table, stability table, repaired values, recommendation."""
    g = report.game
    parts = [f"# {_md_escape(report.title)}", "",
             f"Game kind: {g.kind}; organisations: {g.n}; grand coalition value: {g.grand_value:,.2f}.",
             "", "## Shares per organisation", "", _md_table(*_summary_rows(report)), "",
             "## Stability", "", _core_sentence(report), "", _md_table(*_stability_rows(report)), ""]
    if report.repaired:
        parts += ["## Repaired coalition values", "",
                  _md_table(["coalition", "original", "repaired", "change"],
                            [[c, _fmt(o), _fmt(r), _fmt(r - o)] for c, o, r in report.repaired]), ""]
    parts += ["## Recommendation", "", f"**{report.recommended}**: {report.explanation}", ""]
    return "\n".join(parts)


#: The style sheet of the cost-sharing reports (the settlement report extends it).
REPORT_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222;max-width:75rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
tr.total td{font-weight:bold;border-top:2px solid #888}
.ok{color:#176a2c}.bad{color:#a11;font-weight:bold}
.rec{background:#eef6ff;border-left:4px solid #3a78c2;padding:.6rem 1rem}
"""


def html_table(header: list[str], rows: list[list[str]], total_last: bool = False, name: str | None = None) -> str:
    """Escaped HTML table; yes/no cells are coloured; ``name`` goes into ``data-table``."""
    esc = html.escape
    out = [f'<table data-table="{esc(name)}">' if name else "<table>",
           "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead>", "<tbody>"]
    for k, row in enumerate(rows):
        cls = ' class="total"' if total_last and k == len(rows) - 1 else ""
        cells = []
        for c in row:
            css = ' class="ok"' if c == "yes" else ' class="bad"' if c == "no" else ""
            cells.append(f"<td{css}>{esc(c)}</td>")
        out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def render_html(report: ShareReport) -> str:
    """Self-contained HTML page (inline CSS, no scripts or external links)."""
    g = report.game
    esc = html.escape
    body = [
        f"<h1>{esc(report.title)}</h1>",
        f"<p>Game kind: {esc(g.kind)}; organisations: {g.n}; grand coalition value: "
        f"{esc(_fmt(g.grand_value))}. Figures are totals per organisation.</p>",
        "<h2>Shares per organisation</h2>",
        html_table(*_summary_rows(report), total_last=True),
        "<h2>Stability</h2>",
        f"<p>{esc(_core_sentence(report))}</p>",
        html_table(*_stability_rows(report)),
    ]
    if report.repaired:
        body += [
            "<h2>Repaired coalition values</h2>",
            "<p>These coalition values were adjusted before sharing (for example because the "
            "routing solver found a cheaper plan for a larger group only after the smaller one).</p>",
            html_table(["coalition", "original", "repaired", "change"],
                        [[c, _fmt(o), _fmt(r), _fmt(r - o)] for c, o, r in report.repaired]),
        ]
    body += [
        "<h2>Recommendation</h2>",
        f'<div class="rec"><p><strong>{esc(report.recommended)}</strong></p><p>{esc(report.explanation)}</p></div>',
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{esc(report.title)}</title>\n<style>{REPORT_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _round(x: float) -> float:
    """Round off float noise for output."""
    return float(round(x, 9)) + 0.0


def share_summary(game: Game, methods: Sequence[str] | None = None, *,
                  repaired: Sequence[RepairedValue] | None = None) -> tuple[dict, ShareReport]:
    """The JSON-ready result of a cost-sharing run (as ``nachtzorg share --json`` prints it) and
    its report: allocations by the ``methods`` asked for (default: all applicable; a rule asked
    for by name that does not apply is a :class:`GameError`), per-rule core checks, the least-core
    epsilon, the recommendation and the rules skipped with their reason."""
    allocations, skipped = allocate_all(game, methods, strict=methods is not None)
    report = build_report(game, allocations, repaired=repaired)
    return {
        "game": {"name": game.name, "kind": game.kind, "players": list(game.players),
                 "grand_value": _round(game.grand_value)},
        "allocations": {m: {p: _round(v) for p, v in a.items()} for m, a in allocations.items()},
        "core": {m: report.core_checks[m].to_json(game.players) for m in allocations},
        "least_core_epsilon": report.least_core_epsilon,
        "core_empty": report.core_empty,
        "recommended": report.recommended,
        "skipped": skipped,
    }, report
