"""``python -m nlp.evaluate``: the engine beside the baseline on real, labelled data.

The command line: reads the options, runs the chosen sections and prints the table and
the targets.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Sequence

from .. import datasets
from .baseline import KMEANS_INIT
from .descriptions import evaluate_descriptions
from .discovery import (
    AUTO_SEEDS,
    ENGINE_SEEDS,
    SEEDS,
    discovery_rows,
    discovery_targets,
    evaluate_discovery,
)
from .duplicates import evaluate_duplicates
from .names import names_rows, names_targets
from .report import Row, Target, format_table, format_targets
from .semantic import evaluate_semantic
from .stance import evaluate_stance
from .tagging import evaluate_tagging, tagging_targets

SECTIONS = ("discovery", "semantic", "tagging", "descriptions", "stance", "duplicates")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the evaluation and print the table and the targets; return the exit code (0)."""
    parser = argparse.ArgumentParser(
        prog="python -m nlp.evaluate", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=len(SEEDS),
        help="seeds for the baseline's discovery (default 5)",
    )
    parser.add_argument(
        "--engine-seeds",
        type=int,
        default=ENGINE_SEEDS,
        help=f"seeds for the engine's discovery with the true k (default {ENGINE_SEEDS})",
    )
    parser.add_argument(
        "--auto-seeds",
        type=int,
        default=AUTO_SEEDS,
        help=f"seeds for the engine's discovery with automatic k (default {AUTO_SEEDS})",
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections among {','.join(SECTIONS)}",
    )
    args = parser.parse_args(argv)
    root = datasets.data_dir()
    if not datasets.available(root):
        print(f"skipped: no evaluation data at {root} (set {datasets.DATA_ENV} to its folder)")
        return 0
    sections = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = sections - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    seeds = list(range(max(1, args.seeds)))
    engine_seeds = list(range(max(1, args.engine_seeds)))
    auto_seeds = list(range(max(1, args.auto_seeds)))
    warnings.filterwarnings("ignore")  # sklearn's convergence and constant-label notices
    started = time.perf_counter()
    rows: list[Row] = []
    targets: list[Target] = []
    if "discovery" in sections:
        results = evaluate_discovery(seeds, engine_seeds, auto_seeds)
        rows += discovery_rows(results) + names_rows(results)
        targets += discovery_targets(results) + names_targets(results)
    if "semantic" in sections:
        more_targets, more = evaluate_semantic(engine_seeds[:3])
        rows += more
        targets += more_targets
    if "tagging" in sections:
        results, more = evaluate_tagging()
        rows += more
        targets += tagging_targets(results)
    if "descriptions" in sections:
        more_targets, more = evaluate_descriptions()
        rows += more
        targets += more_targets
    if "stance" in sections:
        more_targets, more = evaluate_stance()
        rows += more
        targets += more_targets
    if "duplicates" in sections:
        more_targets, more = evaluate_duplicates()
        rows += more
        targets += more_targets
    print(f"nlp.evaluate — data: {root}")
    print(
        "Discovery: baseline = char_wb TF-IDF → LSA 100 → L2 → KMeans(true k, best of "
        f"{KMEANS_INIT} starts, as SOURCES.md), mean of {len(seeds)} seeds; engine = "
        f"discover_themes, deterministic per seed: true k mean of {len(engine_seeds)} seeds, "
        f"automatic k mean of {len(auto_seeds)} seed(s); "
        "-1 (outliers) counts as one more cluster."
    )
    print("Tagging: F1 with bootstrap 95% interval (1,000 resamples of the test set, fixed seed).")
    print()
    print(format_table(rows))
    print()
    print(format_targets(targets))
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 0
