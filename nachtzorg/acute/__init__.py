"""Acute calls: the night state, dispatch, re-planning of the remaining night, simulation.

The edges (:mod:`.state`, :mod:`.dispatch`'s result types) speak JSON and clock times; inside,
the live night (:mod:`.live`) is integer seconds and the remaining night is an ordinary
:class:`~nachtzorg.problem.Problem` from the one builder.
"""

from .calls import RESPONSE_NORM_MIN as RESPONSE_NORM_MIN
from .calls import AcuteCall as AcuteCall
from .dispatch import POLICIES as POLICIES
from .dispatch import DispatchDecision as DispatchDecision
from .dispatch import DispatchOption as DispatchOption
from .dispatch import dispatch as dispatch
from .live import AcuteInputError as AcuteInputError
from .live import LiveNight as LiveNight
from .simulate import CallProfile as CallProfile
from .simulate import SimulationConfig as SimulationConfig
from .simulate import draw_calls as draw_calls
from .simulate import format_table as format_table
from .simulate import scenario_with_nurses as scenario_with_nurses
from .simulate import simulate as simulate
from .state import Event as Event
from .state import NightState as NightState
from .state import advance_state as advance_state
from .state import apply_events as apply_events
from .state import initial_state as initial_state

__all__ = ["RESPONSE_NORM_MIN", "AcuteCall", "AcuteInputError", "CallProfile", "DispatchDecision", "DispatchOption",
           "Event", "LiveNight", "NightState", "POLICIES", "SimulationConfig", "advance_state", "apply_events",
           "dispatch", "draw_calls", "format_table", "initial_state", "scenario_with_nurses", "simulate"]
