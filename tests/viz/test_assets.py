"""Leaflet and its cluster plugins: shipped as package data, identical to npm's, used without network."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from nachtzorg.viz import assets

ASSET_FUNCTIONS = (assets.leaflet_assets, assets.markercluster_assets, assets.subgroup_assets)


def no_npm(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    """An empty asset cache and no npm on the PATH, as on a fresh install."""
    monkeypatch.setenv("NACHTZORG_ASSET_CACHE", str(cache))
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)


def fake_npm(bin_dir: Path, package_json: dict, files: dict[str, bytes]) -> Path:
    """A stand-in ``npm`` whose ``pack`` writes a tarball with ``files`` (under ``package/``); returns it."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in {"package.json": json.dumps(package_json).encode(), **files}.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    tgz = bin_dir / "fake.tgz"
    tgz.write_bytes(buf.getvalue())
    npm = bin_dir / "npm"
    npm.write_text(f"#!{sys.executable}\nimport shutil, sys\n"
                   f"shutil.copy({str(tgz)!r}, sys.argv[sys.argv.index('--pack-destination') + 1])\n",
                   encoding="utf-8")
    npm.chmod(0o755)
    return tgz


def test_missing_npm_and_empty_cache_gives_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without npm and without a cached copy the error says what to install."""
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    with pytest.raises(assets.AssetError, match="npm"):
        assets.npm_package("leaflet", assets.LEAFLET_VERSION, cache=tmp_path)


def test_no_fetch_reports_cache_miss(tmp_path: Path) -> None:
    """``fetch=False`` never runs npm and names the command that fetches."""
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


def test_every_pinned_package_is_shipped_with_its_licence() -> None:
    """Each pinned package has its folder under static/ with every listed file and its licence text."""
    for pkg in assets.PACKAGES.values():
        folder = assets.shipped_dir(pkg.name, pkg.version)
        assert folder == assets.static_dir() / pkg.folder, pkg.name
        licence = (folder / pkg.licence).read_text(encoding="utf-8")
        assert "Permission is hereby granted" in licence or "Redistribution and use" in licence
        assert pkg.licence in pkg.files


def test_provenance_names_each_package_version_and_tarball_hash() -> None:
    """PROVENANCE.md records package, version and the sha512 that npm_package checks tarballs against."""
    text = (assets.static_dir() / "PROVENANCE.md").read_text(encoding="utf-8")
    for pkg in assets.PACKAGES.values():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{pkg.folder}/`"))
        assert f"`{pkg.name}`" in row and f"| {pkg.version} |" in row and pkg.integrity in row
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", pkg.integrity)


def test_assets_come_from_the_shipped_copy_without_cache_or_npm(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh install (empty cache, no npm) gets all three assets and never touches the cache."""
    no_npm(monkeypatch, tmp_path)
    assert all(assets.is_cached(p.name, p.version) for p in assets.PACKAGES.values())
    leaflet, cluster, subgroup = (f() for f in ASSET_FUNCTIONS)
    assert 'version="1.9.4"' in leaflet.js.replace(" ", "") and ".leaflet-container" in leaflet.css
    assert "L.MarkerClusterGroup=" in cluster.js and ".marker-cluster-small" in cluster.css
    assert ".leaflet-cluster-anim" in cluster.css  # both stylesheets: base and default icons
    assert "FeatureGroup.SubGroup=" in subgroup.js and subgroup.css == ""
    assert list(tmp_path.iterdir()) == []


def test_fresh_process_with_npm_off_the_path_gets_the_assets(tmp_path: Path) -> None:
    """In a new interpreter whose PATH has no npm and whose cache is empty, every asset loads."""
    env = {**os.environ, "PATH": str(tmp_path / "bin"), "NACHTZORG_ASSET_CACHE": str(tmp_path / "cache")}
    code = ("from nachtzorg.viz import assets as a; assert not a.npm_available();"
            "print(sum(len(f().js) > 1000 for f in (a.leaflet_assets, a.markercluster_assets, a.subgroup_assets)))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "3" and not (tmp_path / "cache").exists()


def test_inlined_text_is_safe_inside_script_and_style_tags() -> None:
    """No closing tag, no relative image URL, no source-map reference survives inlining."""
    for f in ASSET_FUNCTIONS:
        a = f()
        assert "</script" not in a.js.lower() and "</style" not in a.css.lower()
        assert "sourceMappingURL" not in a.js
        assert not re.search(r"url\(\s*(?!['\"]?data:)[^)]*\)", a.css), f.__name__


def test_a_tampered_tarball_of_a_pinned_version_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """npm_package checks a pinned package's tarball against its recorded sha512."""
    (tmp_path / "bin").mkdir()
    fake_npm(tmp_path / "bin", {"name": "leaflet", "version": "1.9.4"}, {"dist/leaflet.js": b"evil()"})
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(assets.AssetError, match="sha512"):
        assets.npm_package("leaflet", "1.9.4", cache=tmp_path / "cache")
    assert not (tmp_path / "cache" / "leaflet-1.9.4").exists()


def test_another_version_is_fetched_into_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A version that is not shipped comes from npm pack, is cached, and later calls need no npm."""
    (tmp_path / "bin").mkdir()
    fake_npm(tmp_path / "bin", {"name": "leaflet", "version": "1.9.3"},
             {"dist/leaflet.js": b"var L={version:'1.9.3'};\n//# sourceMappingURL=leaflet.js.map\n",
              "dist/leaflet.css": b".leaflet-container{background:url(images/x.png)}",
              "dist/images/x.png": b"\x89PNG"})
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    a = assets.leaflet_assets("1.9.3", cache=tmp_path / "cache")
    assert "1.9.3" in a.js and "sourceMappingURL" not in a.js and "data:image/png;base64," in a.css
    assert assets.is_cached("leaflet", "1.9.3", cache=tmp_path / "cache")
    monkeypatch.setenv("PATH", "")
    assert assets.leaflet_assets("1.9.3", cache=tmp_path / "cache", fetch=False).js == a.js


def test_shipped_files_equal_the_npm_tarballs() -> None:
    """Each shipped file is byte-identical to the registry's tarball (hash-checked when fetched)."""
    if not (assets.npm_available() or all((assets.cache_dir() / p.folder / "package.json").is_file()
                                          for p in assets.PACKAGES.values())):
        pytest.skip("npm is not installed and the npm tarballs are not in the asset cache")
    for pkg in assets.PACKAGES.values():
        assert assets.compare_shipped(pkg) == [], pkg.name
