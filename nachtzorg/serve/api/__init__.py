"""The JSON API under ``/api``: routes per resource, dependencies in :mod:`.deps`."""
