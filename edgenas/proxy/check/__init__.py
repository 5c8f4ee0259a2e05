"""Proxy check: how well a proxy task ranks architectures (`edgenas proxy check`).

    from edgenas.proxy.check import check_proxy, plan_check, plot_check
    plan = plan_check("mnasnet", models=20, seeds=3)      # checked before anything trains
    check = check_proxy(plan, store="runs/proxy-check/mnasnet.sqlite")   # resumable
    print("\\n".join(check.stats.lines()))
    plot_check(check, "runs/proxy-check/mnasnet.png")

Each architecture is trained with the proxy settings once per seed, and once much
longer on the same data; the figures are the proxy's seed spread, the spread
between architectures, and the Kendall tau between the proxy's mean and the long
training. Importing this package does not import TensorFlow; training does, in
worker processes.
"""

from edgenas.proxy.check.plan import CheckArchitecture, CheckPlan, plan_check
from edgenas.proxy.check.plot import plot_check
from edgenas.proxy.check.run import ProxyCheck, check_proxy
from edgenas.proxy.check.stats import TRAINS_SHARE, ArchitectureScores, FidelityStats, fidelity_stats
from edgenas.proxy.check.store import StoredTraining, TrainingStore, task_key

__all__ = [
    "TRAINS_SHARE",
    "ArchitectureScores",
    "CheckArchitecture",
    "CheckPlan",
    "FidelityStats",
    "ProxyCheck",
    "StoredTraining",
    "TrainingStore",
    "check_proxy",
    "fidelity_stats",
    "plan_check",
    "plot_check",
    "task_key",
]
