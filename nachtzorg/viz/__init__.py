"""Pictures of a night: folium map, matplotlib timeline, printable route sheets.

Plot and map functions take an optional target (``ax=None``, ``m=None``), draw on it and
return it; they never save or show by themselves. matplotlib is imported only when a
timeline is drawn (the ``viz`` extra).
"""

from .map import map_html as map_html
from .map import plan_map as plan_map
from .routesheet import route_sheet_html as route_sheet_html
from .routesheet import route_sheets as route_sheets
from .timeline import plan_timeline as plan_timeline
