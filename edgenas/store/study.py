"""`Study`: one search run's identity and setup, as stored beside its trials."""

from __future__ import annotations

import dataclasses
import datetime
import json
import numbers
from typing import Any, ClassVar

from edgenas.store._values import (
    canonical_json_text,
    check_int,
    check_text,
    check_time,
    format_time,
    parse_time,
    utc_now,
)
from edgenas.store.errors import InvalidRecordError

__all__ = ["Study"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class Study:
    """A named search: which space, which reward, which algorithm, where it is measured.

    The JSON fields are kept as canonical JSON text (sorted keys, no spaces), so
    two studies compare equal when their options are equal as JSON, whatever the
    key order or spacing they were given in.

    Attributes:
        name: The study name, unique inside a store.
        space: The search space's registry name, e.g. ``"mnasnet"``.
        space_options: The options the space was built with, as JSON object text
            (``"{}"`` for none). Build it with ``edgenas.store.canonical_json``.
        space_fingerprint: A hash of the space's DNA spec, computed by the caller:
            what a stored DNA means.
        reward: The reward configuration, as JSON text.
        algorithm: The search algorithm's registry name.
        seed: The search's seed.
        device: Where and how latency is measured: the device (or predictor), the
            runtime, its threads and the model's precision, e.g. ``"local:litert:1t:fp32"``.
        input_shape: Height, width and channels of the deployed model's input.
        num_classes: Classes of the deployed model.
        export_recipe: The version of the export recipe (how a spec becomes a model
            file, `edgenas.export_spec`) the study's models were exported with.
        proxy_seeds: Proxy trainings per candidate, with seeds `seed`, `seed + 1`, ...
            of the proxy task; the candidate's accuracy is their mean score (1 in a
            study written before the store recorded it: the only number run then).
        halving: Successive halving over proxy steps (`edgenas.search.Halving.to_json()`),
            as JSON object text, or None for full trainings only.
        screening: Predictor screening of proposals (`edgenas.search.screening.screening_label`:
            its settings and the predictor's hash), as JSON object text, or None for none.
        created_at: When the study was created (aware; defaults to now, UTC).

    `input_shape`, `num_classes` and `export_recipe` are None in a study written
    before the store recorded them (trial store schema 1): not recorded.
    """

    name: str
    space: str
    space_options: str
    space_fingerprint: str
    reward: str
    algorithm: str
    seed: int
    device: str
    input_shape: tuple[int, int, int] | None = None
    num_classes: int | None = None
    export_recipe: int | None = None
    proxy_seeds: int = 1
    halving: str | None = None
    screening: str | None = None
    created_at: datetime.datetime = dataclasses.field(default_factory=utc_now)

    RESUME_CHECKED_FIELDS: ClassVar[tuple[str, ...]] = (
        "space",
        "space_options",
        "space_fingerprint",
        "reward",
        "algorithm",
        "device",
        "input_shape",
        "num_classes",
        "export_recipe",
        "proxy_seeds",
        "halving",
        "screening",
    )
    """The fields a resumed study must repeat exactly: they decide what a stored
    trial means and how its latency was measured. The others (seed, created_at)
    are taken from the store."""

    RECORDED_SINCE_SCHEMA_2: ClassVar[tuple[str, ...]] = ("input_shape", "num_classes", "export_recipe")
    """The fields a study of trial store schema 1 did not record (None there)."""

    def __post_init__(self) -> None:
        for name in ("name", "space", "space_fingerprint", "algorithm", "device"):
            check_text(name, getattr(self, name))
        object.__setattr__(self, "input_shape", _check_input_shape(self.input_shape))
        for name in ("num_classes", "export_recipe"):
            if getattr(self, name) is not None:
                check_int(name, getattr(self, name), minimum=1)
        check_int("proxy_seeds", self.proxy_seeds, minimum=1)
        if self.name != self.name.strip():
            raise InvalidRecordError(f"name must not start or end with white space, got {self.name!r}")
        object.__setattr__(
            self, "space_options", canonical_json_text("space_options", self.space_options, require_object=True)
        )
        object.__setattr__(self, "reward", canonical_json_text("reward", self.reward, require_object=False))
        for name in ("halving", "screening"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, canonical_json_text(name, getattr(self, name), require_object=True))
        check_int("seed", self.seed, minimum=0)
        check_time("created_at", self.created_at)

    def space_options_value(self) -> dict[str, Any]:
        """Returns a fresh dict of the space options (for the space registry)."""
        return json.loads(self.space_options)

    def reward_value(self) -> Any:
        """Returns the decoded reward configuration."""
        return json.loads(self.reward)

    def differing_fields(self, other: Study) -> tuple[str, ...]:
        """Names of the `RESUME_CHECKED_FIELDS` on which this study and `other` differ, in field order."""
        return tuple(name for name in self.RESUME_CHECKED_FIELDS if getattr(self, name) != getattr(other, name))

    def to_json(self) -> dict[str, Any]:
        """Returns the study as a JSON-ready dict (JSON fields decoded)."""
        return {
            "name": self.name,
            "space": self.space,
            "space_options": self.space_options_value(),
            "space_fingerprint": self.space_fingerprint,
            "reward": self.reward_value(),
            "algorithm": self.algorithm,
            "seed": self.seed,
            "device": self.device,
            "input_shape": None if self.input_shape is None else list(self.input_shape),
            "num_classes": self.num_classes,
            "export_recipe": self.export_recipe,
            "proxy_seeds": self.proxy_seeds,
            "halving": None if self.halving is None else json.loads(self.halving),
            "screening": None if self.screening is None else json.loads(self.screening),
            "created_at": format_time(self.created_at),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Study:
        """Builds a study from `to_json()` output (an older edgenas's, without the newer fields, too).

        Raises:
            InvalidRecordError: On a missing, unknown or invalid field.
        """
        if not isinstance(data, dict):
            raise InvalidRecordError(f"a study must be a JSON object, got {type(data).__name__}")
        names = [f.name for f in dataclasses.fields(cls)]
        required = set(names) - set(cls.RECORDED_SINCE_SCHEMA_2) - {"proxy_seeds", "halving", "screening"}
        if not required <= set(data) <= set(names):
            raise InvalidRecordError(
                f"study JSON: missing {sorted(required - set(data))}, unknown {sorted(set(data) - set(names))}"
            )
        return cls(
            name=data["name"],
            space=data["space"],
            space_options=json.dumps(data["space_options"]),
            space_fingerprint=data["space_fingerprint"],
            reward=json.dumps(data["reward"]),
            algorithm=data["algorithm"],
            seed=data["seed"],
            device=data["device"],
            input_shape=data.get("input_shape"),
            num_classes=data.get("num_classes"),
            export_recipe=data.get("export_recipe"),
            proxy_seeds=data.get("proxy_seeds", 1),
            halving=None if data.get("halving") is None else json.dumps(data["halving"]),
            screening=None if data.get("screening") is None else json.dumps(data["screening"]),
            created_at=parse_time("created_at", data["created_at"]),
        )


def _check_input_shape(value: object) -> tuple[int, int, int] | None:
    """Three positive integers (a list is taken as a tuple), or None."""
    if value is None:
        return None
    items = tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(items) != 3 or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in items):
        raise InvalidRecordError(f"input_shape must be three positive integers or None, got {value!r}")
    return (int(items[0]), int(items[1]), int(items[2]))
