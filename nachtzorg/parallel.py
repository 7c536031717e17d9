"""Executors for fan-out work: serial (default), a process pool, or a Dask cluster.

Everything takes any :class:`concurrent.futures.Executor`; :func:`map_with_progress` maps a
picklable top-level function over items, returns results **in input order** (so results do
not depend on which worker finished first) and shows a tqdm bar on a terminal only.

>>> map_with_progress(abs, [-1, 2, -3])
[1, 2, 3]
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class SerialExecutor(Executor):
    """Runs each task at once in the calling process (the default: no pickling, no workers)."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future:
        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except BaseException as e:  # noqa: BLE001 - handed to the caller through the future
            f.set_exception(e)
        return f


def process_executor(workers: int) -> ProcessPoolExecutor:
    """A process pool of ``workers`` processes (one machine)."""
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    return ProcessPoolExecutor(max_workers=workers)


def dask_executor(address: Any) -> Executor:
    """An executor on a Dask cluster: ``address`` is a scheduler address (``tcp://host:8786``)
    or a ``distributed.Client``/``LocalCluster``. Needs ``pip install 'dask[distributed]'``."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - optional dependency
        raise ImportError("a Dask run needs the distributed package: pip install 'dask[distributed]'") from None
    client = address if isinstance(address, Client) else Client(address)
    return client.get_executor()


def executor_for(workers: int | None = None, dask: Any = None) -> Executor:
    """Serial for ``workers`` None/1, a process pool for more, Dask when ``dask`` is given."""
    if dask is not None:
        return dask_executor(dask)
    if workers is None or workers <= 1:
        return SerialExecutor()
    return process_executor(workers)


def _progress_enabled(progress: bool | None) -> bool:
    if progress is not None:
        return progress
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def map_with_progress(fn: Callable[[T], R], items: Iterable[T], executor: Executor | None = None, *,
                      desc: str | None = None, progress: bool | None = None) -> list[R]:
    """``[fn(x) for x in items]`` on ``executor`` (serial by default), in input order.

    ``progress``: show a tqdm bar on stderr; ``None`` = only when stderr is a terminal.
    The first exception of a task is raised here after the others are cancelled.
    """
    items = list(items)
    executor = executor or SerialExecutor()
    bar = None
    if _progress_enabled(progress) and items:
        from tqdm import tqdm

        bar = tqdm(total=len(items), desc=desc, file=sys.stderr, leave=False)
    futures = [executor.submit(fn, x) for x in items]
    index = {id(f): i for i, f in enumerate(futures)}
    out: list[Any] = [None] * len(items)
    try:
        for f in as_completed(futures):
            out[index[id(f)]] = f.result()
            if bar is not None:
                bar.update(1)
    except BaseException:
        for f in futures:
            f.cancel()
        raise
    finally:
        if bar is not None:
            bar.close()
    return out
