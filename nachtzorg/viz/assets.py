"""Front-end assets (Leaflet and two plugins) for self-contained pages, shipped with nachtzorg.

A self-contained page (the nightly ``map.html``, the service's pages) inlines Leaflet's
JavaScript and CSS (its images as ``data:`` URIs) so an archived map opens without internet.
The files are copied unchanged from the npm registry's tarballs into ``nachtzorg/viz/static/``
and installed as package data, so no network and no npm are ever needed for the pinned versions
(:data:`PACKAGES`); ``static/PROVENANCE.md`` names each package, version, licence and tarball
sha512. ``python -m nachtzorg.viz.assets --verify`` re-downloads the tarballs with ``npm pack``,
checks their sha512 and compares every shipped file.

Another version than the pinned one (``leaflet_assets("1.9.3")``) is fetched once with
``npm pack`` into a cache: ``$NACHTZORG_ASSET_CACHE``, else ``$XDG_CACHE_HOME/nachtzorg/npm``,
else ``~/.cache/nachtzorg/npm``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import NachtzorgError

_IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}


class AssetError(NachtzorgError, RuntimeError):
    """A front-end asset that is neither shipped, cached nor obtainable from the npm registry."""


@dataclass(frozen=True)
class NpmPackage:
    """An npm package whose files nachtzorg ships, pinned by version and tarball hash.

    ``files`` are paths inside the tarball's top folder; the shipped copy drops a leading
    ``dist/`` (the repository ignores folders named ``dist``). ``integrity`` is the tarball's
    ``sha512-<base64>`` as ``npm view NAME@VERSION dist.integrity`` prints it.
    """

    name: str
    version: str
    integrity: str
    licence: str
    files: tuple[str, ...]

    @property
    def folder(self) -> str:
        """The shipped copy's folder name under ``static/``."""
        return f"{self.name}-{self.version}"

    def cdn_url(self, path: str) -> str:
        """The jsDelivr URL of ``path`` (a path inside the tarball) for pages that may use the network."""
        return f"https://cdn.jsdelivr.net/npm/{self.name}@{self.version}/{path}"


LEAFLET = NpmPackage(
    "leaflet", "1.9.4",
    "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
    "LICENSE",
    ("LICENSE", "dist/leaflet.js", "dist/leaflet.css", "dist/images/layers.png", "dist/images/layers-2x.png",
     "dist/images/marker-icon.png", "dist/images/marker-icon-2x.png", "dist/images/marker-shadow.png"),
)
MARKERCLUSTER = NpmPackage(
    "leaflet.markercluster", "1.5.3",
    "sha512-vPTw/Bndq7eQHjLBVlWpnGeLa3t+3zGiuM7fJwCkiMFq+nmRuG3RI3f7f4N4TDX7T4NpbAXpR2+NTRSEGfCSeA==",
    "MIT-LICENCE.txt",
    ("MIT-LICENCE.txt", "dist/leaflet.markercluster.js", "dist/MarkerCluster.css", "dist/MarkerCluster.Default.css"),
)
SUBGROUP = NpmPackage(
    "leaflet.featuregroup.subgroup", "1.0.2",
    "sha512-9nCVg8nUe686+BtPbUT7ALOe/IA+8Mum+rkA8pfPpCkH0WvKevRrH+JMcMTjAoNQKVI0uxrWrLV5w298SS3ESA==",
    "LICENSE",
    ("LICENSE", "dist/leaflet.featuregroup.subgroup.js"),
)
#: The shipped packages by npm name.
PACKAGES: dict[str, NpmPackage] = {p.name: p for p in (LEAFLET, MARKERCLUSTER, SUBGROUP)}

#: The Leaflet release that is inlined (folium 0.20 loads 1.9.3 from a CDN; 1.9.4 is its bug-fix).
LEAFLET_VERSION = LEAFLET.version
#: Leaflet.markercluster: groups dense markers into counted clusters.
MARKERCLUSTER_VERSION = MARKERCLUSTER.version
#: Leaflet.FeatureGroup.SubGroup: one switchable layer per nurse inside one shared cluster group.
SUBGROUP_VERSION = SUBGROUP.version


@dataclass(frozen=True)
class InlineAssets:
    """JavaScript and CSS text ready to be put inside ``<script>`` and ``<style>``."""

    js: str
    css: str
    version: str


def static_dir() -> Path:
    """The folder of the shipped files (package data ``nachtzorg/viz/static``)."""
    return Path(__file__).resolve().with_name("static")


def _shipped_name(path: str) -> str:
    return path.removeprefix("dist/")


def shipped_dir(name: str, version: str) -> Path | None:
    """The folder holding the shipped copy of ``name@version``, or ``None`` when it is not shipped."""
    pkg = PACKAGES.get(name)
    if pkg is None or pkg.version != version:
        return None
    folder = static_dir() / pkg.folder
    if not all((folder / _shipped_name(f)).is_file() for f in pkg.files):
        return None
    return folder


def cache_dir() -> Path:
    """Where npm packages of other versions are unpacked (see the module docstring)."""
    env = os.environ.get("NACHTZORG_ASSET_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "nachtzorg" / "npm"


def _package_dir(name: str, version: str, cache: Path) -> Path:
    return cache / f"{name.replace('/', '__')}-{version}"


def is_cached(name: str = "leaflet", version: str = LEAFLET_VERSION, *, cache: Path | None = None) -> bool:
    """True when ``name@version`` is available without the network: shipped, or unpacked in the cache."""
    if shipped_dir(name, version) is not None:
        return True
    return (_package_dir(name, version, cache or cache_dir()) / "package.json").is_file()


def npm_available() -> bool:
    """True when an ``npm`` executable is on the PATH."""
    return shutil.which("npm") is not None


def tarball_integrity(path: Path) -> str:
    """The ``sha512-<base64>`` integrity string of a file, as npm writes it."""
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def npm_package(name: str, version: str, *, cache: Path | None = None, fetch: bool = True,
                timeout_s: float = 120.0) -> Path:
    """The unpacked directory of npm package ``name@version`` in the cache, fetched with ``npm pack``.

    This is the registry's copy (shipped copies are not consulted). A tarball of a pinned
    package (:data:`PACKAGES`) must match its recorded sha512. Raises :class:`AssetError` when the
    package is not cached and ``fetch`` is false, npm is missing, npm fails (its message is
    included) or the hash differs.
    """
    cache = Path(cache or cache_dir())
    target = _package_dir(name, version, cache)
    if (target / "package.json").is_file():
        return target
    if not fetch:
        raise AssetError(f"{name}@{version} is not in the asset cache {cache}; "
                         "run `python -m nachtzorg.viz.assets --verify` once with access to the npm registry")
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            f"npm is needed once to fetch {name}@{version}, and it is not on the PATH: install "
            "Node.js/npm (Debian: apt-get install npm) or set NACHTZORG_ASSET_CACHE to a directory "
            f"that already holds {target.name}/"
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
        pinned = PACKAGES.get(name)
        if pinned is not None and pinned.version == version:
            got = tarball_integrity(tarballs[0])
            if got != pinned.integrity:
                raise AssetError(f"the {name}@{version} tarball has {got[:30]}..., "
                                 f"expected {pinned.integrity[:30]}... (static/PROVENANCE.md)")
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


def _dist(name: str, version: str, cache: Path | None, fetch: bool) -> Path:
    """The folder holding the package's ``dist/`` files: the shipped copy, else the npm cache."""
    shipped = shipped_dir(name, version)
    if shipped is not None:
        return shipped
    return npm_package(name, version, cache=cache, fetch=fetch) / "dist"


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
        if ref.startswith(("http:", "https:", "//", "#")):
            return "none"
        path = (base / ref.split("?")[0].split("#")[0]).resolve()
        if not path.is_file():
            return "none"
        return f'url("{_data_uri(path)}")'

    return re.sub(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""", repl, css)


def _script_text(path: Path) -> str:
    """JavaScript safe inside an inline ``<script>``: no closing tag, no source-map reference."""
    js = path.read_text(encoding="utf-8")
    # The .map files are not shipped; a page inlining the script has no sibling to point at.
    js = re.sub(r"^//# sourceMappingURL=\S+\s*$", "", js, flags=re.MULTILINE)
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)


def _style_text(path: Path) -> str:
    """CSS with its relative images inlined, safe inside an inline ``<style>``."""
    css = inline_css_urls(path.read_text(encoding="utf-8"), path.parent)
    return re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)


def leaflet_assets(version: str = LEAFLET_VERSION, *, cache: Path | None = None,
                   fetch: bool = True) -> InlineAssets:
    """Leaflet's ``leaflet.js`` and ``leaflet.css`` (images inlined): shipped, else from the npm cache."""
    dist = _dist("leaflet", version, cache, fetch)
    return InlineAssets(js=_script_text(dist / "leaflet.js"), css=_style_text(dist / "leaflet.css"),
                        version=version)


def markercluster_assets(version: str = MARKERCLUSTER_VERSION, *, cache: Path | None = None,
                         fetch: bool = True) -> InlineAssets:
    """Leaflet.markercluster's script and both its stylesheets (base and default cluster icons).

    Load it after :func:`leaflet_assets` (it extends ``L``).
    """
    dist = _dist("leaflet.markercluster", version, cache, fetch)
    css = _style_text(dist / "MarkerCluster.css") + "\n" + _style_text(dist / "MarkerCluster.Default.css")
    return InlineAssets(js=_script_text(dist / "leaflet.markercluster.js"), css=css, version=version)


def subgroup_assets(version: str = SUBGROUP_VERSION, *, cache: Path | None = None,
                    fetch: bool = True) -> InlineAssets:
    """Leaflet.FeatureGroup.SubGroup's script (it has no CSS); load it after :func:`leaflet_assets`."""
    dist = _dist("leaflet.featuregroup.subgroup", version, cache, fetch)
    return InlineAssets(js=_script_text(dist / "leaflet.featuregroup.subgroup.js"), css="", version=version)


def compare_shipped(pkg: NpmPackage, *, cache: Path | None = None, fetch: bool = True) -> list[str]:
    """The files of ``pkg`` whose shipped copy is missing or differs from the npm tarball's (empty: all equal).

    Fetches the tarball with ``npm pack`` (hash-checked) unless it is cached already.
    """
    root = npm_package(pkg.name, pkg.version, cache=cache, fetch=fetch)
    shipped = static_dir() / pkg.folder
    bad = []
    for f in pkg.files:
        mine = shipped / _shipped_name(f)
        if not mine.is_file() or mine.read_bytes() != (root / f).read_bytes():
            bad.append(f)
    return bad


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - thin CLI
    """Say where each asset comes from; with ``--verify`` compare the shipped files with npm's."""
    ap = argparse.ArgumentParser(prog="python -m nachtzorg.viz.assets", description=main.__doc__)
    ap.add_argument("--verify", action="store_true",
                    help="download each pinned tarball with npm pack, check its sha512, compare the files")
    args = ap.parse_args(argv)
    failed = False
    for pkg in PACKAGES.values():
        where = shipped_dir(pkg.name, pkg.version)
        print(f"{pkg.name} {pkg.version}: {'shipped in ' + str(where) if where else 'NOT shipped'}")
        if args.verify:
            try:
                bad = compare_shipped(pkg)
            except AssetError as exc:
                print(f"  cannot verify: {exc}")
                failed = True
                continue
            print("  identical to the npm tarball" if not bad else f"  DIFFERS from the npm tarball: {bad}")
            failed = failed or bool(bad)
        failed = failed or where is None
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
