"""`SearchSpace`: a PyGlove hyper value plus the conversion of its points to specs."""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pyglove as pg

from edgenas.errors import SpecError, UnknownNameError
from edgenas.families import family_of_type
from edgenas.spaces.choices import ANY_CHOICE, Choice
from edgenas.specs import ArchSpec

__all__ = ["ANY_CHOICE", "SearchSpace", "hyper_of"]


def hyper_of(tree: Any) -> Any:
    """The PyGlove hyper value of a choice tree (`edgenas.spaces.choices`).

    A `Choice` becomes a `pg.oneof` over its candidates, a dict a `pg.Dict` (keys
    in order), a list a `pg.List`; literals stay as they are.

    Raises:
        ValueError: If the tree holds something that is neither a dict, a list,
            a `Choice` nor a literal.
    """
    if isinstance(tree, Choice):
        return pg.oneof(list(tree.candidates))
    if isinstance(tree, dict):
        return pg.Dict({key: hyper_of(value) for key, value in tree.items()})
    if isinstance(tree, (list, tuple)):
        return pg.List([hyper_of(value) for value in tree])
    if isinstance(tree, (int, float, str, bool, type(None))):
        return tree
    raise ValueError(f"a choice tree holds dicts, lists, Choices and literals, found {type(tree).__name__}")


class SearchSpace:
    """A named search space: what the search algorithms see (DNA) and what it means (specs).

    The hyper value is any PyGlove symbolic value with decision points (`pg.oneof`,
    `pg.manyof`, `pg.floatv`); a point is materialised with `pg.materialize` and
    turned into a spec by `to_spec`. Algorithms see only DNA.

    Args:
        name: The registry name.
        hyper: The PyGlove hyper value.
        to_spec: Turns a materialised value into a spec.
        from_spec: Optional inverse of `to_spec` (spec -> materialised value); it
            lets `dna_of` find the DNA of a spec in spaces of literal choices. It
            may put `ANY_CHOICE` where every candidate gives the same spec.
        references: Named points of the space (for example published networks).
        description: One line for listings.
        plain_values: Promise that `to_spec` reads its value only by indexing
            (`value[0]["kernel_size"]`), so it also accepts plain lists and dicts.
            For a hyper value made of `pg.List`, `pg.Dict`, literals and
            `pg.oneof` over literals this turns DNA into specs without
            `pg.materialize`, about a hundred times faster.
        options: The factory options that make this space differ from the
            registration's default one though its decisions are the same (such
            as `{"task": "detection"}`); a study records them and a resume must
            give the same.
    """

    def __init__(
        self,
        name: str,
        hyper: Any,
        to_spec: Callable[[Any], ArchSpec],
        *,
        from_spec: Callable[[ArchSpec], Any] | None = None,
        references: Mapping[str, ArchSpec] | None = None,
        description: str = "",
        plain_values: bool = False,
        options: Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a space needs a non-empty name, got {name!r}")
        self._name = name
        self._hyper = hyper
        self._to_spec = to_spec
        self._from_spec = from_spec
        self._references = dict(references or {})
        self._description = description
        self._options = dict(options or {})
        self._dna_spec = pg.dna_spec(hyper)
        self._plain = _PlainTemplate.build(hyper, self._dna_spec) if plain_values else None

    @property
    def name(self) -> str:
        """The registry name."""
        return self._name

    @property
    def description(self) -> str:
        """One line for listings."""
        return self._description

    @property
    def options(self) -> dict[str, str]:
        """The options that set this space apart from its registration's default (a copy; see the constructor)."""
        return dict(self._options)

    @property
    def hyper(self) -> Any:
        """The PyGlove hyper value (read it; derive new spaces instead of mutating it)."""
        return self._hyper

    @property
    def dna_spec(self) -> pg.DNASpec:
        """The PyGlove DNA spec the search algorithms work on."""
        return self._dna_spec

    @property
    def size(self) -> int:
        """Number of distinct points (DNA values) of the space."""
        return int(self._dna_spec.space_size)

    @property
    def num_decisions(self) -> int:
        """Number of decision points in the DNA."""
        return len(self._dna_spec.decision_points)

    def reference_names(self) -> tuple[str, ...]:
        """Names of the reference architectures that are points of this space."""
        return tuple(sorted(self._references))

    def reference(self, name: str) -> ArchSpec:
        """Returns a named reference architecture.

        Raises:
            UnknownNameError: If the space has no reference of that name.
        """
        try:
            return self._references[name]
        except KeyError:
            known = ", ".join(self.reference_names()) or "none"
            raise UnknownNameError(
                f"space {self._name!r} has no reference {name!r}; its references: {known}"
            ) from None

    def spec_from_dna(self, dna: pg.DNA) -> ArchSpec:
        """Materialises a DNA and converts the point to a spec."""
        if self._plain is not None:
            return self._to_spec(self._plain.fill(dna.to_numbers()))
        return self._to_spec(pg.materialize(self._hyper, dna))

    def spec_from_numbers(self, numbers: Sequence[int]) -> Any:
        """The spec of the point with these decision numbers (in `pg.DNA.to_numbers()` order)."""
        if self._plain is not None:
            return self._to_spec(self._plain.fill(list(numbers)))
        return self.spec_from_dna(pg.DNA.from_numbers(list(numbers), self._dna_spec))

    def decision_sizes(self) -> tuple[int, ...]:
        """The number of candidates of each decision, in DNA order (a `pg.oneof` each; () when another kind)."""
        points = self._dna_spec.decision_points
        if not all(isinstance(p, pg.geno.Choices) and p.num_choices == 1 for p in points):
            return ()
        return tuple(len(p.candidates) for p in points)

    def stage_columns(self) -> tuple[tuple[int, ...], ...] | None:
        """The decision columns of each stage, in stage order, when the points are lists of stages.

        That is when every decision sits under a list index (`[i].field`) and the indices are 0, 1, ...;
        None otherwise (then a point's decisions do not group by stage).
        """
        stages: dict[int, list[int]] = {}
        if not self.decision_sizes():
            return None
        for column, point in enumerate(self._dna_spec.decision_points):
            keys = pg.KeyPath.parse(str(point.id)).keys
            if len(keys) < 2 or not isinstance(keys[0], int):
                return None
            stages.setdefault(keys[0], []).append(column)
        if sorted(stages) != list(range(len(stages))):
            return None
        return tuple(tuple(stages[i]) for i in range(len(stages)))

    def random_dna(self, rng: random.Random) -> pg.DNA:
        """Draws a uniform random DNA with the given generator."""
        return pg.random_dna(self._dna_spec, rng)

    def sample(self, n: int, *, seed: int = 0) -> list[ArchSpec]:
        """Draws `n` random points; the same seed gives the same specs.

        The first `n` specs of `iter_samples(seed=seed)`, in the same order.

        Raises:
            ValueError: If `n` is negative.
        """
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        return list(itertools.islice(self.iter_samples(seed=seed), n))

    def iter_samples(self, *, seed: int = 0) -> Iterator[ArchSpec]:
        """Random points, one at a time and without end; the same seed gives the same specs.

        Holds nothing but the generator's state, so a caller that prints or
        evaluates each spec as it comes needs the same memory for ten points
        as for a billion.
        """
        rng = random.Random(seed)
        plain = self._plain
        while True:
            if plain is not None:
                yield self._to_spec(plain.fill(plain.random_numbers(rng)))
            else:
                yield self.spec_from_dna(self.random_dna(rng))

    @functools.cached_property
    def spec_type(self) -> type:
        """The type of this space's points (`ArchSpec`, `SpineNetSpec`, ...)."""
        return type(next(self.iter_samples(seed=0)))

    def parse_spec(self, text: str) -> Any:
        """Parses a spec string of this space's kind, in the grammar of its points' type.

        Reads what the family of `spec_type` reads (`Family.parse`: a SpineNet
        space also reads detectors on SpineNet backbones); it does not check that
        the spec is a point of the space (see `contains`).

        Raises:
            SpecError: If `text` is not a spec string of that kind; the message
                speaks of this kind's grammar only.
        """
        return family_of_type(self.spec_type).parse(text)

    def dna_of(self, spec: ArchSpec) -> pg.DNA:
        """Finds the DNA whose point is `spec`.

        Works for spaces whose decision points choose among literal values and
        that were given a `from_spec`.

        Raises:
            SpecError: If `spec` is not a point of this space.
            NotImplementedError: If the space cannot invert specs.
        """
        if self._from_spec is None:
            raise NotImplementedError(f"space {self._name!r} was registered without from_spec")
        value = self._from_spec(spec)
        numbers = []
        for point in self._dna_spec.decision_points:
            choice = pg.KeyPath.parse(str(point.id)).query(self._hyper)
            if not isinstance(choice, pg.hyper.OneOf):
                raise NotImplementedError(f"dna_of supports pg.oneof decisions only ({point.id})")
            target = pg.KeyPath.parse(str(point.id)).query(value)
            if target is ANY_CHOICE:
                numbers.append(0)
                continue
            matches = [i for i, c in enumerate(choice.candidates) if _same_literal(c, target)]
            if not matches:
                shown = ", ".join(repr(c) for c in choice.candidates)
                raise SpecError(
                    f"spec is not a point of space {self._name!r}: {point.id} = {target!r} "
                    f"is not among its choices ({shown})"
                )
            numbers.append(matches[0])
        dna = pg.DNA.from_numbers(numbers, self._dna_spec)
        if self.spec_from_dna(dna) != spec:
            raise SpecError(f"spec is not a point of space {self._name!r}: {spec}")
        return dna

    def derive(self, name: str, hyper: Any, *, description: str | None = None) -> SearchSpace:
        """A new space over an edited copy of this space's hyper value, with the same conversion.

        Edit with PyGlove, e.g. fix stage 0's kernel and narrow stage 6's SE:

            hyper = space.hyper.clone(deep=True)
            hyper.rebind({"[0].kernel_size": 3, "[6].se_ratio": pg.oneof([0.25])})
            mine = space.derive("mine", hyper)

        References that are no longer points of the new space are dropped.
        """
        derived = SearchSpace(
            name,
            hyper,
            self._to_spec,
            from_spec=self._from_spec,
            references=self._references,
            description=self._description if description is None else description,
            plain_values=self._plain is not None,
            options=self._options,
        )
        if self._from_spec is not None:
            derived._references = {k: v for k, v in self._references.items() if derived.contains(v)}
        return derived

    def transformed(
        self,
        *,
        to_point: Callable[[Any], Any],
        from_point: Callable[[Any], Any],
        options: Mapping[str, str],
        description: str,
    ) -> SearchSpace:
        """The same decisions, each point replaced by `to_point(point)` (e.g. a backbone by its detector).

        Args:
            to_point: Turns one of this space's points into the new space's.
            from_point: Its inverse on the new points; raises `SpecError` for a spec
                that `to_point` does not make (so `dna_of` refuses it).
            options: What sets the new space apart (recorded by studies, see the constructor).
            description: One line for listings.
        """
        inner_to, inner_from = self._to_spec, self._from_spec
        space = SearchSpace(
            self._name,
            self._hyper,
            lambda value: to_point(inner_to(value)),
            from_spec=None if inner_from is None else (lambda spec: inner_from(from_point(spec))),
            references={name: to_point(spec) for name, spec in self._references.items()},
            description=description,
            plain_values=self._plain is not None,
            options={**self._options, **options},
        )
        return space

    def contains(self, spec: ArchSpec) -> bool:
        """Whether `spec` is a point of this space."""
        try:
            self.dna_of(spec)
        except SpecError:
            return False
        return True

    def __repr__(self) -> str:
        return f"SearchSpace(name={self._name!r}, size={self.size}, decisions={self.num_decisions})"


def _same_literal(candidate: Any, target: Any) -> bool:
    return type(candidate) is type(target) and candidate == target


class _PlainTemplate:
    """A hyper value of lists, dicts and literal choices, filled without PyGlove."""

    def __init__(self, skeleton: Any, slots: list[tuple[list[Any], Any, tuple[Any, ...]]]) -> None:
        self._skeleton = skeleton
        self._slots = slots  # (path of keys to the parent, key, candidates)

    @classmethod
    def build(cls, hyper: Any, dna_spec: pg.DNASpec) -> _PlainTemplate:
        skeleton = _plain_copy(hyper)
        slots = []
        for point in dna_spec.decision_points:
            choice = pg.KeyPath.parse(str(point.id)).query(hyper)
            if not isinstance(choice, pg.hyper.OneOf) or not all(
                isinstance(c, (int, float, str, bool, type(None))) for c in choice.candidates
            ):
                raise ValueError(f"plain_values needs pg.oneof over literals; {point.id} is not")
            keys = list(pg.KeyPath.parse(str(point.id)).keys)
            slots.append((keys[:-1], keys[-1], tuple(choice.candidates)))
        return cls(skeleton, slots)

    def random_numbers(self, rng: random.Random) -> list[int]:
        return [rng.randrange(len(candidates)) for _, _, candidates in self._slots]

    def fill(self, numbers: list[int]) -> Any:
        value = _plain_copy(self._skeleton)
        for (parents, key, candidates), number in zip(self._slots, numbers, strict=True):
            node = value
            for parent in parents:
                node = node[parent]
            node[key] = candidates[number]
        return value


def _plain_copy(value: Any) -> Any:
    if isinstance(value, (list, pg.List)):
        return [_plain_copy(v) for v in value]
    if isinstance(value, (dict, pg.Dict)):
        return {k: _plain_copy(v) for k, v in value.items()}
    if isinstance(value, pg.hyper.OneOf):
        return None
    if isinstance(value, (int, float, str, bool, type(None))):
        return value
    raise ValueError(f"plain_values needs lists, dicts and literals, found {type(value).__name__}")
