"""Seeded generator of invented but realistic nights around Assen and Midden-Drenthe.

Used by the bundled example, the benchmarks, the simulator and tests. Organisations and
clients are invented; clients get pseudonyms only. Orders of magnitude follow DOMAIN.md:
visits of 5-45 minutes, windows from exact medication times (+-15 min) to wide, repositioning
every few hours, a few two-nurse hoist transfers, shifts of about 22:45-07:15.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

from .model import Scenario

#: Town centres (lat, lon) and a weight for how many clients live there.
TOWNS = {
    "Assen": ((52.993, 6.562), 0.45),
    "Beilen": ((52.862, 6.512), 0.15),
    "Smilde": ((52.953, 6.449), 0.10),
    "Westerbork": ((52.850, 6.608), 0.10),
    "Hooghalen": ((52.922, 6.533), 0.08),
    "Rolde": ((52.983, 6.649), 0.12),
}
BASE = (52.993, 6.562)  # the night team's post in Assen

ORG_NAMES = ["Zorggroep Noorderlicht", "Thuiszorg De Brink", "Wijkverpleging Drentse Aa",
             "Zorg aan Huis Hunzedal", "Stichting Heidezorg", "Thuiszorg Witte Veen",
             "Zorgcollectief Oranjekanaal", "Wijkzorg Ellertsveld", "Thuiszorg Hondsrug",
             "Zorggroep Boswachter", "Thuiszorg Veenhof", "Zorg Dichtbij Vledder",
             "Wijkteam Bovensmilde", "Zorgnetwerk Loon", "Thuiszorg Deurze", "Zorgpunt Eleveld",
             "Thuiszorg Amen", "Zorgteam Grolloo", "Wijkzorg Ekehaar", "Zorggroep Orvelte"]

# care kind: (duration minutes (low, high), qualification, probability)
CARE = {
    "repositioning": ((10, 15), 3, 0.30),
    "continence": ((10, 20), 3, 0.20),
    "medication": ((5, 10), 4, 0.18),
    "insulin": ((5, 10), 4, 0.07),
    "catheter": ((10, 20), 4, 0.10),
    "palliative": ((20, 40), 4, 0.10),
    "hoist_transfer": ((20, 30), 3, 0.05),
}


def _hhmm(minutes_after_22: float) -> str:
    m = int(round(minutes_after_22 / 5) * 5) % (24 * 60)
    t = (22 * 60 + m) % (24 * 60)
    return f"{t // 60:02d}:{t % 60:02d}"


def generate_night(n_visits: int = 60, n_nurses: int = 3, n_organisations: int = 4, *, seed: int = 0,
                   date: _dt.date = _dt.date(2026, 11, 22), two_nurse_share: float = 0.05,
                   name: str | None = None, rules: bool = False) -> Scenario:
    """An invented night of about ``n_visits`` visits (exactly that many) for ``n_nurses`` nurses.

    Minutes of the window model are counted from 22:00; visits fall between 23:00 and 06:45.
    ``rules`` adds the home-care rules of :func:`add_home_care_rules`.
    """
    rng = np.random.default_rng(seed)
    n_org = max(1, min(n_organisations, len(ORG_NAMES)))
    orgs = [{"id": f"org-{chr(97 + i)}" if i < 26 else f"org-{i}", "name": ORG_NAMES[i]} for i in range(n_org)]
    org_weights = rng.dirichlet(np.full(n_org, 3.0))
    towns = list(TOWNS)
    tw = np.array([TOWNS[t][1] for t in towns])
    tw = tw / tw.sum()
    # About 1.6 visits per client: repositioning and continence clients get several.
    n_clients = max(1, int(round(n_visits / 1.6)))
    clients = []
    for i in range(n_clients):
        town = towns[rng.choice(len(towns), p=tw)]
        (lat, lon), _ = TOWNS[town]
        spread = 0.018 if town == "Assen" else 0.010
        org = orgs[rng.choice(n_org, p=org_weights)]["id"]
        clients.append({
            "id": f"cl-{i + 1:03d}",
            "organisation": org,
            "location": {"lat": round(lat + rng.normal(0, spread), 5),
                         "lon": round(lon + rng.normal(0, spread * 1.6), 5)},
            "access_note": "key safe at the front door" if rng.random() < 0.8 else "neighbour has a key; ring twice",
        })
    kinds = list(CARE)
    kp = np.array([CARE[k][2] for k in kinds])
    kp = kp / kp.sum()
    visits = []
    client_kind = [kinds[rng.choice(len(kinds), p=kp)] for _ in clients]
    v = 0
    rounds = 0
    while v < n_visits:
        for ci, c in enumerate(clients):
            if v >= n_visits:
                break
            kind = client_kind[ci]
            if rounds > 0 and kind not in ("repositioning", "continence", "palliative") and rng.random() < 0.85:
                continue
            (lo, hi), level, _ = CARE[kind]
            duration = int(rng.integers(lo, hi + 1))
            nurses = 1
            if kind == "hoist_transfer" or (rng.random() < two_nurse_share * 0.3 and kind == "palliative"):
                nurses = 2
            if kind in ("medication", "insulin"):
                centre = float(rng.choice([60, 120, 240, 360, 420]))  # 23:00, 00:00, 02:00, 04:00, 05:00
                windows = [{"start": _hhmm(centre - 15), "end": _hhmm(centre + 15)}]
            elif kind == "repositioning":  # every three hours, first round spread over 23:15-01:15
                centre = 135 + 180 * (rounds % 3) + float(rng.integers(-6, 7)) * 10
                windows = [{"start": _hhmm(max(centre - 45, 60)), "end": _hhmm(min(centre + 45, 525))}]
            elif kind == "hoist_transfer":  # to bed late evening, or out of bed early morning
                centre = float(rng.choice([90, 480]))
                windows = [{"start": _hhmm(centre - 30), "end": _hhmm(centre + 30)}]
            else:
                a = float(rng.integers(60, 360))
                windows = [{"start": _hhmm(a), "end": _hhmm(min(a + float(rng.integers(90, 300)), 525))}]
            visit = {"id": f"v-{v + 1:03d}", "client": c["id"], "windows": windows, "duration_min": duration,
                     "qualification": level, "nurses": nurses, "care": kind}
            if kind == "palliative" or kind == "medication":
                visit["priority"] = 2
            if kind == "repositioning":
                visit["max_lateness_min"] = 15
            visits.append(visit)
            v += 1
        rounds += 1
    shifts = []
    for k in range(n_nurses):
        level = 4 if k % 3 != 2 else 3
        shifts.append({"id": f"nurse-{k + 1}", "qualification": level,
                       "start_location": {"lat": BASE[0], "lon": BASE[1]},
                       "start_time": "22:45", "end_time": "07:15",
                       "cost_per_shift_eur": 465.0, "cost_per_km_eur": 0.32})
    data = {
        "name": name or f"generated night: {n_visits} visits, {n_nurses} nurses, seed {seed}",
        "date": date.isoformat(), "timezone": "Europe/Amsterdam",
        "organisations": orgs, "clients": clients, "visits": visits, "shifts": shifts,
        "travel": {"provider": "straight_line", "speed_kmh": 45, "detour_factor": 1.35},
    }
    if rules:
        add_home_care_rules(data, rng)
    return Scenario.model_validate(data)


#: Skills of the night's nurses by position (registered nurses first): who may do catheter care,
#: palliative care and hoist transfers.
NURSE_SKILLS = (["catheter_care", "hoist", "palliative_care"], ["catheter_care", "hoist", "palliative_care", "stoma_care"],
                ["hoist"])
SKILL_OF_CARE = {"catheter": "catheter_care", "palliative": "palliative_care", "hoist_transfer": "hoist"}


def add_home_care_rules(data: dict, rng: np.random.Generator) -> None:
    """The rules of real night care on an invented night (in place): pseudonymous nurse ids and
    skills as sets; catheter, palliative and hoist care need their skill, two catheter visits
    also stoma care (which only the second nurse has); two 15-minute breaks
    per shift (the Dutch working-time rule for a shift over 5.5 hours: 30 minutes, splittable) and
    up to 30 minutes of paid overtime;
    a second check 60-120 minutes after two medication rounds; one client who does not want the
    third nurse, one who prefers the second."""
    for k, sh in enumerate(data["shifts"]):
        sh["nurse"] = f"{'rn' if sh['qualification'] >= 4 else 'vz'}-{101 + 7 * k}"
        sh["skills"] = NURSE_SKILLS[k % len(NURSE_SKILLS)]
        sh["breaks"] = [{"duration_min": 15, "earliest_start": "23:30", "latest_start": "02:30"},
                        {"duration_min": 15, "earliest_start": "02:45", "latest_start": "05:45"}]
        sh["overtime_max_min"] = 30
        sh["overtime_cost_per_min_eur"] = 1.5
    for v in data["visits"]:
        skill = SKILL_OF_CARE.get(v.get("care", ""))
        if skill:
            v["skills"] = [skill]
    for v in [v for v in data["visits"] if v.get("care") == "catheter"][:2]:  # a stoma: one nurse can
        v["skills"].append("stoma_care")
    medication = [v for v in data["visits"] if v.get("care") == "medication"][:2]
    for k, v in enumerate(medication):
        data["visits"].append({
            "id": f"v-{len(data['visits']) + 1:03d}", "client": v["client"], "care": "second_check",
            "windows": [{"start": "23:00", "end": "06:45"}], "duration_min": 5, "qualification": 3,
            "after": [{"visit": v["id"], "min_gap_min": 60, "max_gap_min": 120, "nurse": "any"}]})
    if len(data["shifts"]) >= 3 and data["clients"]:
        data["clients"][0]["excluded_nurses"] = [data["shifts"][2]["nurse"]]
    if len(data["shifts"]) >= 2 and len(data["clients"]) > 1:
        data["clients"][1]["preferred_nurses"] = [data["shifts"][1]["nurse"]]
