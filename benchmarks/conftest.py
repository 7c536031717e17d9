"""pytest-benchmark settings: fixed work (seeded scenarios, solution limits), one round each."""
