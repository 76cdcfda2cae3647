"""Part 2: bootstrap intervals and the paired test over the synthetic corpus, one unit per document."""

from __future__ import annotations

from typing import Any

from nerbench.scoring import score_corpus
from nerbench.uncertainty import bootstrap, paired_test, resample_weights, unit_matrix

from .measure import load_average, timed, timed_rounds
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
