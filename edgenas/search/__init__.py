"""The search: rewards, algorithms over PyGlove DNA, and the loop that drives them.

`search` (also `edgenas.run_search`) runs a study; `edgenas.search.rewards`,
`edgenas.search.algorithms` and the other modules are importable as usual.
"""

from edgenas.search.halving import Halving, HalvingError
from edgenas.search.loop import NoFinishedTrialError, SearchResult, search, space_fingerprint
from edgenas.search.screening import Screening, ScreeningError

__all__ = [
    "Halving",
    "HalvingError",
    "NoFinishedTrialError",
    "Screening",
    "ScreeningError",
    "SearchResult",
    "search",
    "space_fingerprint",
]
