"""Part 2: bootstrap intervals and the paired test over the synthetic corpus, one unit per document."""

from __future__ import annotations

from typing import Any

from nerbench.scoring import score_corpus
from nerbench.uncertainty import bootstrap, paired_test, resample_weights, unit_matrix

from .measure import figure, load_average, n, s, spread, timed, timed_rounds
from .synthetic import LABELS, synthetic_corpus, toolkit_input

TARGET_SECONDS = 2.0


def bench_uncertainty(
    n_docs: int = 20000, seed: int = 0, resamples: int = 1000, shuffles: int = 10000, repeat: int = 3
) -> dict[str, Any]:
    """Time `bootstrap` (resamples of the documents) and `paired_test` on the corpus of part 1.

    The second system of the paired test is the first with every tenth prediction left out.
    """
    docs = synthetic_corpus(n_docs, seed)
    gold, pred = toolkit_input(docs)
    thinned = {doc_id: [s for k, s in enumerate(spans) if k % 10 != 9] for doc_id, spans in pred.items()}
    _, per_doc = score_corpus(gold, pred)
    _, per_doc_b = score_corpus(gold, thinned)
    load_before = load_average()
    matrix_time, matrix = timed(lambda: unit_matrix(per_doc, LABELS), repeat)
    matrix_b = unit_matrix(per_doc_b, LABELS)
    times, results = timed_rounds(
        {
            "bootstrap": lambda: bootstrap(matrix, resamples, seed),
            "resample_weights": lambda: resample_weights(len(matrix.units), resamples, seed),
            "paired_test": lambda: paired_test(matrix, matrix_b, n_resamples=shuffles, seed=seed),
        },
        repeat,
    )
    intervals = results["bootstrap"]
    return {
        "corpus": {"documents": n_docs, "seed": seed, "gold_entities": sum(len(s) for s in gold.values())},
        "units": len(matrix.units),
        "resamples": resamples,
        "shuffles": shuffles,
        "repeat": repeat,
        "seconds": {"unit_matrix": matrix_time, **times},
        "target_seconds": TARGET_SECONDS,
        "bootstrap_under_target": times["bootstrap"]["best"] < TARGET_SECONDS,
        "strict_micro_f1_interval": intervals["strict"]["micro"]["f1"],
        "paired_test": {k: results["paired_test"][k] for k in ("delta", "p_value", "resamples")},
        "load_average": {"before": load_before, "after": load_average()},
    }


def uncertainty_figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    t = r["seconds"]
    lo, hi = r["strict_micro_f1_interval"]
    return [
        figure(
            f"bootstrap: {n(r['resamples'])} resamples of {n(r['units'])} documents ({n(r['corpus']['gold_entities'])} gold entities), "
            f"intervals for every scheme and label; best / median / worst of {r['repeat']}",
            spread(t["bootstrap"]),
            f"< {r['target_seconds']:g} s",
            r["bootstrap_under_target"],
        ),
        figure("of which drawing the resample weights", spread(t["resample_weights"])),
        figure("unit_matrix from score_corpus's per-document counts", spread(t["unit_matrix"])),
        figure(f"paired_test: {n(r['shuffles'])} shuffles of {n(r['units'])} documents", spread(t["paired_test"])),
        figure(
            "strict micro F1, 95% interval; paired test against every tenth span left out",
            f"[{lo:.4f}, {hi:.4f}]; ΔF1 {r['paired_test']['delta']:.4f}, p = {r['paired_test']['p_value']:.4g}",
        ),
    ]
