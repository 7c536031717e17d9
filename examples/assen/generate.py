"""Generate the bundled Assen / Midden-Drenthe example night (invented data, seeded).

Four invented organisations, 56 planned visits between 23:00 and 07:00 for clients in Assen,
Beilen, Smilde, Westerbork, Hooghalen and Rolde, three nurses (two registered nurses of level 4,
one certified carer of level 3), two two-nurse hoist transfers and tight medication windows.

    python examples/assen/generate.py            # rewrites examples/assen/scenario.json
"""

from __future__ import annotations

import sys
from pathlib import Path

from nachtzorg.io.writers import atomic_write_text
from nachtzorg.synthetic import generate_night

SEED = 1
N_VISITS = 56
N_NURSES = 3
N_ORGANISATIONS = 4


def main(out: Path = Path(__file__).with_name("scenario.json")) -> None:
    scenario = generate_night(N_VISITS, N_NURSES, N_ORGANISATIONS, seed=SEED,
                              name="Assen en Midden-Drenthe, invented example night")
    atomic_write_text(out, scenario.to_json() + "\n")
    print(f"wrote {out}: {len(scenario.visits)} visits, {len(scenario.clients)} clients, "
          f"{len(scenario.shifts)} nurses")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("scenario.json"))
