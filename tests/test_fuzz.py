"""The fuzz campaign over the command line (benchmarks/fuzz.py): its harness sees tracebacks, hangs,
files written on exit 2 and planted key-safe codes, and a small seeded campaign finds none of them."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import ValidationError

from nachtzorg import Scenario
from tests.conftest import benchmark_script

fuzz = benchmark_script("fuzz")
inputs = fuzz.inputs


def _case(id: str, argv: list[str], files: dict[str, bytes] | None = None, codes: dict | None = None):
    return inputs.Case(id=id, command=argv[0], argv=argv, files=files or {}, dirs=[], codes=codes or {},
                       desc=id)


def test_harness_sees_each_failure_kind():
    """A stand-in command that leaks, raises, hangs or writes on exit 2 is caught each time; a clean one is not."""
    code = "KSC-1234567-SECRET"
    cases = [
        _case("leak", ["echo", "in/s.json"], {"in/s.json": json.dumps({"key_safe_code": code}).encode()},
              {code: ["clients[0].key_safe_code"]}),
        _case("raise", ["raise"]),
        _case("hang", ["sleep", "30"]),
        _case("write2", ["write2"]),
        _case("ok", ["ok"]),
    ]
    rows = list(fuzz.run_cases(cases, workers=1, timeout=2, grace=1, target="fuzz:selftest_main", niceness=0))
    kinds = {case.id: fuzz.failures_of(case, res, timeout=2) for case, res in rows}
    assert kinds == {"leak": ["planted_codes_found"], "raise": ["tracebacks"], "hang": ["hangs"],
                     "write2": ["files_written_on_exit_2"], "ok": []}
    doc = fuzz.summarise(rows, out=None, timeout=2)
    assert (doc["planted_codes_found"], doc["tracebacks"], doc["hangs"], doc["files_written_on_exit_2"]) == (1, 1, 1, 1)
    assert not fuzz.gating_ok(doc)


def test_cases_are_reproducible_and_carry_codes():
    """The same campaign seed and index give the same case, and every case with a scenario plants codes."""
    pools = inputs.build_pools(small=True, hypothesis_cases=10, seed=5)
    a = [inputs.make_case(i, 5, pools) for i in range(25)]
    b = [inputs.make_case(i, 5, pools) for i in range(25)]
    assert [(c.argv, c.files, c.codes) for c in a] == [(c.argv, c.files, c.codes) for c in b]
    with_scenario = [c for c in a if "in/scenario.json" in c.files and b"clients" in c.files["in/scenario.json"]]
    assert with_scenario and all(c.codes for c in with_scenario)


def test_hypothesis_scenarios_are_valid_but_for_chosen_corners():
    """Drawn scenarios load, except for the corners drawn on purpose (a window in the spring clock
    change's gap, a two-nurse visit on a one-nurse night), so the campaign gets past validation."""
    drawn = [b["scenario"] for b in inputs.draw_bundles(40, 11) if b["scenario"] is not None]
    ok, other = 0, []
    for sc in drawn:
        try:
            Scenario.model_validate(sc)
            ok += 1
        except ValidationError as e:
            other += [x["msg"] for x in e.errors() if not re.search(r"clocks skip it|needs two nurses", x["msg"])]
    assert len(drawn) >= 20 and ok >= 0.3 * len(drawn), (ok, len(drawn))
    assert not other, other[:5]


@pytest.mark.timeout(300)
def test_small_campaign_finds_nothing(tmp_path):
    """40 seeded cases over validate/plan/check/dispatch/simulate/share: no traceback, hang, crash,
    file written on exit 2, planted key-safe code in any output, or plan its own check rejects."""
    doc = fuzz.run_campaign(cases=40, seed=3, workers=2, out=tmp_path, small=True, subprocess_share=0.0)
    assert doc["cases"] == 40
    found = {k: doc[k] for k in fuzz.GATING + ("harness_errors",)}
    assert fuzz.gating_ok(doc), json.dumps({"counts": found, "classes": doc["failure_classes"]}, indent=1)[:6000]
