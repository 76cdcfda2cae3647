"""Part 4: push and pull of synthetic documents against a real local Label Studio, with every HTTP request counted."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .measure import figure, load_average, n, s, seconds, spread, time_calls, yes
from .synthetic import synthetic_corpus

GUIDELINES = "# Benchmark guidelines\nSynthetic documents; any span will do.\n"
_ID = re.compile(r"/\d+(?=/|$)")


class RequestLog:
    """Counts the SDK's HTTP requests by method and path (ids replaced by {id}): an httpx request hook."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def __call__(self, request) -> None:
        self.requests.append(f"{request.method} {_ID.sub('/{id}', request.url.path)}")

    def take(self) -> dict[str, Any]:
        counts = Counter(self.requests)
        self.requests = []
        return {"total": sum(counts.values()), "by_endpoint": dict(sorted(counts.items()))}


_LOGGED = re.compile(
    r'^\[(?P<time>[^\]]+)\] \[django\.server[^\]]*\] \[[A-Z]+\] "(?P<method>[A-Z]+) (?P<path>/api/[^ ?"]*)\S* HTTP/[0-9.]+" (?P<status>\d+)'
)


def server_log_requests(log: Path, offset: int) -> tuple[dict[str, int], int]:
    """(API requests the server logged since byte `offset`, by endpoint and status; new offset): the server's own count.

    Label Studio 1.23 writes each access line twice (two handlers); a line repeated on the next
    access line with the same millisecond time stamp is counted once.
    """
    _wait_for_quiet(log)
    with open(log, "rb") as f:
        f.seek(offset)
        data = f.read()
    counts: Counter = Counter()
    previous = None
    for line in data.decode("utf-8", errors="replace").splitlines():
        found = _LOGGED.match(line)
        if found:
            if line != previous:
                path = _ID.sub("/{id}", found["path"])
                counts[f"{found['method']} {path} {found['status']}"] += 1
            previous = line
    return dict(sorted(counts.items())), offset + len(data)


def _wait_for_quiet(log: Path, quiet: float = 0.5, timeout: float = 10.0) -> None:
    """Wait until the server has written its last access line: the log's size unchanged for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    size, since = log.stat().st_size, time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = log.stat().st_size
        if now != size:
            size, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def write_seeds(folder: Path, docs) -> Any:
    from nerbench.seeds import build_manifest

    folder.mkdir(parents=True)
    for d in docs:
        (folder / f"{d.id}.txt").write_text(d.text, encoding="utf-8")
    return build_manifest(folder)


def bench_labelstudio(n_tasks: int = 1000, seed: int = 0, repeat: int = 3, root: Path = Path("."), running: tuple[Path, Any] | None = None) -> dict[str, Any]:
    """Start a real server, push `n_tasks` documents (`repeat` fresh projects), pull an annotated project `repeat` times.

    The annotations to pull are entered in one request too (tasks imported with an
    `annotations` field); the pulled gold is checked against the spans that went in.
    `running`: (state folder, credentials) of a server already started by `server.start`
    (the tests' own), used and left running instead of starting one.
    """
    import httpx
    from label_studio_sdk import LabelStudio

    from nerbench.annotate import server
    from nerbench.annotate.client import NO_RETRY, Connection
    from nerbench.annotate.labelconfig import label_config
    from nerbench.annotate import pull as pull_module
    from nerbench.annotate import push as push_module
    from nerbench.annotate.pull import pull
    from nerbench.annotate.push import push
    from nerbench.formats.labelstudio import spans_to_result
    from nerbench.gold import load_gold
    from nerbench.labels import load_scheme

    local = root / ".venv-ls" / "bin" / "label-studio"
    if "LABEL_STUDIO_BIN" not in os.environ and local.exists():
        os.environ["LABEL_STUDIO_BIN"] = str(local.resolve())
    scheme = load_scheme(root / "gold" / "labels.json")
    docs = synthetic_corpus(n_tasks, seed)
    tmp = Path(tempfile.mkdtemp(prefix="nerbench-bench-ls-"))
    state = tmp / "labelstudio" if running is None else running[0]
    start_seconds = None
    try:
        if running is None:
            t0 = time.perf_counter()
            creds, _ = server.start(state, server.free_port())
            start_seconds = time.perf_counter() - t0
        else:
            creds = running[1]
        seeds = write_seeds(tmp / "seeds", docs)
        conn = Connection(creds.url, creds.token, "benchmark")
        log = RequestLog()
        client = LabelStudio(base_url=creds.url, api_key=creds.token, httpx_client=httpx.Client(timeout=600, event_hooks={"request": [log]}))
        server_log = state / "server.log"
        client.users.whoami()
        log.take()
        _, offset = server_log_requests(server_log, 0)

        pushes, push_requests, push_server_requests, tasks_after_push = [], [], [], []
        push_steps: dict[str, list[float]] = {}
        for r in range(repeat):
            with time_calls(push_module, ["find_project", "existing_tasks"], push_steps), time_calls(
                client.projects, ["create", "import_tasks"], push_steps
            ):
                t0 = time.perf_counter()
                result = push(client, conn, seeds, scheme, GUIDELINES, f"bench push {r}")
                pushes.append(time.perf_counter() - t0)
            push_requests.append(log.take())
            logged, offset = server_log_requests(server_log, offset)
            push_server_requests.append(logged)
            # the import is done when push returns: every task is in the project already
            tasks_after_push.append(client.projects.get(id=result.project_id).task_number)
            log.take()
            _, offset = server_log_requests(server_log, offset)
        t0 = time.perf_counter()
        again = push(client, conn, seeds, scheme, GUIDELINES, f"bench push {repeat - 1}")
        repush = {"seconds": time.perf_counter() - t0, "imported": len(again.imported), "requests": log.take()}
        repush["server_log"], offset = server_log_requests(server_log, offset)

        # The project to pull: every document with one submitted annotation, entered in one import.
        project = client.projects.create(title="bench pull", label_config=label_config(scheme))
        spans = {d.id: d.char_spans("gold") for d in docs}
        tasks = [
            {
                "data": {"text": d.text, "doc_id": d.id, "text_sha256": seeds.get(d.id).sha256},
                "annotations": [{"result": spans_to_result(spans[d.id], d.text)}],
            }
            for d in docs
        ]
        t0 = time.perf_counter()
        client.projects.import_tasks(id=project.id, request=tasks, request_options=NO_RETRY)
        import_seconds = time.perf_counter() - t0
        setup_requests = log.take()
        _, offset = server_log_requests(server_log, offset)
        gold_path = tmp / "gold" / "gold.jsonl"
        pulls, pull_requests, pull_server_requests = [], [], []
        pull_steps: dict[str, list[float]] = {}
        for _ in range(repeat):
            with time_calls(pull_module, ["require_project", "fetch_export", "fetch_users", "plan_pull", "write_files"], pull_steps):
                t0 = time.perf_counter()
                pulled = pull(client, conn, seeds, scheme, "bench pull", gold_path)
                pulls.append(time.perf_counter() - t0)
            pull_requests.append(log.take())
            logged, offset = server_log_requests(server_log, offset)
            pull_server_requests.append(logged)
        gold = load_gold(gold_path, seeds, scheme)
        round_trip_exact = {doc.id: list(doc.spans) for doc in gold.documents} == spans
        version = _server_version(root)
    finally:
        if running is None:
            server.stop(state)
        shutil.rmtree(tmp, ignore_errors=True)
    n_spans = sum(len(s) for s in spans.values())
    return {
        "tasks": n_tasks,
        "spans": n_spans,
        "label_studio_version": version,
        "server_start_seconds": start_seconds,
        "repeat": repeat,
        "push": {
            **_phase(pushes, n_tasks, push_requests, push_server_requests),
            "bulk_import_requests": push_requests[-1]["by_endpoint"].get("POST /api/projects/{id}/import", 0),
            "tasks_in_project_after_push": tasks_after_push,
            "steps": _steps(pushes, push_steps, PUSH_STEPS, "the rest: read and hash the seeds, build the tasks"),
        },
        "repush_unchanged": repush,
        "pull": {
            **_phase(pulls, n_tasks, pull_requests, pull_server_requests),
            "export_requests": pull_requests[-1]["by_endpoint"].get("GET /api/projects/{id}/export", 0),
            "steps": _steps(pulls, pull_steps, PULL_STEPS, "the rest"),
            "documents": pulled.report["documents"],
            "spans": pulled.report["spans"],
            "round_trip_exact": round_trip_exact,
        },
        "setup": {"annotated_import_seconds": import_seconds, "requests": setup_requests},
        "load_average": load_average(),
    }


def _phase(times: list[float], n_tasks: int, requests: list[dict], server_requests: list[dict]) -> dict:
    """What push and pull both report: timings, per 1,000 tasks, and the requests the client and the server saw."""
    return {
        "seconds": seconds(times),
        "seconds_per_1000_tasks": seconds([t / n_tasks * 1000 for t in times]),
        "requests": requests[-1],
        "requests_every_run": [r["total"] for r in requests],
        "server_log": {"totals": [sum(r.values()) for r in server_requests], "by_endpoint": server_requests[-1]},
    }


PUSH_STEPS = {
    "find_project": "find the project by title",
    "create": "create the project (labeling config, instructions)",
    "existing_tasks": "list the project's tasks",
    "import_tasks": "import every task: one request",
}
PULL_STEPS = {
    "require_project": "find the project by title",
    "fetch_export": "export the project: one request, downloaded",
    "fetch_users": "list the users (annotators' names)",
    "plan_pull": "validate, adjudicate, agreement, diff against the previous gold",
    "write_files": "write gold, export and pull report as one set",
}


def _steps(totals: list[float], spent: dict[str, list[float]], names: dict[str, str], rest: str) -> dict[str, Any]:
    """Each step's time per run, and the rest of the operation (what runs between the steps, in Python)."""
    steps = {name: {"what": what, **seconds(spent[name])} for name, what in names.items() if name in spent}
    others = [t - sum(s["runs"][r] for s in steps.values()) for r, t in enumerate(totals)]
    steps["rest"] = {"what": rest, **seconds(others)}
    return steps


def _server_version(root: Path) -> str | None:
    """Label Studio's version, from the environment its `label-studio` command runs in (LABEL_STUDIO_BIN or root/.venv-ls)."""
    command = Path(os.environ.get("LABEL_STUDIO_BIN") or root / ".venv-ls" / "bin" / "label-studio")
    for path in (command.parent.parent / "lib").glob("python*/site-packages/label_studio-*.dist-info"):
        return path.name.split("-")[1].removesuffix(".dist")
    return None


def labelstudio_figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    p, q, rp = r["push"], r["pull"], r["repush_unchanged"]
    start = s(r["server_start_seconds"]) if r["server_start_seconds"] is not None else "(a running server was used)"
    rows = [figure(f"Label Studio {r['label_studio_version']} (SQLite, 127.0.0.1): first start", start)]
    for name, op, what, key in (("push", p, "tasks into a new project", "bulk_import_requests"), ("pull", q, "annotated tasks", "export_requests")):
        one = key.removesuffix("_requests").replace("_", " ")
        rows += [
            figure(f"{name} of {n(r['tasks'])} {what}; best / median / worst of {r['repeat']}", spread(op["seconds"])),
            figure(f"{name}, per 1,000 tasks (best)", s(op["seconds_per_1000_tasks"]["best"])),
            figure(
                f"HTTP requests per {name} (SDK hook; server log)",
                f"{op['requests']['total']}; {', '.join(map(str, op['server_log']['totals']))} ({op[key]} {one})",
                f"one {one}",
                op[key] == 1,
            ),
        ]
    rows += [
        figure("push again, nothing new: seconds, requests", f"{s(rp['seconds'])}, {rp['requests']['total']}"),
        figure(f"pulled gold identical to the {n(r['spans'])} spans pushed", yes(q["round_trip_exact"])),
    ]
    for name, op in (("push", p), ("pull", q)):
        rows += [figure(f"{name} step {step}: {v['what']}, median", s(v["median"])) for step, v in op["steps"].items()]
    return rows
