"""The trial store of a search: studies and their trials in one SQLite file.

    from edgenas.store import Study, TrialStore, canonical_json

    with TrialStore("runs/search.db") as store:
        study = store.create_or_open_study(Study(name="pi4", ...), resume=True)
        store.mark_interrupted(study.name)  # re-run a trial a killed process left running
        trial = store.start_trial(study.name, index=0, dna=(1, 0, 2), spec=str(spec))
        store.finish_trial(trial, accuracy=0.71, latency=result, reward=0.69)
"""

from edgenas.store._schema import SCHEMA_VERSION
from edgenas.store._values import canonical_json
from edgenas.store.artifact import TrialArtifact
from edgenas.store.errors import (
    InvalidRecordError,
    NotAStoreError,
    SchemaVersionError,
    StoreError,
    StoreOpenError,
    StudyExistsError,
    StudyMismatchError,
    TrialStateError,
    UnknownStudyError,
)
from edgenas.store.predicted_latency import PredictedLatency
from edgenas.store.rung import Rung
from edgenas.store.status import TrialStatus
from edgenas.store.store import TrialStore
from edgenas.store.study import Study
from edgenas.store.timings import TrialTimings
from edgenas.store.trial import Trial

__all__ = [
    "SCHEMA_VERSION",
    "InvalidRecordError",
    "NotAStoreError",
    "PredictedLatency",
    "Rung",
    "SchemaVersionError",
    "StoreError",
    "StoreOpenError",
    "Study",
    "StudyExistsError",
    "StudyMismatchError",
    "Trial",
    "TrialArtifact",
    "TrialStateError",
    "TrialStatus",
    "TrialStore",
    "TrialTimings",
    "UnknownStudyError",
    "canonical_json",
]
