"""Monthly advances and the year-end correction, as rows a finance department can book.

Each organisation pays twelve equal monthly advances (the first of every month) and one
year-end correction (31 December) that brings its year to its allocation under the settlement
rule: ``12 * advance + correction = allocation``, exactly, in cents. The advances come from
the period file (``finance.advances``): euros a month per organisation, or a rule name (the
year's cost split by that key, for example the clients key known at the start of the year),
or by default the settlement rule itself (the correction is then only the rounding).

The organisation that employs the team (``finance.employer``) carries its own share in its
books; the others pay theirs to it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass

#: Columns of ``finance.csv``.
COLUMNS = ("organisation_id", "organisation", "booking_date", "kind", "amount_eur", "pay_to", "description")


def _cents(eur: float) -> int:
    return round(eur * 100)


def _eur(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


@dataclass(frozen=True)
class FinanceLine:
    organisation_id: str
    organisation: str
    booking_date: str  # ISO date
    kind: str  # "advance" | "correction"
    amount_cents: int
    pay_to: str
    description: str


def finance_lines(allocation: Mapping[str, float], advances_eur_month: Mapping[str, float],
                  names: Mapping[str, str], year: int, rule: str, basis: str,
                  employer: str | None = None) -> list[FinanceLine]:
    """Twelve advances and one correction per organisation (module docstring); euros in,
    whole cents out."""
    lines: list[FinanceLine] = []
    pay_to = names.get(employer, employer) if employer else ""
    for org in allocation:
        total = _cents(allocation[org])
        month = _cents(advances_eur_month[org])
        name = names.get(org, org)
        own = org == employer
        for m in range(1, 13):
            lines.append(FinanceLine(org, name, f"{year}-{m:02d}-01", "advance", month, "" if own else pay_to,
                                     f"night team {year}: advance {m:02d}/12 ({basis})"
                                     + (" - own share, not invoiced" if own else "")))
        lines.append(FinanceLine(org, name, f"{year}-12-31", "correction", total - 12 * month,
                                 "" if own else pay_to,
                                 f"night team {year}: year-end correction to the {rule} allocation "
                                 f"of {_eur(total)} EUR"))
    return lines


def advances_per_month(allocations: Mapping[str, Mapping[str, float]], rule: str,
                       advances: str | Mapping[str, float] | None) -> tuple[dict[str, float], str]:
    """Monthly advance per organisation (euros, rounded to cents) and what it is based on."""
    if isinstance(advances, Mapping):
        return {o: round(float(advances[o]), 2) for o in allocations[rule]}, "agreed monthly advance"
    basis = advances or rule
    return {o: round(v / 12, 2) for o, v in allocations[basis].items()}, f"1/12 of the {basis} allocation"


def finance_csv(lines: list[FinanceLine]) -> str:
    """The lines as CSV (comma-separated, ISO dates, amounts in euros with a decimal point)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for ln in lines:
        w.writerow([ln.organisation_id, ln.organisation, ln.booking_date, ln.kind, _eur(ln.amount_cents),
                    ln.pay_to, ln.description])
    return buf.getvalue()
