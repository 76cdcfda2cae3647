"""Part 1: the toolkit's scorer against nervaluate and spaCy's `Scorer.score_spans`, on the same data."""

from __future__ import annotations

import math
import time
from typing import Any

from nerbench.scoring import SCHEMES, Counts, score_corpus

from .measure import figure, load_average, mb, n, peak_memory, ratio, s, spread, timed_rounds, yes
from .synthetic import LABELS, nervaluate_input, spacy_examples, synthetic_corpus, toolkit_input

NERVALUATE_SCHEMES = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}
TOLERANCE = 1e-9
TARGET_SPEEDUP = 10.0  # over spaCy's scorer and nervaluate


def score_nervaluate(true: list, guess: list) -> dict[str, Any]:
    from nervaluate import Evaluator

    return Evaluator(true, guess, tags=list(LABELS), loader="dict").evaluate()


def score_spacy(examples: list) -> dict[str, Any]:
    from spacy.scorer import Scorer

    return Scorer.score_spans(examples, "ents")


def bench_scoring(n_docs: int = 20000, seed: int = 0, repeat: int = 5, memory_docs: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Time the three scorers side by side on one synthetic corpus, check they agree, measure peak memory.

    Times are for scoring alone: each tool's input is built beforehand (and that cost reported
    apart). Peak memory is measured at each size in `memory_docs` (default: half and all of
    the corpus), in separate untimed runs.
    """
    memory_docs = memory_docs or (n_docs // 2, n_docs)
    started = time.perf_counter()
    docs = synthetic_corpus(n_docs, seed)
    generated = time.perf_counter() - started
    inputs = {}
    t0 = time.perf_counter()
    gold, pred = toolkit_input(docs)
    inputs["nerbench_spans"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    true, guess = nervaluate_input(gold, pred)
    inputs["nervaluate_dicts"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    examples = spacy_examples(docs)
    inputs["spacy_docs_and_examples"] = time.perf_counter() - t0
    n_gold = sum(len(s) for s in gold.values())
    n_pred = sum(len(s) for s in pred.values())

    # One untimed run of each on a slice first: imports and first-call set-up are not what is measured.
    warm = list(gold)[:200]
    score_corpus({i: gold[i] for i in warm}, pred)
    score_spacy(examples[:200])
    score_nervaluate(true[:200], guess[:200])
    load_before = load_average()
    times, results = timed_rounds(
        {
            "nerbench": lambda: score_corpus(gold, pred),
            "spacy": lambda: score_spacy(examples),
            "nervaluate": lambda: score_nervaluate(true, guess),
        },
        repeat,
    )
    load_after = load_average()
    total, per_doc = results["nerbench"]
    t0 = time.perf_counter()
    for doc_id in per_doc:
        per_doc[doc_id]
    materialise = time.perf_counter() - t0
    agreement = compare(total, results["spacy"], results["nervaluate"])

    memory = []
    for size in memory_docs:
        ids = list(gold)[:size]
        g, p = {i: gold[i] for i in ids}, {i: pred[i] for i in ids}
        ex, tr, gu = examples[:size], true[:size], guess[:size]
        memory.append(
            {
                "documents": size,
                "gold_entities": sum(len(s) for s in g.values()),
                "peak_bytes": {
                    "nerbench": peak_memory(lambda: score_corpus(g, p)),
                    "spacy": peak_memory(lambda: score_spacy(ex)),
                    "nervaluate": peak_memory(lambda: score_nervaluate(tr, gu)),
                },
            }
        )
    tools = ("nerbench", "spacy", "nervaluate")
    growth = {}
    if len(memory) >= 2 and memory[0]["peak_bytes"]["nerbench"]:
        small, large = memory[0], memory[-1]
        size_ratio = large["gold_entities"] / small["gold_entities"]
        growth = {
            tool: {
                "size_ratio": size_ratio,
                "memory_ratio": large["peak_bytes"][tool] / small["peak_bytes"][tool],
                "bytes_per_gold_entity": [m["peak_bytes"][tool] / m["gold_entities"] for m in memory],
            }
            for tool in tools
        }
    return {
        "corpus": {
            "documents": n_docs,
            "seed": seed,
            "gold_entities": n_gold,
            "predicted_entities": n_pred,
            "words": sum(len(d.words) for d in docs),
            "generated_seconds": generated,
        },
        "input_seconds": inputs,
        "repeat": repeat,
        "seconds": times,
        "gold_entities_per_second": {tool: n_gold / times[tool]["best"] for tool in tools},
        "speedup": {
            tool: {"best": times[tool]["best"] / times["nerbench"]["best"], "median": times[tool]["median"] / times["nerbench"]["median"]}
            for tool in ("spacy", "nervaluate")
        },
        "nerbench_materialise_all_documents_seconds": materialise,
        "agreement": agreement,
        "memory": memory,
        "memory_growth": growth,
        "load_average": {"before": load_before, "after": load_after},
    }


def compare(total: Counts, spacy_scores: dict[str, Any], nervaluate_results: dict[str, Any]) -> dict[str, Any]:
    """Do the three tools give the same strict numbers (micro and per label)? And nervaluate all four schemes' counts?"""
    differences: list[dict[str, Any]] = []

    def check(what: str, ours: float | None, theirs: float | None) -> None:
        ours = 0.0 if ours is None else ours  # spaCy and nervaluate show 0 where we show no value
        if theirs is None or not math.isclose(ours, theirs, rel_tol=0, abs_tol=TOLERANCE):
            differences.append({"what": what, "nerbench": ours, "other": theirs})

    micro = total.tally("strict")
    nv_strict = nervaluate_results["overall"]["strict"]
    for metric, spacy_key in (("precision", "ents_p"), ("recall", "ents_r"), ("f1", "ents_f")):
        check(f"spacy micro {metric}", getattr(micro, metric), spacy_scores[spacy_key])
        check(f"nervaluate micro {metric}", getattr(micro, metric), getattr(nv_strict, metric))
    labels = sorted(set(spacy_scores["ents_per_type"]) | set(nervaluate_results["entities"]))
    for label in labels:
        t = total.tally("strict", label)
        theirs = spacy_scores["ents_per_type"].get(label, {})
        nv = nervaluate_results["entities"].get(label, {}).get("strict")
        for metric, key in (("precision", "p"), ("recall", "r"), ("f1", "f")):
            check(f"spacy {label} {metric}", getattr(t, metric), theirs.get(key))
            check(f"nervaluate {label} {metric}", getattr(t, metric), getattr(nv, metric, None))
    semeval = {}
    for scheme in SCHEMES:
        ours = total.tally(scheme).semeval()
        nv = nervaluate_results["overall"][NERVALUATE_SCHEMES[scheme]]
        theirs = {k: getattr(nv, k) for k in ("correct", "incorrect", "partial", "missed", "spurious")}
        mine = {k: ours[k] for k in theirs}
        semeval[scheme] = {"nerbench": mine, "nervaluate": theirs, "equal": mine == theirs}
    return {
        "strict_equal": not differences,
        "values_compared": 6 + 6 * len(labels),
        "labels": labels,
        "tolerance": TOLERANCE,
        "differences": differences[:20],
        "strict": {"precision": micro.precision, "recall": micro.recall, "f1": micro.f1, "tp": micro.tp, "fp": micro.fp, "fn": micro.fn},
        "semeval_counts_equal_nervaluate": all(v["equal"] for v in semeval.values()),
        "semeval": semeval,
    }


def scoring_figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    c, t, sp, inputs = r["corpus"], r["seconds"], r["speedup"], r["input_seconds"]
    size = f"{n(c['documents'])} documents, {n(c['gold_entities'])} gold and {n(c['predicted_entities'])} predicted entities"
    rows = [
        figure(f"nerbench score_corpus, {size}; best / median / worst of {r['repeat']}", spread(t["nerbench"])),
        figure("spaCy Scorer.score_spans(examples, \"ents\"), same data", spread(t["spacy"])),
        figure("nervaluate Evaluator(..., loader=\"dict\").evaluate(), same data", spread(t["nervaluate"])),
    ]
    for tool, name in (("spacy", "spaCy's scorer"), ("nervaluate", "nervaluate")):
        rows.append(
            figure(
                f"speed-up over {name} (best runs; medians in brackets)",
                f"{ratio(sp[tool]['best'])} ({ratio(sp[tool]['median'])})",
                f"≥ {TARGET_SPEEDUP:g}×",
                sp[tool]["best"] >= TARGET_SPEEDUP,
            )
        )
    eps = r["gold_entities_per_second"]
    rows.append(figure("gold entities per second: nerbench / spaCy / nervaluate", f"{n(eps['nerbench'])} / {n(eps['spacy'])} / {n(eps['nervaluate'])}"))
    mem, growth = r["memory"], r["memory_growth"]
    if len(mem) >= 2 and growth:
        for tool in ("nerbench", "spacy", "nervaluate"):
            g = growth[tool]
            linear = abs(g["memory_ratio"] / g["size_ratio"] - 1) <= 0.1
            rows.append(
                figure(
                    f"peak memory (tracemalloc) of {tool}, {n(mem[0]['documents'])} → {n(mem[-1]['documents'])} documents",
                    f"{mb(mem[0]['peak_bytes'][tool])} → {mb(mem[-1]['peak_bytes'][tool])} (×{g['memory_ratio']:.2f} for ×{g['size_ratio']:.2f} entities)",
                    "linear" if tool == "nerbench" else None,
                    linear,
                )
            )
    a = r["agreement"]
    st = a["strict"]
    rows += [
        figure(
            f"strict P, R, F1 equal in all three tools (micro and per label, {a['values_compared']} values, tolerance {a['tolerance']:g})",
            f"{yes(a['strict_equal'])} (micro P {st['precision']:.6f}, R {st['recall']:.6f}, F1 {st['f1']:.6f})",
        ),
        figure("SemEval counts of all four schemes equal nervaluate's", yes(a["semeval_counts_equal_nervaluate"])),
        figure("inputs built beforehand, not timed above: nerbench Spans / nervaluate dicts / spaCy Docs and Examples",
               f"{s(inputs['nerbench_spans'])} / {s(inputs['nervaluate_dicts'])} / {s(inputs['spacy_docs_and_examples'])}"),
        figure("nerbench: building every per-document Counts afterwards (not in its time above)", s(r["nerbench_materialise_all_documents_seconds"])),
    ]  # fmt: skip
    return rows
