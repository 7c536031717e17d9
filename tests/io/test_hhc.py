"""Home-health-care benchmark (Mankowska et al. 2014): reader, best-known values, evaluator."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from nachtzorg.exceptions import InputError
from nachtzorg.io.hhc import HhcInstance, best_known_hhc, evaluate_hhc, read_hhc

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "hhc"
A1 = DATA / "InstanzCPLEX_HCSRP_10_1.txt"
FILES = sorted(DATA.glob("*.txt"))
SIZES = {10: 3, 25: 5, 50: 10, 75: 15, 100: 20, 200: 30, 300: 40}  # patients -> caregivers

# Kummer, Buriol & de Araujo's best BRKGA route for A1 (afkummer/gecco2020-brkga,
# solutions/routes/solution-10-1-13.txt, MIT): "Cost = 226.978 Dist = 680.934 Tard = 0 TMax = 0".
# (node, service) per caregiver; the file gives no start times.
PUBLISHED_A1 = [
    [(10, 2), (3, 1), (5, 2), (9, 0), (7, 2)],
    [(8, 4), (2, 4)],
    [(8, 5), (10, 5), (6, 4), (1, 3), (9, 3), (4, 3)],
]


def earliest_starts(inst: HhcInstance, seqs: list[list[tuple[int, int]]]) -> list[list[dict]]:
    """Earliest start times for fixed visit orders: the least fixed point of arrival, window
    opening and the gap bounds between a patient's two services (test helper, not the evaluator)."""
    start: dict[tuple[int, int], float] = {}
    for _ in range(1000):
        changed = False
        for k, seq in enumerate(seqs):
            prev, free = 0, 0.0
            for i, s in seq:
                t = max(free + inst.distance[prev, i], inst.ready[i], start.get((i, s), 0.0))
                if i in inst.double:
                    lo, hi = inst.services(i)
                    if s == hi and (i, lo) in start:
                        t = max(t, start[(i, lo)] + inst.min_gap[i])
                    if s == lo and (i, hi) in start:
                        t = max(t, start[(i, hi)] - inst.max_gap[i])
                if start.get((i, s)) != t:
                    start[(i, s)], changed = float(t), True
                prev, free = i, t + inst.duration[i, k, s]
        if not changed:
            break
    return [[{"node": i, "service": s, "start": start[(i, s)]} for i, s in seq] for seq in seqs]


@pytest.fixture(scope="module")
def a1() -> HhcInstance:
    return read_hhc(A1)


@pytest.fixture()
def published(a1: HhcInstance) -> list[list[dict]]:
    return earliest_starts(a1, PUBLISHED_A1)


def stop_of(routes: list[list[dict]], node: int, service: int) -> tuple[int, int]:
    return next((k, p) for k, r in enumerate(routes) for p, s in enumerate(r)
                if (s["node"], s["service"]) == (node, service))


# ------------------------------------------------------------------------------------------ reader

def test_every_bundled_instance_reads_with_consistent_shapes() -> None:
    """All 29 bundled files read; sizes, caregivers and the two-service patients agree with the file."""
    assert len(FILES) == 29
    for path in FILES:
        inst = read_hhc(path)
        n, k, s = inst.n_nodes, inst.n_caregivers, inst.n_services
        assert SIZES[inst.n_patients] == k and s == 6
        assert inst.requires.shape == (n, s) and inst.qualified.shape == (k, s)
        assert inst.distance.shape == (n, n) and inst.duration.shape == (n, k, s)
        assert inst.coords.shape == (n, 2) and inst.ready.shape == inst.due.shape == (n,)
        assert not inst.requires[0].any() and not inst.requires[-1].any()
        counts = inst.requires.sum(axis=1)
        assert set(counts[1:-1]) <= {1, 2}
        assert inst.double == tuple(int(i) for i in np.flatnonzero(counts == 2))
        for i in inst.double:
            assert 0 <= inst.min_gap[i] <= inst.max_gap[i]
        assert best_known_hhc(inst) is not None


def test_a1_values_match_the_file(a1: HhcInstance) -> None:
    """Spot values of A1 land where the format says (DS 11 10 9 = nodes 10 9 8; p row-major by node)."""
    assert (a1.n_patients, a1.n_caregivers, a1.n_services) == (10, 3, 6)
    assert a1.double == (8, 9, 10)
    assert a1.services(8) == (4, 5) and a1.synchronised(8)
    assert a1.services(9) == (0, 3) and (a1.min_gap[9], a1.max_gap[9]) == (51, 102)
    assert not a1.synchronised(9)
    assert a1.qualified[1].tolist() == [False, False, False, False, True, True]
    assert a1.distance[0, 3] == pytest.approx(55.946404)
    assert a1.duration[1, 2, 3] == 14.0 and a1.duration[0].sum() == 0
    assert (a1.ready[8], a1.due[8]) == (46, 166)
    assert best_known_hhc(a1) == 218.2 and best_known_hhc(A1) == 218.2


def _lines() -> list[str]:
    return A1.read_text().splitlines()


def _section(lines: list[str], name: str) -> int:
    return lines.index(name)


def _drop_section(name: str):
    def f(lines):
        i = _section(lines, name)
        return lines[:i] + lines[i + 2:]
    return f


def _replace_row(name: str, row: int, text: str):
    def f(lines):
        lines = list(lines)
        lines[_section(lines, name) + 1 + row] = text
        return lines
    return f


def _drop_row(name: str, row: int):
    def f(lines):
        lines = list(lines)
        del lines[_section(lines, name) + 1 + row]
        return lines
    return f


MALFORMED = [
    # (case, edit of A1's lines, words the message must hold)
    ("missing section", _drop_section("e"), ["'e'", "missing"]),
    ("wrong row count in d", _drop_row("d", 3), ["section 'd'", "12 rows", "found 11"]),
    ("wrong row count in p", _drop_row("p", 0), ["section 'p'", "36 rows"]),
    ("short row in r", _replace_row("r", 2, "0 0 0 0 1"), ["section 'r' row 2", "6 values", "'0 0 0 0 1'"]),
    ("not a number", _replace_row("d", 2, "34.8 23.0 0.0 4x.8 27.7 15.0 53.0 10.6 46.6 42.7 54.9 34.8"),
     ["section 'd'", "'4x.8' is not a number"]),
    ("wrong vector length", _replace_row("e", 0, "0 345 268"), ["section 'e'", "12 values", "found 3"]),
    ("DS misses a two-service patient", _replace_row("DS", 0, "11 10"), ["'DS' disagrees with 'r'", "node 8"]),
    ("DS lists a one-service patient", _replace_row("DS", 0, "11 10 9 2"), ["'DS' disagrees with 'r'", "node 1"]),
    ("DS out of range", _replace_row("DS", 0, "11 10 9 12"), ["section 'DS'", "'12'"]),
    ("patient without a service", _replace_row("r", 4, "0 0 0 0 0 0"), ["node 4 requires no service", "'0 0 0 0 0 0'"]),
    ("patient with three services", _replace_row("r", 4, "1 1 1 0 0 0"), ["node 4 requires 3 services"]),
    ("service nobody is qualified for", _replace_row("a", 2, "0 0 0 0 1 1"),
     ["section 'a'", "no caregiver is qualified for service 3"]),
    ("not binary", _replace_row("a", 0, "1 1 2 0 0 0"), ["section 'a' row 0", "'2' must be 0 or 1"]),
    ("unknown section", lambda ls: ["wibble"] + ls, ["unknown section", "'wibble'"]),
    ("nbNodes not an integer", _replace_row("nbNodes", 0, "12.5"), ["section 'nbNodes'", "'12.5'"]),
]


@pytest.mark.parametrize("case, edit, words", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_file_gives_a_clear_error(tmp_path: Path, case: str, edit, words: list[str]) -> None:
    """A malformed file raises InputError naming the file, the section and a preview of the value."""
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join(edit(_lines())) + "\n")
    with pytest.raises(InputError) as err:
        read_hhc(bad)
    msg = str(err.value)
    assert str(bad) in msg
    for w in words:
        assert w in msg, (case, msg)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    """A path that is not a file raises InputError naming it."""
    with pytest.raises(InputError, match="no such instance file"):
        read_hhc(tmp_path / "nope.txt")


def test_best_known_is_none_without_table_or_row(tmp_path: Path) -> None:
    """No best_known.csv beside the file, or no row for it, gives None; a bad value an InputError."""
    copy_ = tmp_path / A1.name
    copy_.write_text(A1.read_text())
    assert best_known_hhc(copy_) is None
    (tmp_path / "best_known.csv").write_text("instance,file,best_known\nX,other.txt,1.0\n")
    assert best_known_hhc(copy_) is None
    (tmp_path / "best_known.csv").write_text(f"instance,file,best_known\nA1,{A1.name},n/a\n")
    with pytest.raises(InputError, match="not a number"):
        best_known_hhc(copy_)


# --------------------------------------------------------------------------------------- evaluator

def test_published_brkga_routes_are_valid_with_the_published_cost(a1: HhcInstance, published) -> None:
    """Kummer et al.'s published A1 routes, scheduled as early as possible, are valid and score
    their published distance 680.934 and cost 226.978 (no tardiness)."""
    ev = evaluate_hhc(a1, published)
    assert ev.valid, str(ev)
    assert ev.issues == ()
    assert ev.distance == pytest.approx(680.934, abs=1e-3)
    assert ev.total_tardiness == 0 and ev.max_tardiness == 0
    assert ev.objective == pytest.approx(226.978, abs=1e-3)


def test_objective_recomputed_by_hand(a1: HhcInstance) -> None:
    """Distance (depot to end depot), tardiness per service (a late two-caregiver visit counts twice)
    and the maximum tardiness give (D + T + Tmax) / 3, computed here by hand from A1's numbers."""
    routes = [
        [{"node": 3, "service": 1, "start": 400.0}],  # l = 367: 33 late
        [{"node": 8, "service": 4, "start": 170.0}],  # l = 166: 4 late
        [{"node": 8, "service": 5, "start": 170.0}, {"node": 1, "service": 3, "start": 470.0}],  # 4 and 5 late
    ]
    ev = evaluate_hhc(a1, routes)
    dist = (55.946404 + 55.946404) + (13.038404 + 13.038404) + (13.038404 + 45.276924 + 38.470768)
    assert ev.distance == pytest.approx(dist, abs=1e-9)
    assert ev.total_tardiness == pytest.approx(33 + 4 + 4 + 5)
    assert ev.max_tardiness == pytest.approx(33)
    assert ev.objective == pytest.approx((dist + 46 + 33) / 3, abs=1e-9)
    # the only issues are the services left out (13 required, 4 done)
    assert not ev.valid and len(ev.issues) == 9
    assert all("is not done" in i for i in ev.issues)


def test_empty_routes_cost_nothing(a1: HhcInstance) -> None:
    """A caregiver without stops drives nothing (and everything is reported missing)."""
    ev = evaluate_hhc(a1, [[], [], []])
    assert ev.distance == 0 and ev.objective == 0
    assert len(ev.issues) == int(a1.requires.sum())


def only_new_issue(a1: HhcInstance, routes) -> str:
    ev = evaluate_hhc(a1, routes)
    assert not ev.valid
    assert len(ev.issues) == 1, ev.issues
    return ev.issues[0]


def test_catches_a_missing_service(a1: HhcInstance, published) -> None:
    """A required service left out is reported."""
    k, p = stop_of(published, 4, 3)
    del published[k][p]
    assert only_new_issue(a1, published) == "patient 4: service 3 is not done"


def test_catches_a_service_done_twice(a1: HhcInstance, published) -> None:
    """A service done twice is reported with both caregivers."""
    published[2].append({"node": 4, "service": 3, "start": 2000.0})
    assert "service 3 is done 2 times (caregivers [2, 2])" in only_new_issue(a1, published)


def test_catches_an_unqualified_caregiver(a1: HhcInstance) -> None:
    """A service by a caregiver without the skill is reported (caregiver 1 lacks service 1)."""
    seqs = copy.deepcopy(PUBLISHED_A1)
    seqs[0].remove((3, 1))
    seqs[1].append((3, 1))
    assert "caregiver 1 is not qualified for service 1" in only_new_issue(a1, earliest_starts(a1, seqs))


def test_catches_a_service_not_required(a1: HhcInstance, published) -> None:
    """A stop for a service the patient does not need is reported."""
    published[0].append({"node": 7, "service": 0, "start": 2000.0})
    assert "patient 7 does not require service 0" in only_new_issue(a1, published)


def test_catches_both_services_by_one_caregiver(a1: HhcInstance) -> None:
    """A patient's two services by the same caregiver are reported (gap widened so only that rule breaks)."""
    wide = dataclasses.replace(a1, min_gap=a1.min_gap.copy(), max_gap=a1.max_gap.copy())
    wide.min_gap[8], wide.max_gap[8] = 14, 200
    seqs = [PUBLISHED_A1[0], [(2, 4)], [(8, 4), (8, 5)] + PUBLISHED_A1[2][1:]]
    routes = earliest_starts(wide, seqs)
    assert evaluate_hhc(wide, routes).issues == ("patient 8: services 4 and 5 are both done by caregiver 2; they need "
                                                 "two different caregivers",)
    issues = evaluate_hhc(a1, routes).issues  # with A1's own 0/0 gap the synchronisation breaks too
    assert len(issues) == 2 and "must start at the same time" in issues[1]


def test_catches_a_broken_synchronisation(a1: HhcInstance) -> None:
    """Two services that must start together but start 5 min apart are reported."""
    apart = dataclasses.replace(a1, min_gap=a1.min_gap.copy(), max_gap=a1.max_gap.copy())
    apart.min_gap[8] = apart.max_gap[8] = 5
    msg = only_new_issue(a1, earliest_starts(apart, PUBLISHED_A1))
    assert msg == "patient 8: service 5 starts +5.0000 min after service 4; it must start at the same time as service 4"


@pytest.mark.parametrize("gap, word", [(30, "+30.0000"), (150, "+150.0000")])
def test_catches_a_gap_out_of_range(a1: HhcInstance, gap: float, word: str) -> None:
    """A gap below mind or above maxd (patient 9: 51 to 102 min) is reported."""
    other = dataclasses.replace(a1, min_gap=a1.min_gap.copy(), max_gap=a1.max_gap.copy())
    other.min_gap[9] = other.max_gap[9] = gap
    msg = only_new_issue(a1, earliest_starts(other, PUBLISHED_A1))
    assert msg.startswith(f"patient 9: service 3 starts {word} min after service 0") and "51 to 102 min" in msg


def test_gap_tolerance_is_a_millionth_of_a_minute(a1: HhcInstance, published) -> None:
    """A synchronised start 1e-7 min apart passes; 1e-5 min apart is reported."""
    k, p = stop_of(published, 8, 5)
    t = published[k][p]["start"]
    published[k][p]["start"] = t + 1e-7
    assert evaluate_hhc(a1, published).valid
    published[k][p]["start"] = t + 1e-5  # later: the next stop now also starts 1e-5 min before arrival
    issues = evaluate_hhc(a1, published).issues
    assert any("must start at the same time" in i for i in issues)


def test_catches_a_start_before_arrival(a1: HhcInstance, published) -> None:
    """A start before the caregiver can have arrived is reported."""
    case = next((k, p) for k, r in enumerate(published) for p, s in enumerate(r)
                if p > 0 and s["node"] not in a1.double and s["start"] > a1.ready[s["node"]] + 1)
    k, p = case
    published[k][p]["start"] -= 0.5
    assert "0.5 min before arriving" in only_new_issue(a1, published)


def test_catches_a_start_before_the_window(a1: HhcInstance, published) -> None:
    """A start before e_i is reported even when the caregiver is already there."""
    k, p = stop_of(published, 8, 4)  # first stop of caregiver 1, waits for the window (e = 46)
    assert published[k][p]["start"] == a1.ready[8] > a1.distance[0, 8]
    published[1][p]["start"] -= 1.0
    published[2][0]["start"] -= 1.0  # keep the pair synchronised
    issues = evaluate_hhc(a1, published).issues
    assert len(issues) == 2 and all("1 min before the window opens at 46 min" in i for i in issues)


def test_malformed_routes_are_reported_not_raised(a1: HhcInstance, published) -> None:
    """Wrong route count, a depot stop, an unknown service and a stop without a start are issues."""
    ev = evaluate_hhc(a1, published[:2])
    assert "2 routes given; the instance has 3 caregivers" in ev.issues[0]
    bad = copy.deepcopy(published)
    bad[0] += [{"node": 0, "service": 1, "start": 9.0}, {"node": 3, "service": 6, "start": 9.0},
               {"node": 3, "service": 1}, "junk"]
    issues = evaluate_hhc(a1, bad).issues
    assert len(issues) == 4
    assert "node 0 is not a patient" in issues[0] and "service 6 does not exist" in issues[1]
    assert "has no 'start'" in issues[2] and "not a mapping" in issues[3]
    assert evaluate_hhc(a1, bad).distance == pytest.approx(evaluate_hhc(a1, published).distance)


def test_tardiness_is_counted_and_stays_valid(a1: HhcInstance, published) -> None:
    """A late last stop is valid and adds exactly its lateness to the total, the max and the objective."""
    base = evaluate_hhc(a1, published)
    last = published[2][-1]
    late = a1.due[last["node"]] + 7.5 - last["start"]
    last["start"] += late
    ev = evaluate_hhc(a1, published)
    assert ev.valid
    assert ev.total_tardiness == pytest.approx(7.5) and ev.max_tardiness == pytest.approx(7.5)
    assert ev.objective == pytest.approx(base.objective + 15 / 3)
