"""Leaflet from the npm registry into a cache; clear errors without npm."""

from __future__ import annotations

from pathlib import Path

import pytest

from nachtzorg.viz import assets


def test_missing_npm_and_empty_cache_gives_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without npm and without a cached copy the error says what to install."""
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    with pytest.raises(assets.AssetError, match="npm"):
        assets.npm_package("leaflet", assets.LEAFLET_VERSION, cache=tmp_path)


def test_no_fetch_reports_cache_miss(tmp_path: Path) -> None:
    """``fetch=False`` never runs npm and names the prefetch command."""
    with pytest.raises(assets.AssetError, match="nachtzorg.viz.assets"):
        assets.npm_package("leaflet", assets.LEAFLET_VERSION, cache=tmp_path, fetch=False)


def test_cache_dir_follows_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NACHTZORG_ASSET_CACHE overrides the default cache directory."""
    monkeypatch.setenv("NACHTZORG_ASSET_CACHE", str(tmp_path))
    assert assets.cache_dir() == tmp_path


def test_css_urls_become_data_uris_or_none(tmp_path: Path) -> None:
    """Relative CSS images are inlined; remote or missing ones are dropped."""
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "a.png").write_bytes(b"\x89PNG\r\n")
    css = 'a{background:url(images/a.png)} b{background:url("https://x.org/b.png")} c{background:url(nope.png)}'
    out = assets.inline_css_urls(css, tmp_path)
    assert 'url("data:image/png;base64,' in out and "x.org" not in out and "nope.png" not in out


def test_leaflet_assets_from_npm() -> None:
    """The real Leaflet package yields JS defining L and CSS without relative URLs."""
    if not (assets.is_cached() or assets.npm_available()):
        pytest.skip("npm is not installed and Leaflet is not in the asset cache")
    a = assets.leaflet_assets()
    assert "leaflet" in a.js.lower() and ".leaflet-container" in a.css
    assert "url(images/" not in a.css and "</script" not in a.js.lower()
