"""Reports of a search: the Pareto front, its hypervolume, a plot and a table.

    from edgenas.report import write_report
    from edgenas.store import TrialStore

    with TrialStore("runs/search.db") as store:
        report = write_report(store, "pi4", out_dir="runs/report", target_ms=25.0)
    print(report.table)

Importing this package does not import matplotlib; plotting does.
"""

from edgenas.report.errors import NoResultsError, ReportError
from edgenas.report.hypervolume import hypervolume_2d
from edgenas.report.metric import AccuracyMetric, accuracy_metric
from edgenas.report.pareto import pareto_front
from edgenas.report.plot import plot_search
from edgenas.report.report import REPORT_FILES, Report, write_report
from edgenas.report.table import front_table

__all__ = [
    "REPORT_FILES",
    "AccuracyMetric",
    "NoResultsError",
    "Report",
    "ReportError",
    "accuracy_metric",
    "front_table",
    "hypervolume_2d",
    "pareto_front",
    "plot_search",
    "write_report",
]
