"""`plot_check`: proxy score against long-training score, one point per architecture, seed error bars."""

from __future__ import annotations

import os
from pathlib import Path

from edgenas.proxy.check.run import ProxyCheck

__all__ = ["plot_check"]


def plot_check(check: ProxyCheck, path: str | os.PathLike[str], *, metric: str = "accuracy") -> Path:
    """Writes the check's scatter plot (PNG): x the proxy mean with its seed standard deviation, y the long score.

    References are labelled; the title carries the Kendall tau and the spreads.

    Raises:
        ValueError: If the check has fewer than 2 complete architectures.
    """
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    from latency_models.evaluation import save_figure  # noqa: PLC0415

    if check.stats is None:
        raise ValueError(
            f"a plot needs at least 2 architectures with every training; the check has {len(check.scores)}"
        )
    stats = check.stats
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    for group, colour, label in ((False, "tab:blue", "sampled"), (True, "tab:orange", "reference")):
        chosen = [s for s in check.scores if bool(s.reference) == group]
        if chosen:
            ax.errorbar([s.proxy_mean for s in chosen], [s.long_score for s in chosen],
                        xerr=[s.proxy_std for s in chosen], fmt="o", color=colour, ecolor=colour, alpha=0.8,
                        capsize=3, label=label)  # fmt: skip
    for s in check.scores:
        if s.reference:
            ax.annotate(s.reference, (s.proxy_mean, s.long_score), textcoords="offset points", xytext=(4, 4),
                        fontsize=8)  # fmt: skip
    plan = check.plan
    ax.set_xlabel(f"proxy {metric} (mean of {stats.seeds} seeds, ±1 std)")
    over = f" (mean of {len(plan.long_tasks)} seeds)" if len(plan.long_tasks) > 1 else ""
    ax.set_ylabel(f"{metric} after {plan.long_task.steps} steps{over}")
    ax.set_title(f"{plan.space}: Kendall tau {stats.tau:.2f} over {stats.architectures} architectures\n"
                 f"seed spread {stats.seed_spread:.3f}, spread between architectures {stats.between_spread:.3f}",
                 fontsize=10)  # fmt: skip
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return save_figure(fig, path)
