"""`search`: propose, evaluate (proxy accuracy + measured latency), reward, record, repeat.

Every trial is written to the SQLite trial store as it starts and as it ends, so
an interrupted search loses at most the trial in flight; `resume=True` replays
the finished trials into the algorithm (no candidate is evaluated twice) and
continues. TensorFlow work runs in recycled worker processes (`WorkerPool`);
latency is measured by the on-device profiler in its own process.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyglove as pg

from devices import ProfileSettings

from edgenas.errors import EdgenasError, SpecError, UnknownNameError
from edgenas.families import Family, family_of
from edgenas.search.evaluate import (
    CandidateJob,
    CandidateResult,
    evaluate_candidate,
    proxy_score,
    proxy_training,
    seeded_task,
)
from edgenas.search.halving import Halving, intermediate_rungs
from edgenas.search.latency_source import latency_source
from edgenas.search.promotion import PromotionRule, RungPoint, add_rung_points
from edgenas.search.screening import Screening, make_screen, propose_screened, screening_label
from edgenas.search.workers import WorkerPool
from edgenas.spaces import SearchSpace

__all__ = ["MAX_PROXY_SEEDS", "NoFinishedTrialError", "SearchResult", "search", "space_fingerprint"]

_FAILURE_REWARD = -1.0
MAX_PROXY_SEEDS = 10
"""Most proxy trainings per candidate `search` runs (each costs a whole training)."""


def space_fingerprint(space: SearchSpace) -> str:
    """A hash of a space's decisions and their candidates (what a stored DNA means)."""
    decisions = []
    for point in space.dna_spec.decision_points:
        choice = pg.KeyPath.parse(str(point.id)).query(space.hyper)
        candidates = [repr(c) for c in getattr(choice, "candidates", [])]
        decisions.append([str(point.id), candidates])
    payload = json.dumps(decisions, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


@dataclasses.dataclass(frozen=True)
class SearchResult:
    """The trials of a study after `search` returns.

    Attributes:
        study: The study name.
        db: The trial store file.
        trials: Every trial of the study, in proposal order.
        screened: Proposals the predictor screen dropped untrained over the whole study (0 without screening).
    """

    study: str
    db: Path
    trials: tuple[Any, ...]
    screened: int = 0

    @property
    def done(self) -> tuple[Any, ...]:
        """Trials that finished without error."""
        return tuple(t for t in self.trials if t.status.value == "done")

    def best(self) -> Any:
        """The finished trial with the highest reward, among those trained to the end (not stopped early).

        Raises:
            EdgenasError: If no trial finished.
        """
        done = [t for t in self.done if t.reward is not None and t.complete]
        if not done:
            raise EdgenasError(f"study {self.study!r} has no finished trial")
        return max(done, key=lambda t: t.reward)

    def pareto_front(self) -> list[Any]:
        """Finished trials (trained to the end) no other beats on both accuracy and latency, by latency."""
        from edgenas.report import pareto_front  # noqa: PLC0415

        return pareto_front(list(self.done))


class NoFinishedTrialError(EdgenasError):
    """A search ended with no finished trial: every trial failed. The failed trials are in the store.

    Attributes:
        result: The study's trials, as `search` would have returned them.
    """

    def __init__(self, result: SearchResult) -> None:
        last = max((t for t in result.trials if t.error), key=lambda t: t.index, default=None)
        failure = f"; the last failure, trial #{last.index}: {last.error}" if last else ""
        super().__init__(
            f"0 of {len(result.trials)} trials of study {result.study!r} finished{failure} "
            f"(the failed trials are kept in {result.db})"
        )
        self.result = result


def _algorithm_label(name: str, options: Mapping[str, Any]) -> str:
    """The study's algorithm: its name, then its options as sorted JSON when any are set.

    Evolution with another population proposes other candidates: a study resumed
    with other options is refused like one resumed with another algorithm.
    """
    return name if not options else f"{name} {json.dumps(dict(options), sort_keys=True)}"


_MAX_REPEATED_PROPOSALS = 100


def _propose_untried(algo: pg.DNAGenerator, space: SearchSpace, feedback_by_spec: Mapping[str, Any]) -> tuple[pg.DNA, Any]:
    """The algorithm's next proposal whose spec the study has not tried yet.

    A proposal that renders to a spec already tried (evolution mutating a
    decision the spec ignores, such as the expansion of a plain conv block, or
    re-creating an earlier child) costs no trial: the algorithm is told that
    spec's result again and asked once more. Deterministic, so a resumed study
    replays it exactly. After `_MAX_REPEATED_PROPOSALS` repeats in a row (a
    nearly exhausted small space) the repeat is returned and becomes a trial.

    Returns:
        The DNA and its spec.
    """
    for _ in range(_MAX_REPEATED_PROPOSALS):
        dna = algo.propose()
        spec = space.spec_from_dna(dna)
        if str(spec) not in feedback_by_spec:
            return dna, spec
        algo.feedback(dna, feedback_by_spec[str(spec)])
    dna = algo.propose()
    return dna, space.spec_from_dna(dna)


def _space_family(space: SearchSpace, point: Any) -> Family:
    """The family of the space's points (`point` is one), refused before any trial when none owns them."""
    try:
        return family_of(point)
    except UnknownNameError as error:
        raise EdgenasError(f"space {space.name!r} yields {type(point).__name__} points: {error}") from None


def _shape_defaults(
    family: Family, input_shape: tuple[int, int, int] | None, num_classes: int | None
) -> tuple[tuple[int, int, int], int]:
    """The deployment input and class count: the caller's, else the family's (`Family.deployment`)."""
    defaults = family.deployment
    shape = tuple(int(v) for v in input_shape) if input_shape is not None else defaults.input_shape
    classes = num_classes if num_classes is not None else defaults.num_classes
    return shape, classes  # type: ignore[return-value]


def _check_export(
    space: SearchSpace, point: Any, *, input_shape: tuple[int, int, int], num_classes: int, precision: str
) -> None:
    """Refuses, before any trial, what every candidate's export would refuse: `export`'s own checks.

    Its settings (precision, input, class count), then the input and class count
    for `point`, one of the space's points (`export`'s check of a spec and its
    input, by the spec's kind: a chain's total stride, a SpineNet's coarsest
    level). A space's points share their strides and levels, so they share its verdict.
    """
    from edgenas.export import ExportSettings  # noqa: PLC0415
    from edgenas.export import check_spec_and_input  # noqa: PLC0415

    try:
        ExportSettings(format="tflite", precision=precision, input_shape=input_shape, num_classes=num_classes)
    except SpecError as error:
        raise EdgenasError(f"cannot export any candidate of space {space.name!r}: {error}") from None
    try:
        check_spec_and_input(point, input_shape=input_shape, num_classes=num_classes)
    except SpecError as error:
        raise EdgenasError(f"input shape {list(input_shape)} does not fit space {space.name!r}: {error}") from None


def _improvement_test(
    reward: Any, accuracy: float, best: float | None, done: list[tuple[float, float]], *, pareto: bool
) -> Any:
    """Whether a candidate of `accuracy` could improve the search at a given latency (hybrid latency).

    Scalar rewards: its reward would beat the best so far. The Pareto reward: no
    done trial would dominate it.
    """

    def could_improve(latency_ms: float) -> bool:
        if pareto:
            return not any(
                a >= accuracy and lat <= latency_ms and (a > accuracy or lat < latency_ms) for a, lat in done
            )
        return best is None or float(reward(accuracy=accuracy, latency_ms=latency_ms)) > best

    return could_improve


def _quiet_worker() -> None:
    """Keeps converter and training chatter out of the search's terminal."""
    import logging  # noqa: PLC0415
    import warnings  # noqa: PLC0415

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("absl").setLevel(logging.ERROR)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    # TensorFlow's C++ start-up lines (the oneDNN notice, absl's pre-init warning) ignore
    # TF_CPP_MIN_LOG_LEVEL: import it once with them filtered out; a real error still shows.
    from edgenas._native_chatter import native_chatter_filtered  # noqa: PLC0415

    with native_chatter_filtered():
        import tensorflow  # noqa: F401, PLC0415


def _feedback_value(
    reward_value: Any, *, failed: bool, multi_objective: bool, accuracy: float = 0.0, latency_ms: float = 0.0
) -> Any:
    """What the algorithm is told of a trial.

    A multi-objective algorithm gets the Pareto objectives `(accuracy, -latency_ms)`
    whatever the reward (which still ranks the trials); a scalar one gets the reward.
    A failed trial is `_FAILURE_REWARD` (with latency -1e9 for the multi-objective ones).
    """
    if failed:
        return (_FAILURE_REWARD, -1e9) if multi_objective else _FAILURE_REWARD
    if multi_objective:  # what the pareto reward gives: ParetoObjectives(accuracy, -latency_ms)
        return (float(accuracy), -float(latency_ms))
    return float(reward_value)


def search(
    space: SearchSpace,
    *,
    reward: Any,
    trials: int,
    db: str | os.PathLike[str],
    algorithm: str = "surrogate_evolution",
    accuracy: Any = None,
    seed: int = 0,
    study: str = "default",
    resume: bool = False,
    artifacts_dir: str | os.PathLike[str] | None = None,
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
    precision: str = "fp32",
    threads: int = 1,
    profile_runs: int = 30,
    tasks_per_worker: int = 4,
    algorithm_options: Mapping[str, Any] | None = None,
    latency: Any = "measured",
    proxy_seeds: int = 1,
    halving: Halving | None = None,
    screening: Screening | None = None,
    progress: bool = True,
) -> SearchResult:
    """Runs (or resumes) a latency-aware architecture search.

    Args:
        space: The search space.
        reward: A reward object from `edgenas.rewards` (carries the latency target).
        trials: Total trials of the study (finished ones count when resuming).
        db: The SQLite trial store file (created if missing).
        algorithm: A registered algorithm (`edgenas.search.algorithms.algorithm_names()`). The
            multi-objective ones ("surrogate_evolution", the default; "nsga2", "motpe") are told each
            trial's (accuracy, -latency_ms) under any reward; the others ("evolution", "tpe", "ppo",
            "random", "grid") are told the reward, which must be scalar.
        accuracy: The proxy task of the space's family (`Family.proxy_task_type`:
            an `edgenas.proxy.ProxyTask` for a classification space, a
            `edgenas.proxy.DetectionProxyTask` for a SpineNet space; default: the
            family's with its defaults).
        seed: Seed of the algorithm, the weights and the data.
        study: Study name inside the store.
        resume: Continue an existing study instead of refusing to overwrite it.
        artifacts_dir: Where exported models go (default: beside the db).
        input_shape: Resolution the latency is measured at (default: the family's
            `deployment`: 224x224x3 for a classifier, 256x256x3 for a SpineNet detector).
        num_classes: Classes of the measured model (default: the family's: 1,000 for a
            classifier, 91 for a detector).
        precision: "fp32" or "int8" for the measured model.
        threads: Interpreter threads for latency.
        profile_runs: Timed inferences per latency measurement.
        tasks_per_worker: Candidates a worker process evaluates before it is replaced.
        algorithm_options: The algorithm's own options, e.g. `{"population_size": 8}` for
            "evolution" (see `edgenas.search.algorithms`); stored with the study.
        latency: Where latency comes from: "measured" (the profiler on this machine),
            a `devices.DeviceBackend` (an SSH board, a phone, a device farm's tag
            through `devices.farm`), health-checked before any trial runs,
            "predicted:<predictor file>" (or a `LatencyPredictor`), or a
            `HybridLatency` (see `edgenas.search.latency_source`).
        proxy_seeds: Proxy trainings per candidate, with the task's seed, seed + 1, ...
            (each in its own worker task); the candidate's accuracy is their mean and
            every score is stored with the trial. `edgenas proxy check` shows how much
            the mean of k seeds ranks better than one, at k times the training time.
        halving: Successive halving over proxy steps (`edgenas.search.Halving`): each training is
            scored at rungs and goes on only while it ranks in the best 1 / eta of the study's trials
            there, ranked by the reward at its latency (measured, or predicted; under hybrid latency
            the prediction, `margin` faster) or, under the Pareto reward, by how many dominate it.
            A stopped trial keeps its last rung's score and is marked `stopped_early`: the algorithm
            is told it, and the front and the best leave it out. Its other proxy seeds do not run.
            None (default): every candidate trains to the end.
        screening: Predictor-screened proposals (`edgenas.search.screening.Screening`): a proposal
            that, at the fastest latency a predictor of this space allows and an optimistic
            accuracy (a ridge regression over the complete trials plus `confidence_z` residual
            deviations), could not improve the best reward (or the front, under the Pareto reward)
            is not trained; the algorithm is told the regression's prediction and asked again.
            Flat categorical spaces only. None (default): every proposal is trained.
        progress: Show a progress bar on stderr.

    Returns:
        The study's trials; at least one finished.

    Raises:
        EdgenasError: (and subclasses) on bad input, before any trial runs and
            before the store is created or changed: settings that every
            candidate's export would refuse (an unknown precision, a class count
            below 1, an input the space's networks cannot take), or a resumed study whose
            setup differs from the stored one (`edgenas.store.StudyMismatchError`:
            another space, reward, algorithm, device, runtime threads, precision,
            input shape, class count, export recipe, proxy seeds or halving), or halving on a
            family whose proxy training has no rungs (`Family.supports_rungs`: every built-in one
            has them), or with too few steps for its rungs.
        NoFinishedTrialError: If every trial of the study failed; raised after
            the failed trials are stored, with the trials as its `result`.
    """
    from edgenas.proxy import ProxyTask  # noqa: PLC0415
    from edgenas.search.algorithms import make_algorithm, multi_objective_algorithm_names  # noqa: PLC0415
    from edgenas.store import Study, TrialArtifact, TrialStatus, TrialStore, TrialTimings  # noqa: PLC0415

    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 1:
        raise EdgenasError(f"trials must be a positive integer, got {trials!r}")
    if isinstance(proxy_seeds, bool) or not isinstance(proxy_seeds, int) or not 1 <= proxy_seeds <= MAX_PROXY_SEEDS:
        raise EdgenasError(f"proxy_seeds must be an integer from 1 to {MAX_PROXY_SEEDS}, got {proxy_seeds!r}")
    (point,) = space.sample(1, seed=0)  # what kind of network the space holds decides the defaults and checks
    family = _space_family(space, point)
    task = family.default_proxy_task() if accuracy is None else accuracy
    family.check_proxy_task(task, what=f"space {space.name!r} yields {type(point).__name__} points")
    if proxy_seeds > 1 and "seed" not in getattr(task, "__dataclass_fields__", {}):
        raise EdgenasError(f"proxy_seeds {proxy_seeds} needs a proxy task with a seed; {type(task).__name__} has none")
    rung_steps = intermediate_rungs(halving, family, task)
    input_shape, num_classes = _shape_defaults(family, input_shape, num_classes)
    screen, predictor_sha256 = make_screen(screening, space, point, reward=reward, input_shape=input_shape,
                                           num_classes=num_classes)  # fmt: skip
    _check_export(space, point, input_shape=input_shape, num_classes=num_classes, precision=precision)
    if isinstance(task, ProxyTask):
        from edgenas.proxy import load_dataset  # noqa: PLC0415

        load_dataset(task)  # a bad dataset folder is an error now, before any trial runs
    pareto = bool(getattr(reward, "is_pareto", False))
    options = dict(algorithm_options or {})
    # Validate early: an unknown algorithm or option, or a bad value, raises an EdgenasError naming the algorithm
    # (UnknownNameError, AlgorithmOptionError, SpaceTooLargeError); anything else is a bug and propagates as is.
    reserved = sorted(set(options) & {"seed", "space_size"})
    if reserved:
        from edgenas.search.algorithms import UnknownAlgorithmOptionError  # noqa: PLC0415

        raise UnknownAlgorithmOptionError(
            f"{', '.join(map(repr, reserved))} cannot be an algorithm option: the search gives algorithm "
            f"{algorithm!r} its own seed and the space's size"
        )
    # Set up once now: an algorithm that cannot search the space's decisions (UnsupportedSpaceError) is refused
    # before the store is touched.
    probe = make_algorithm(algorithm, seed=seed, space_size=space.size, **options)
    probe.setup(space.dna_spec)
    multi_objective = probe.multi_objective  # told (accuracy, -latency_ms) whatever the reward
    if pareto and not multi_objective:
        raise EdgenasError(
            f"the pareto reward needs a multi-objective algorithm ({', '.join(multi_objective_algorithm_names())}), "
            f"not {algorithm!r}"
        )
    settings = ProfileSettings(runtime="litert", threads=threads, runs=profile_runs)
    db_path = Path(db)
    source = latency_source(latency, settings=settings, trial_store=db_path)
    if source.predictor_space not in (None, space.name):
        raise EdgenasError(
            f"the latency predictor covers space {source.predictor_space!r}, not {space.name!r}; "
            "train one on this space's measurements (edgenas predictor collect/train) or time on a device"
        )
    if source.predictor_family not in (None, family.name):
        raise EdgenasError(
            f"the latency predictor predicts {source.predictor_family} networks (space "
            f"{source.predictor_space!r}); this search's candidates are {family.name} networks "
            f"({type(point).__name__}); time them on a device (latency='measured' or a device backend)"
        )
    source.check(input_shape=tuple(input_shape), num_classes=num_classes, precision=precision, threads=threads)
    survey = source.survey(space, target_ms=getattr(reward, "target_ms", None))  # one batch over the whole space
    for line in survey.lines() if survey is not None else ():
        if progress or line.startswith("warning"):
            print(line, file=sys.stderr)
    from edgenas.export.store import RECIPE_VERSION  # noqa: PLC0415  (what export keys artifacts by)

    new_study = Study(  # built (and so checked) before the store is opened
        name=study,
        space=space.name,
        space_options=json.dumps(space.options, sort_keys=True),
        space_fingerprint=space_fingerprint(space),
        reward=json.dumps(reward.to_json(), sort_keys=True),
        algorithm=_algorithm_label(algorithm, options),
        seed=seed,
        device=f"{source.label}:litert:{threads}t:{precision}",
        input_shape=input_shape,
        num_classes=num_classes,
        export_recipe=RECIPE_VERSION,
        proxy_seeds=proxy_seeds,
        halving=None if halving is None else json.dumps(halving.to_json()),
        screening=screening_label(screening, predictor_sha256),
    )
    pool = WorkerPool(tasks_per_worker=tasks_per_worker, initializer=_quiet_worker)  # starts a worker on first use
    db_path.parent.mkdir(parents=True, exist_ok=True)
    artifacts = Path(artifacts_dir) if artifacts_dir else db_path.with_suffix("").parent / f"{db_path.stem}-artifacts"
    with TrialStore(db_path) as store:
        study_record = store.create_or_open_study(new_study, resume=resume)
        store.mark_interrupted(study_record.name)
        seed = study_record.seed  # a resumed study keeps its own seed
        algo = make_algorithm(algorithm, seed=seed, space_size=space.size, **options)
        algo.setup(space.dna_spec)

        finished = store.trials(study_record.name)
        accuracy_by_spec: dict[str, float] = {}
        scores_by_spec: dict[str, tuple[float, ...] | None] = {}  # None: a trial of an older store
        latency_by_sha: dict[str, Any] = {}
        feedback_by_spec: dict[str, Any] = {}  # what the algorithm was told of each spec tried
        done_points: list[tuple[float, float]] = []  # (accuracy, latency_ms) of the complete done trials
        rungs_by_spec: dict[str, Any] = {}  # the rungs and whether it stopped early, of each trained spec
        peers: list[list[RungPoint]] = [[] for _ in rung_steps]  # by intermediate rung: every trial's point there

        def tell_dropped(dna: pg.DNA, spec: Any, accuracy: float, latency_ms: float) -> None:
            value = None if multi_objective else reward(accuracy=accuracy, latency_ms=latency_ms)
            feedback_by_spec[str(spec)] = _feedback_value(value, failed=False, multi_objective=multi_objective,
                                                          accuracy=accuracy, latency_ms=latency_ms)  # fmt: skip
            algo.feedback(dna, feedback_by_spec[str(spec)])

        def propose() -> tuple[pg.DNA, Any]:
            """The next untried proposal the screen keeps (every proposal without screening)."""
            return propose_screened(lambda: _propose_untried(algo, space, feedback_by_spec), tell_dropped, screen,
                                    choices_of=lambda dna: dna.to_numbers())  # fmt: skip

        for trial in finished:  # replay: the algorithm sees what it saw before
            proposed, _ = propose()
            if list(proposed.to_numbers()) != list(trial.dna):
                raise EdgenasError(
                    f"cannot resume study {study_record.name!r}: {algorithm} (seed {study_record.seed}) "
                    f"proposed another candidate than the stored trial {trial.index}; the study was "
                    "written by another algorithm version or seed"
                )
            failed = trial.status is not TrialStatus.DONE
            feedback_by_spec[trial.spec] = _feedback_value(
                trial.reward, failed=failed, multi_objective=multi_objective, accuracy=trial.accuracy or 0.0,
                latency_ms=trial.latency_ms or 0.0,
            )  # fmt: skip
            algo.feedback(proposed, feedback_by_spec[trial.spec])
            if not failed:
                if trial.spec not in accuracy_by_spec:  # trained, not a repeat that reused a training
                    add_rung_points(peers, trial.rungs, trial.latency_ms, rung_steps)
                accuracy_by_spec[trial.spec] = trial.accuracy
                scores_by_spec[trial.spec] = trial.proxy_scores
                rungs_by_spec.setdefault(trial.spec, (trial.rungs, trial.stopped_early))
                if trial.complete:
                    done_points.append((trial.accuracy, trial.latency_ms))
                    if screen is not None:
                        screen.add(trial.dna, accuracy=trial.accuracy, latency_ms=trial.latency_ms)
                for artifact in trial.artifacts:
                    latency_by_sha[artifact.sha256] = trial.latency

        from tqdm import tqdm  # noqa: PLC0415

        best = max((t.reward for t in finished if t.reward is not None and t.complete), default=None)
        bar = tqdm(total=trials, initial=len(finished), desc=f"search {study_record.name}", unit="trial",
                   file=sys.stderr, disable=not progress)
        try:
            with pool:
                for index in range(len(finished), trials):
                    dna, spec = propose()
                    trial = store.start_trial(
                        study_record.name, index=index, dna=tuple(dna.to_numbers()), spec=str(spec)
                    )
                    began = time.perf_counter()
                    try:
                        reused = str(spec) in accuracy_by_spec  # tried before: its trainings are reused
                        halved = bool(rung_steps) and not reused
                        result: CandidateResult = pool.run(
                            evaluate_candidate,
                            CandidateJob(
                                spec=str(spec),
                                proxy_task=None if reused or halved else task,
                                export_dir=str(artifacts),
                                input_shape=input_shape,
                                num_classes=num_classes,
                                precision=precision,
                                seed=seed,
                            ),
                        )
                        extra_began = time.perf_counter()
                        latency = latency_by_sha.get(result.artifact.sha256)
                        rungs, stopped = rungs_by_spec.get(str(spec), (None, False)) if reused else (None, False)
                        profile_before_s = 0.0
                        if reused:
                            acc, scores = accuracy_by_spec[str(spec)], scores_by_spec.get(str(spec))
                        else:
                            first = result.accuracy
                            if halved:  # latency first: the rungs rank the candidate at it
                                gate_ms = latency.latency_ms if latency is not None else None
                                if latency is None:
                                    gate_ms, latency = source.before_training(spec, result.artifact.path)
                                profile_before_s = time.perf_counter() - extra_began
                                rule = PromotionRule(eta=halving.eta, reward=reward, latency_ms=gate_ms,
                                                     peers=tuple(tuple(p) for p in peers))  # fmt: skip
                                trained = pool.run(proxy_training, str(spec), task, rung_steps=rung_steps,
                                                   gate=rule.continues)  # fmt: skip
                                first, rungs, stopped = float(trained.accuracy), trained.rungs, trained.stopped_early
                            scores = (first,) + tuple(
                                pool.run(proxy_score, str(spec), seeded_task(task, k))
                                for k in range(1, 1 if stopped else proxy_seeds)
                            )
                            acc = statistics.fmean(scores)
                        proxy_s = result.proxy_s + time.perf_counter() - extra_began - profile_before_s
                        profile_began = time.perf_counter()
                        if latency is None:
                            could_improve = _improvement_test(reward, acc, best, done_points, pareto=pareto)
                            latency = source.latency(spec, result.artifact.path, could_improve)
                        profile_s = time.perf_counter() - profile_began + profile_before_s
                        value = reward(accuracy=acc, latency_ms=latency.latency_ms)
                    except KeyboardInterrupt:
                        raise
                    except Exception as error:  # a candidate that fails is recorded, the search goes on
                        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                        store.fail_trial(
                            trial,
                            error=f"{type(error).__name__}: {message}",
                            timings=TrialTimings(total_s=time.perf_counter() - began),
                        )
                        feedback_by_spec[str(spec)] = _feedback_value(
                            None, failed=True, multi_objective=multi_objective
                        )
                        algo.feedback(dna, feedback_by_spec[str(spec)])
                        bar.update(1)
                        continue
                    objectives = tuple(value) if pareto else None
                    scalar = float(value[0]) if pareto else float(value)
                    store.finish_trial(
                        trial,
                        accuracy=acc,
                        proxy_scores=scores,
                        rungs=rungs,
                        stopped_early=stopped,
                        latency=latency,
                        reward=scalar,
                        objectives=objectives,
                        artifacts=(
                            TrialArtifact(
                                format=result.artifact.format.value,
                                precision=result.artifact.precision.value,
                                key=result.artifact.key,
                                sha256=result.artifact.sha256,
                                path=str(result.artifact.path),
                            ),
                        ),
                        timings=TrialTimings(
                            proxy_train_s=proxy_s,
                            export_s=result.export_s,
                            profile_s=profile_s,
                            total_s=time.perf_counter() - began,
                        ),
                    )
                    accuracy_by_spec[str(spec)] = acc
                    scores_by_spec[str(spec)] = scores
                    rungs_by_spec.setdefault(str(spec), (rungs, stopped))
                    if not reused:
                        add_rung_points(peers, rungs, latency.latency_ms, rung_steps)
                    if not stopped:
                        done_points.append((acc, latency.latency_ms))
                        if screen is not None:
                            screen.add(dna.to_numbers(), accuracy=acc, latency_ms=latency.latency_ms)
                    latency_by_sha[result.artifact.sha256] = latency
                    feedback_by_spec[str(spec)] = _feedback_value(
                        value, failed=False, multi_objective=multi_objective, accuracy=acc,
                        latency_ms=latency.latency_ms,
                    )  # fmt: skip
                    algo.feedback(dna, feedback_by_spec[str(spec)])
                    if not stopped:
                        best = scalar if best is None or scalar > best else best
                    last = f"stopped at {rungs[-1].steps} steps, " if stopped else ""
                    shown = "none" if best is None else f"{best:.4f}"
                    bar.set_postfix_str(f"best {shown}, last {last}{acc:.3f} @ {latency.latency_ms:.2f} ms")
                    bar.update(1)
        finally:
            bar.close()
            source.close()
        searched = SearchResult(study=study_record.name, db=db_path, trials=tuple(store.trials(study_record.name)),
                                screened=0 if screen is None else screen.dropped)  # fmt: skip
    if not searched.done:
        raise NoFinishedTrialError(searched)
    return searched


