"""``/dispatcher`` and ``/nurse``: static pages; Leaflet is inlined from the npm package cache
(:func:`nachtzorg.viz.assets.leaflet_assets`). The pages hold no data: they ask the API with
the token the user pastes (kept in the tab's sessionStorage, never in a URL)."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

router = APIRouter(include_in_schema=False)
HERE = Path(__file__).parent
log = logging.getLogger("nachtzorg.serve")


@functools.lru_cache(maxsize=1)
def _leaflet() -> tuple[str, str]:
    """(js, css) of Leaflet, or empty strings (the page then shows a list instead of a map)."""
    try:
        from ...viz.assets import leaflet_assets

        a = leaflet_assets()
        return a.js, a.css
    except Exception as e:  # noqa: BLE001 - the pages work without a map
        log.warning("Leaflet is not available (%s); pages show no map", type(e).__name__)
        return "", ""


@functools.lru_cache(maxsize=4)
def page(name: str) -> str:
    html = (HERE / f"{name}.html").read_text(encoding="utf-8")
    common = (HERE / "common.js").read_text(encoding="utf-8")
    js, css = _leaflet() if "<!--LEAFLET-->" in html else ("", "")
    leaflet = f"<style>{css}</style><script>{js}</script>" if js else ""
    return html.replace("<!--LEAFLET-->", leaflet).replace("/*COMMON*/", common)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/dispatcher")


@router.get("/dispatcher", response_class=HTMLResponse)
def dispatcher_page() -> HTMLResponse:
    return HTMLResponse(page("dispatcher"))


@router.get("/nurse", response_class=HTMLResponse)
def nurse_page() -> HTMLResponse:
    return HTMLResponse(page("nurse"))
