"""Front-end assets (Leaflet) for self-contained pages, fetched from the npm registry.

A self-contained map inlines Leaflet's JavaScript and CSS (with its images as ``data:`` URIs)
so an archived nightly map opens without internet. The files are never copied into the
repository: ``npm pack leaflet@VERSION`` downloads the published tarball into a cache
directory at build or test time, and later calls read the cache only.

Cache directory: ``$NACHTZORG_ASSET_CACHE``, else ``$XDG_CACHE_HOME/nachtzorg/npm``, else
``~/.cache/nachtzorg/npm``. Prefetch (e.g. in CI) with ``python -m nachtzorg.viz.assets``.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import NachtzorgError

#: The Leaflet release that is inlined (folium 0.20 loads 1.9.3 from a CDN; 1.9.4 is its bug-fix).
LEAFLET_VERSION = "1.9.4"

_IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}


class AssetError(NachtzorgError, RuntimeError):
    """A front-end asset that is neither cached nor obtainable from the npm registry."""


@dataclass(frozen=True)
class InlineAssets:
    """JavaScript and CSS text ready to be put inside ``<script>`` and ``<style>``."""

    js: str
    css: str
    version: str


def cache_dir() -> Path:
    """Where npm packages are unpacked (see the module docstring)."""
    env = os.environ.get("NACHTZORG_ASSET_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "nachtzorg" / "npm"


def _package_dir(name: str, version: str, cache: Path) -> Path:
    return cache / f"{name.replace('/', '__')}-{version}"


def is_cached(name: str = "leaflet", version: str = LEAFLET_VERSION, *, cache: Path | None = None) -> bool:
    """True when ``name@version`` is already unpacked in the cache (no network needed)."""
    return (_package_dir(name, version, cache or cache_dir()) / "package.json").is_file()


def npm_available() -> bool:
    """True when an ``npm`` executable is on the PATH."""
    return shutil.which("npm") is not None


def npm_package(name: str, version: str, *, cache: Path | None = None, fetch: bool = True,
                timeout_s: float = 120.0) -> Path:
    """The unpacked directory of npm package ``name@version``, fetched with ``npm pack`` if needed.

    Raises :class:`AssetError` when the package is not cached and ``fetch`` is false, npm is
    missing, or npm fails (its message is included).
    """
    cache = Path(cache or cache_dir())
    target = _package_dir(name, version, cache)
    if (target / "package.json").is_file():
        return target
    if not fetch:
        raise AssetError(f"{name}@{version} is not in the asset cache {cache}; "
                         "run `python -m nachtzorg.viz.assets` once with access to the npm registry")
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            f"npm is needed once to fetch {name}@{version} for self-contained pages, and it is not "
            "on the PATH: install Node.js/npm (Debian: apt-get install npm) or set "
            f"NACHTZORG_ASSET_CACHE to a directory that already holds {target.name}/"
        )
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".npm-pack-", dir=cache) as tmp:
        try:
            proc = subprocess.run(
                [npm, "pack", f"{name}@{version}", "--pack-destination", tmp, "--ignore-scripts",
                 "--silent"],
                cwd=tmp, capture_output=True, text=True, timeout=timeout_s, check=False,
            )
        except subprocess.TimeoutExpired:
            raise AssetError(f"npm pack {name}@{version} did not finish within {timeout_s:.0f} s") from None
        tarballs = sorted(Path(tmp).glob("*.tgz"))
        if proc.returncode != 0 or not tarballs:
            msg = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise AssetError(f"npm pack {name}@{version} failed (exit {proc.returncode}): {' / '.join(msg)}")
        unpack = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0], "r:gz") as tar:
            try:
                tar.extractall(unpack, filter="data")
            except TypeError:  # Python < 3.11.4 has no extraction filters
                _check_members(tar)
                tar.extractall(unpack)
        # npm tarballs hold one top folder, normally "package/".
        tops = [p for p in unpack.iterdir() if p.is_dir()]
        if len(tops) != 1 or not (tops[0] / "package.json").is_file():
            raise AssetError(f"unexpected layout of the {name}@{version} tarball")
        try:
            os.replace(tops[0], target)
        except OSError:
            if not (target / "package.json").is_file():  # another process may have won the race
                raise
    return target


def _check_members(tar: tarfile.TarFile) -> None:
    """Refuse tarball members that would land outside the extraction folder."""
    for member in tar.getmembers():
        name = member.name
        if name.startswith(("/", "\\")) or ".." in Path(name).parts or member.issym() or member.islnk():
            raise AssetError(f"unsafe member {name!r} in npm tarball")


def _data_uri(path: Path) -> str:
    mime = _IMAGE_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def inline_css_urls(css: str, base: Path) -> str:
    """Replace relative ``url(...)`` references in ``css`` by ``data:`` URIs of files under ``base``.

    References that cannot be resolved to a file (or are absolute URLs) are left out
    (``url()`` becomes ``none``) so the page never asks the network for them.
    """
    def repl(m: re.Match[str]) -> str:
        ref = m.group(2).strip()
        if ref.startswith("data:"):
            return m.group(0)
        if ref.startswith(("http:", "https:", "//")) or ref.startswith("#"):
            return "none"
        path = (base / ref.split("?")[0].split("#")[0]).resolve()
        if not path.is_file():
            return "none"
        return f'url("{_data_uri(path)}")'

    return re.sub(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""", repl, css)


def leaflet_assets(version: str = LEAFLET_VERSION, *, cache: Path | None = None,
                   fetch: bool = True) -> InlineAssets:
    """Leaflet's ``leaflet.js`` and ``leaflet.css`` (images inlined), from the npm cache."""
    pkg = npm_package("leaflet", version, cache=cache, fetch=fetch)
    dist = pkg / "dist"
    js = (dist / "leaflet.js").read_text(encoding="utf-8")
    css = inline_css_urls((dist / "leaflet.css").read_text(encoding="utf-8"), dist)
    # Inline <script>/<style> must not contain their own closing tags.
    js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
    css = re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)
    return InlineAssets(js=js, css=css, version=version)


def main() -> int:  # pragma: no cover - thin CLI
    """Prefetch the assets into the cache (for CI or before going offline)."""
    path = npm_package("leaflet", LEAFLET_VERSION)
    print(f"leaflet {LEAFLET_VERSION} cached in {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
