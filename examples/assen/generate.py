"""Generate the bundled Assen / Midden-Drenthe example night (invented data, seeded).

Four invented organisations, 58 planned visits between 23:00 and 07:00 for clients in Assen,
Beilen, Smilde, Westerbork, Hooghalen and Rolde, three nurses (two registered nurses of level 4,
one certified carer of level 3) with skills and two 15-minute breaks each, two two-nurse hoist
transfers, tight medication windows, two second checks that follow a medication round, one
client who does not want the third nurse and one who prefers the second
(:func:`nachtzorg.synthetic.add_home_care_rules`).

    python examples/assen/generate.py            # rewrites examples/assen/scenario.json
"""

from __future__ import annotations

import sys
from pathlib import Path

from nachtzorg.atomic import write_text as atomic_write_text
from nachtzorg.synthetic import generate_night

SEED = 1
N_VISITS = 56
N_NURSES = 3
N_ORGANISATIONS = 4


def main(out: Path = Path(__file__).with_name("scenario.json")) -> None:
    scenario = generate_night(N_VISITS, N_NURSES, N_ORGANISATIONS, seed=SEED,
                              name="Assen en Midden-Drenthe, invented example night", rules=True)
    atomic_write_text(out, scenario.to_json() + "\n")
    print(f"wrote {out}: {len(scenario.visits)} visits, {len(scenario.clients)} clients, "
          f"{len(scenario.shifts)} nurses")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("scenario.json"))
