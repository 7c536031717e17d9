"""Fixtures of the command-line tests: the small planned night of the acute tests."""

from tests.acute.conftest import small_plan_files, small_scenario  # noqa: F401  (fixtures)
