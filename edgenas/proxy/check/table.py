"""`write_scores`: a proxy check's per-architecture scores as CSV."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from edgenas.proxy.check.run import ProxyCheck

__all__ = ["write_scores"]


def write_scores(check: ProxyCheck, path: str | os.PathLike[str]) -> Path:
    """Writes one row per complete architecture: spec, reference, each seed's score, mean, std, long score (with
    each long seed's score when there are several), seconds."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    seeds = [task.seed for task in check.plan.proxy_tasks]
    long_seeds = [task.seed for task in check.plan.long_tasks] if len(check.plan.long_tasks) > 1 else []
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["spec", "reference", *(f"proxy_seed_{s}" for s in seeds), "proxy_mean", "proxy_std",
                         "long_score", *(f"long_seed_{s}" for s in long_seeds), "proxy_s", "long_s"])  # fmt: skip
        for s in check.scores:
            writer.writerow([s.spec, s.reference, *(f"{v:.4f}" for v in s.proxy_scores), f"{s.proxy_mean:.4f}",
                             f"{s.proxy_std:.4f}", f"{s.long_score:.4f}",
                             *(f"{v:.4f}" for v in (s.long_scores if long_seeds else ())), f"{s.proxy_s:.1f}",
                             f"{s.long_s:.1f}"])  # fmt: skip
    os.replace(partial, out)
    return out
