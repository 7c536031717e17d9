"""The settlement of a priced period: allocations, core checks, the recommendation, how much a
sampled period could move, the advances and the business-case figures; its JSON and its report.

Organisation totals only: no client, no visit, no key-safe code appears in anything here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..acute.simulate import CallProfile
from ..sharing import Game, ShareReport, build_report, recommend
from ..sharing.stability import core_is_empty
from .finance import FinanceLine, advances_per_month, finance_csv, finance_lines
from .game import PeriodGame, all_coalitions, coalition_key
from .period import nights_needed
from .rules import bootstrap_moves, settle_allocate, settle_allocate_all

#: Resampled periods for the confidence intervals of a sampled period.
BOOTSTRAP = 200


def _r2(x: float) -> float:
    return float(round(x, 2)) + 0.0


@dataclass
class Settlement:
    """Everything ``nachtzorg settle`` reports (build it with :func:`build_settlement`)."""

    pg: PeriodGame
    game: Game
    allocations: dict[str, dict[str, float]]
    skipped: dict[str, str]
    share: ShareReport  # the sharing package's tables and core checks of these allocations
    recommended: str
    explanation: str
    rule: str  # the settlement rule of the finance lines
    finance: list[FinanceLine]
    advance_basis: str
    moves: dict[str, dict[str, float]] | None = None  # sampled period: rule -> org -> relative half-width
    nights_for_target: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def players(self) -> tuple[str, ...]:
        return self.game.players

    @property
    def names(self) -> dict[str, str]:
        return self.pg.period.names

    # ------------------------------------------------------------------ figures
    def standalone(self) -> dict[str, dict[str, float]]:
        """Per organisation alone: planned visits, readiness, fixed items and the total (EUR a year)."""
        out = {}
        for p in self.players:
            s = frozenset([p])
            planned, ready, fixed = self.pg.planned_eur(s), self.pg.readiness_eur(s), self.pg.fixed_eur(s)
            out[p] = {"planned_eur": _r2(planned), "readiness_eur": _r2(ready), "fixed_eur": _r2(fixed),
                      "total_eur": _r2(self.game.value(s))}
        return out

    def parts(self, s: frozenset[str]) -> dict[str, float]:
        return {"planned_eur": _r2(self.pg.planned_eur(s)), "readiness_eur": _r2(self.pg.readiness_eur(s)),
                "fixed_eur": _r2(self.pg.fixed_eur(s)), "total_eur": _r2(self.game.value(s)),
                "nurses_max": self.pg.max_nurses(s), "shifts_per_year": _r2(self.pg.shifts_per_year(s))}

    def saving(self) -> dict[str, float]:
        """The grand coalition's saving against every organisation alone, by part (EUR a year)."""
        grand = frozenset(self.players)
        alone = self.standalone()
        together = self.parts(grand)
        out = {k: _r2(sum(a[k] for a in alone.values()) - together[k])
               for k in ("planned_eur", "readiness_eur", "fixed_eur", "total_eur")}
        total_alone = sum(a["total_eur"] for a in alone.values())
        out["total_pct"] = _r2(100 * out["total_eur"] / total_alone) if total_alone else 0.0
        return out

    def business_case(self) -> list[tuple[str, list[str]]]:
        """The insurer's business-case rows: (item, one cell per organisation alone, then together)."""
        pg, spec = self.pg, self.pg.period.spec
        grand = frozenset(self.players)
        cols = [frozenset([p]) for p in self.players] + [grand]
        no_visit = CallProfile().no_visit_share  # the simulator's share of calls answered without a visit

        def org_or_total(values: dict[str, float | None]) -> list[str]:
            vals = [values[p] for p in self.players]
            total = sum(v for v in vals if v is not None) if all(v is not None for v in vals) else None
            return [_num(v, 0) for v in vals] + [_num(total, 0)]

        inhabitants = {p: pg.period.terms(p).inhabitants for p in self.players}
        clients = {p: pg.period.terms(p).clients for p in self.players}
        region_inh = spec.region.inhabitants
        rows: list[tuple[str, list[str]]] = []
        inh_row = org_or_total(inhabitants)
        if region_inh is not None:
            inh_row[-1] = _num(region_inh, 0)
        rows.append(("inhabitants", inh_row))
        rows.append(("clients in night care", org_or_total(clients)))
        attrs = self.game.attributes
        rows.append(("planned visits a year", org_or_total(attrs["visits"])))
        calls = attrs["calls"]
        rows.append(("acute calls a year (expected)", org_or_total(calls)))
        rows.append(("call-outs a year (calls that need a visit)",
                     org_or_total({p: c * (1 - no_visit) for p, c in calls.items()})))
        rows.append(("night shifts a year", [_num(pg.shifts_per_year(s), 0) for s in cols]))
        rows.append(("nurses (cars) on the busiest night", [str(pg.max_nurses(s)) for s in cols]))
        backup = [i for i in spec.fixed.items if i.kind == "backup"]
        if backup:
            hours = sum(i.hours_per_year or 0.0 for i in backup)
            rows.append(("back-up (achterwacht) hours a year", [_num(hours, 0)] * len(cols)))
        if spec.fixed.cars is not None:
            rows.append(("cost per car a year (EUR)", [_num(spec.fixed.cars.eur_per_car_per_year, 2)] * len(cols)))
        shift_costs = [sh.cost_per_shift_eur for n in pg.period.nights for sh in n.scenario.shifts]
        if shift_costs:
            rows.append(("staff cost per night shift (EUR, mean)",
                         [_num(float(np.mean(shift_costs)), 2)] * len(cols)))
        coord = [i for i in spec.fixed.items if i.kind == "coordination"]
        if coord:
            rows.append(("coordination costs a year (EUR)",
                         [_num(sum(i.eur for i in coord if len(s) >= 2 or not i.only_shared), 2) for s in cols]))
        rows.append(("planned care a year (EUR)", [_num(pg.planned_eur(s), 2) for s in cols]))
        rows.append(("acute readiness a year (EUR)", [_num(pg.readiness_eur(s), 2) for s in cols]))
        rows.append(("fixed items a year (EUR)", [_num(pg.fixed_eur(s), 2) for s in cols]))
        rows.append(("yearly cost (EUR)", [_num(self.game.value(s), 2) for s in cols]))
        alloc = self.allocations[self.rule]
        rows.append((f"contribution, {self.rule} (EUR)",
                     [_num(alloc[p], 2) for p in self.players] + [_num(sum(alloc.values()), 2)]))
        return rows

    # ------------------------------------------------------------------ outputs
    def to_json(self) -> dict:
        """The JSON object ``settle --json`` prints (yearly euros; coalition keys: ids sorted, commas)."""
        pg = self.pg
        coalitions = all_coalitions(self.players)
        core = {rule: self.share.core_checks[rule].to_json(self.players) for rule in self.allocations}
        return {
            "period": {"name": pg.period.spec.name, "region": pg.period.spec.region.name,
                       "nights_in_year": _r2(pg.period.nights_in_year), "sampled": pg.period.sampled,
                       "nights": [{"label": n.label, "weight": _r2(n.weight),
                                   "visits": int(sum(n.visits.values())),
                                   "nurses_together": n.coalitions[frozenset(self.players)].nurses}
                                  for n in pg.nights],
                       "norm": {"minutes": pg.period.spec.norm.minutes, "share": pg.period.spec.norm.share},
                       "seed": pg.seed, "time_limit_s": pg.time_limit_s},
            "organisations": list(self.players),
            "names": {p: self.names[p] for p in self.players},
            "coalitions": {coalition_key(s): _r2(self.game.value(s)) for s in sorted(coalitions, key=lambda c: (len(c), sorted(c)))},
            "coalition_parts": {coalition_key(s): self.parts(s) for s in sorted(coalitions, key=lambda c: (len(c), sorted(c)))},
            "standalone": self.standalone(),
            "grand": {"total_eur": _r2(self.game.grand_value), "saving": self.saving()},
            "allocations": {r: {p: _r2(v) for p, v in a.items()} for r, a in self.allocations.items()},
            "core": {r: bool(c["in_core"]) for r, c in core.items()},
            "core_detail": core,
            "least_core_epsilon": self.share.least_core_epsilon,
            "core_empty": self.share.core_empty,
            "recommended": self.recommended,
            "recommendation": self.explanation,
            "skipped": self.skipped,
            "settlement_rule": self.rule,
            "advances": {"basis": self.advance_basis,
                         "per_month": {ln.organisation_id: ln.amount_cents / 100 for ln in self.finance
                                       if ln.kind == "advance" and ln.booking_date.endswith("-01-01")},
                         "correction": {ln.organisation_id: ln.amount_cents / 100 for ln in self.finance
                                        if ln.kind == "correction"}},
            "confidence": None if self.moves is None else {
                "level": 0.95, "bootstrap": BOOTSTRAP, "nights": len(pg.nights),
                "largest_move": _r4(max((m for r in self.moves.values() for m in r.values()), default=0.0)),
                "target_move": pg.period.spec.target_move, "nights_for_target": self.nights_for_target,
                "moves": {r: {p: _r4(v) for p, v in m.items()} for r, m in self.moves.items()}},
            "repaired": pg.repairs(),
            "norm_not_met": pg.norm_not_met(),
            "wall_s": round(pg.wall_s, 2),
        }

    def csv(self) -> str:
        return finance_csv(self.finance)

    def coalitions_csv(self) -> str:
        """One row per coalition: the parts of its yearly cost."""
        head = "coalition,planned_eur,readiness_eur,fixed_eur,total_eur,nurses_max,shifts_per_year\n"
        rows = []
        for s in sorted(all_coalitions(self.players), key=lambda c: (len(c), sorted(c))):
            p = self.parts(s)
            rows.append(f'"{coalition_key(s)}",{p["planned_eur"]:.2f},{p["readiness_eur"]:.2f},{p["fixed_eur"]:.2f},'
                        f'{p["total_eur"]:.2f},{p["nurses_max"]},{p["shifts_per_year"]:.2f}\n')
        return head + "".join(rows)


def _num(x: float | None, digits: int) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.{digits}f}"


def _r4(x: float) -> float:
    return float(round(x, 4)) + 0.0


def build_settlement(pg: PeriodGame, rules: Sequence[str] | None = None, *, bootstrap: int = BOOTSTRAP,
                     bootstrap_seed: int = 0) -> Settlement:
    """Allocate the period game by ``rules`` (default :data:`~nachtzorg.settle.rules.DEFAULT_RULES`;
    rules asked for by name must apply), check the core, recommend, and book the advances."""
    game = pg.game()
    allocations, skipped = settle_allocate_all(game, rules, strict=rules is not None)
    empty = core_is_empty(game)
    recommended, explanation = recommend(game, empty)
    if recommended not in allocations:
        allocations[recommended] = settle_allocate(game, recommended)
    spec = pg.period.spec
    rule = spec.finance.rule or recommended
    if rule not in allocations:
        allocations[rule] = settle_allocate(game, rule)
    share = build_report(game, allocations)
    basis_rule = spec.finance.advances if isinstance(spec.finance.advances, str) else None
    basis_allocs = dict(allocations)
    if basis_rule is not None and basis_rule not in basis_allocs:
        basis_allocs[basis_rule] = settle_allocate(game, basis_rule)
    per_month, basis = advances_per_month(basis_allocs, rule, spec.finance.advances)
    lines = finance_lines(allocations[rule], per_month, pg.period.names, spec.finance.year, rule, basis,
                          spec.finance.employer)
    moves = needed = None
    if pg.period.sampled and len(pg.nights) >= 2 and bootstrap > 0:
        rng = np.random.default_rng(bootstrap_seed)
        n = len(pg.nights)
        base = pg.period.nights_in_year / n
        games = [pg.game(np.bincount(rng.integers(0, n, n), minlength=n) * base) for _ in range(bootstrap)]
        moves = bootstrap_moves(games, allocations)
        largest = max((m for r in moves.values() for m in r.values()), default=0.0)
        needed = nights_needed(n, largest, spec.target_move)
    return Settlement(pg, game, allocations, skipped, share, recommended, explanation, rule, lines, basis,
                      moves, needed)
