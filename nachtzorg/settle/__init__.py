"""The year's settlement: what each partner of one night team pays over a period.

Read a period (:class:`PeriodFile`, joined with its nights by :func:`resolve_period`), price
every coalition over it with acute readiness included (:func:`settle_period`), allocate, check
the core and book the advances (:func:`build_settlement`), and render the report
(:func:`render_html`).
"""

from .game import NightTable as NightTable
from .game import PeriodGame as PeriodGame
from .game import coalition_key as coalition_key
from .game import settle_period as settle_period
from .period import Period as Period
from .period import PeriodError as PeriodError
from .period import PeriodFile as PeriodFile
from .period import resolve_period as resolve_period
from .report import render_html as render_html
from .rules import DEFAULT_RULES as DEFAULT_RULES
from .rules import RULES as RULES
from .settlement import Settlement as Settlement
from .settlement import build_settlement as build_settlement

__all__ = [
           "DEFAULT_RULES",
           "RULES",
           "NightTable",
           "Period",
           "PeriodError",
           "PeriodFile",
           "PeriodGame",
           "Settlement",
           "build_settlement",
           "coalition_key",
           "render_html",
           "resolve_period",
           "settle_period",
]
