"""Scaling search spaces: grids of `ScalingPoint`s for one SpineNet family, by name.

After an architecture search finds a topology, a scaling search sizes it: every
point of a `ScalingSpace` is applied to the topology (`ScalingPoint.apply`) and
the detectors are trained and timed. Papers: SpineNet,
https://arxiv.org/abs/1912.05027 (scaling a found topology, Sec. 4.1);
SpineNet-Mobile, https://arxiv.org/abs/2010.11426.

Registered spaces (`get_scaling_space(name)`):

- `spinenet_scaling` (ResNet-style SpineNets; the values of `shared/spaces.md`):
  image_size {512, 640}, endpoints_num_filters {192, 256}, filter_size_scale
  {0.8, 1.0, 1.2}, resample_alpha {0.75, 1.0, 1.25}, block_repeats {2, 3, 4},
  head_num_convs {4, 5}, head_num_filters {192, 256}: 432 points.

- `spinenet_mobile_scaling` (SpineNet-Mobile, mbconv blocks; 512 points). Its
  values surround the three published SpineNet-Mobile RetinaNet detectors, so
  that each of them is a point of the space:

  | model   | image | endpoints | filter scale | repeats | head convs x filters |
  |---------|-------|-----------|--------------|---------|----------------------|
  | 49XS    | 256   | 24        | 0.6          | 1       | 4 x 24 (separable)   |
  | 49S     | 384   | 40        | 0.65         | 1       | 4 x 40 (separable)   |
  | 49      | 384   | 48        | 1.0          | 1       | 4 x 48 (separable)   |

  (backbone scalings: Model Garden `official/vision/modeling/backbones/spinenet_mobile.py`,
  `SCALING_MAP`; image sizes and heads: Model Garden
  `official/vision/configs/experiments/retinanet/coco_spinenet49xs_mobile_tpu.yaml`,
  `coco_spinenet49s_mobile_tpu.yaml`, `coco_spinenet49_mobile_tpu.yaml`: `input_size`,
  `head.num_convs`, `head.num_filters`, `use_separable_conv: true`; 9 anchors).

  - image_size {256, 384}: the published sizes. The stride-128 level 7 of these
    backbones needs a multiple of 128, so no size lies between them (320 is not
    one: it fails `SpineNetSpec.check_input_shape`).
  - endpoints_num_filters {24, 32, 40, 48}: the published 24, 40, 48, and 32.
  - filter_size_scale {0.6, 0.65, 0.8, 1.0}: the published 0.6, 0.65, 1.0, and 0.8.
  - block_repeats {1, 2}: the published 1, and one deeper option.
  - head_num_convs {3, 4}: the published 4, and a cheaper head.
  - head_num_filters {24, 32, 40, 48}: the published heads are as wide as the
    endpoints (24, 40, 48), so the same values as endpoints_num_filters.
  - resample_alpha: None (SpineNet-Mobile has no alpha convolution).

  The head keeps `num_anchors` and `use_separable_conv` of the head passed to
  `apply` (default: `default_detection_head(mobile=True)`, separable, 9 anchors).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator

from edgenas.errors import SpecError
from edgenas.families import Task, family_of_type
from edgenas.registry import Registry
from edgenas.scaling.scaling_point import POINT_FIELDS, ScaledDetector, ScalingPoint
from edgenas.specs.detection_head import DetectionHeadSpec
from edgenas.specs.enums import coerce_enum
from edgenas.specs.spinenet_arch import SpineNetSpec
from edgenas.specs.spinenet_family import SpineNetFamily
from edgenas.specs.spinenet_references import spinenet_reference, spinenet_reference_names

__all__ = [
    "SPINENET_MOBILE_SCALING",
    "SPINENET_SCALING",
    "ScalingSpace",
    "get_scaling_space",
    "register_scaling_space",
    "scaling_space_names",
    "unregister_scaling_space",
]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ScalingSpace:
    """A grid of scaling points for one SpineNet family: the allowed values of each field.

    Frozen, hashable and validated at construction (lists are stored as tuples).
    `points()` enumerates the grid in a fixed order: the product of the value
    tuples in `POINT_FIELDS` order (image_size outermost, head_num_filters
    innermost), each tuple in the order given.

    Attributes:
        name: The space's name in the registry.
        family: The SpineNet family the space sizes.
        image_size: Allowed input sizes (square images), in pixels.
        endpoints_num_filters: Allowed endpoint filters.
        filter_size_scale: Allowed backbone filter multipliers.
        resample_alpha: Allowed resampling widths; `(None,)` for the mobile family.
        block_repeats: Allowed blocks per node.
        head_num_convs: Allowed convs per head tower.
        head_num_filters: Allowed head filters.
        description: One line for listings (`edgenas spaces`).

    Raises:
        SpecError: On an empty name, a field with no values, a repeated value, a
            value a `ScalingPoint` rejects, or resample_alpha values that do not
            fit the family (None only, for mobile; no None, for ResNet-style).
    """

    name: str
    family: SpineNetFamily
    image_size: tuple[int, ...]
    endpoints_num_filters: tuple[int, ...]
    filter_size_scale: tuple[float, ...]
    resample_alpha: tuple[float | None, ...] = (None,)
    block_repeats: tuple[int, ...]
    head_num_convs: tuple[int, ...]
    head_num_filters: tuple[int, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.description, str):
            raise SpecError(f"scaling space {self.name!r}: description must be a string, got {self.description!r}")
        if not isinstance(self.name, str) or not self.name or any(c.isspace() for c in self.name):
            raise SpecError(f"a scaling space name must be a non-empty word, got {self.name!r}")
        object.__setattr__(self, "family", coerce_enum(SpineNetFamily, self.family, field="family"))
        for field in POINT_FIELDS:
            raw = getattr(self, field)
            if not isinstance(raw, (list, tuple)) or not raw:
                raise SpecError(f"scaling space {self.name!r}: {field} needs a non-empty tuple of values, got {raw!r}")
            values = tuple(raw)
            repeated = sorted({repr(v) for v in values if values.count(v) > 1})
            if repeated:
                raise SpecError(f"scaling space {self.name!r}: {field} repeats {', '.join(repeated)}")
            object.__setattr__(self, field, values)
        alphas = self.resample_alpha
        if self.family is SpineNetFamily.MOBILE and alphas != (None,):
            raise SpecError(
                f"scaling space {self.name!r} sizes mobile SpineNets, which have no resample_alpha: "
                f"resample_alpha must be (None,), got {alphas!r}"
            )
        if self.family is SpineNetFamily.RESNET and None in alphas:
            raise SpecError(
                f"scaling space {self.name!r} sizes ResNet-style SpineNets, which need a resample_alpha: "
                f"got None among {alphas!r}"
            )
        # Every value must make a valid point: vary one field at a time around the first point.
        first = {field: getattr(self, field)[0] for field in POINT_FIELDS}
        for field in POINT_FIELDS:
            for value in getattr(self, field):
                try:
                    ScalingPoint(**{**first, field: value})
                except SpecError as error:
                    raise SpecError(f"scaling space {self.name!r}: {error}") from None
        # Points store floats; keep the tuples equal to what the points hold (1 -> 1.0).
        for field in ("filter_size_scale", "resample_alpha"):
            object.__setattr__(
                self, field, tuple(None if v is None else float(v) for v in getattr(self, field))
            )

    def points(self) -> tuple[ScalingPoint, ...]:
        """Every point of the grid, in the fixed order (see the class docstring)."""
        grids = [getattr(self, field) for field in POINT_FIELDS]
        return tuple(
            ScalingPoint(**dict(zip(POINT_FIELDS, values, strict=True))) for values in itertools.product(*grids)
        )

    def __iter__(self) -> Iterator[ScalingPoint]:
        return iter(self.points())

    def __len__(self) -> int:
        return math.prod(len(getattr(self, field)) for field in POINT_FIELDS)

    def contains(self, point: ScalingPoint) -> bool:
        """Whether every field of `point` takes one of this space's values.

        Raises:
            TypeError: If `point` is not a ScalingPoint.
        """
        if not isinstance(point, ScalingPoint):
            raise TypeError(f"contains needs a ScalingPoint, got {type(point).__name__}")
        return all(getattr(point, field) in getattr(self, field) for field in POINT_FIELDS)

    def __contains__(self, point: object) -> bool:
        return self.contains(point)  # type: ignore[arg-type]

    @property
    def num_decisions(self) -> int:
        """Number of fields with more than one value (what a scaling search chooses)."""
        return sum(len(getattr(self, field)) > 1 for field in POINT_FIELDS)

    @property
    def references(self) -> tuple[str, ...]:
        """The published topologies the space sizes: the SpineNet references of its family.

        `edgenas scale --reference NAME` takes these; a searched topology of the
        same family (`--arch`) is sized as well.
        """
        return tuple(name for name in spinenet_reference_names() if spinenet_reference(name).family is self.family)

    @property
    def task(self) -> Task:
        """What the sized networks do: the task of the family of SpineNet detectors."""
        return family_of_type(SpineNetSpec).task

    def check_family(self, spec: SpineNetSpec) -> None:
        """Checks that this space can size `spec` (same family).

        Raises:
            SpecError: If `spec` is not a SpineNetSpec or is of the other family;
                the message names the registered spaces for its family.
        """
        if not isinstance(spec, SpineNetSpec):
            raise SpecError(f"scaling space {self.name!r} sizes a SpineNetSpec, got {type(spec).__name__}")
        if spec.family is self.family:
            return
        suited = [name for name in scaling_space_names() if _SPACES.get(name).family is spec.family]
        raise SpecError(
            f"scaling space {self.name!r} sizes {self.family.value} SpineNets, got a {spec.family.value} spec; "
            f"spaces for {spec.family.value} SpineNets: {', '.join(suited) or 'none'}"
        )

    def detectors(self, spec: SpineNetSpec, *, head: DetectionHeadSpec | None = None) -> tuple[ScaledDetector, ...]:
        """Every point applied to `spec`'s topology, in `points()` order.

        Args:
            spec: The backbone whose topology to size.
            head: The head whose anchors and conv type to keep (see `ScalingPoint.apply`).

        Raises:
            SpecError: If the space does not suit `spec`'s family, or a point does
                not suit `spec` (see `ScalingPoint.apply`).
        """
        self.check_family(spec)
        return tuple(point.apply(spec, head=head) for point in self.points())


SPINENET_SCALING = ScalingSpace(
    name="spinenet_scaling",
    family=SpineNetFamily.RESNET,
    image_size=(512, 640),
    endpoints_num_filters=(192, 256),
    filter_size_scale=(0.8, 1.0, 1.2),
    resample_alpha=(0.75, 1.0, 1.25),
    block_repeats=(2, 3, 4),
    head_num_convs=(4, 5),
    head_num_filters=(192, 256),
    description="ResNet-style SpineNet detectors at 512-640 px",
)
"""Scaling of ResNet-style SpineNets at 512-640 pixels (432 points)."""

SPINENET_MOBILE_SCALING = ScalingSpace(
    name="spinenet_mobile_scaling",
    family=SpineNetFamily.MOBILE,
    image_size=(256, 384),
    endpoints_num_filters=(24, 32, 40, 48),
    filter_size_scale=(0.6, 0.65, 0.8, 1.0),
    resample_alpha=(None,),
    block_repeats=(1, 2),
    head_num_convs=(3, 4),
    head_num_filters=(24, 32, 40, 48),
    description="SpineNet-Mobile detectors at 256-384 px",
)
"""Scaling of SpineNet-Mobile at 256-384 pixels (512 points; the module docstring says where the values come from)."""

_SPACES = Registry[str, ScalingSpace]("scaling space")


def register_scaling_space(space: ScalingSpace, *, replace: bool = False) -> None:
    """Registers `space` under its name.

    Args:
        space: The space.
        replace: Allow replacing a space registered under the same name.

    Raises:
        TypeError: If `space` is not a ScalingSpace.
        DuplicateNameError: If the name is taken and `replace` is false; the message lists the known names.
    """
    if not isinstance(space, ScalingSpace):
        raise TypeError(f"register_scaling_space needs a ScalingSpace, got {type(space).__name__}")
    _SPACES.register(space.name, space, replace=replace)


def unregister_scaling_space(name: str) -> None:
    """Removes the space registered under `name`.

    Raises:
        UnknownNameError: If no space has that name; the message lists the known names.
    """
    _SPACES.unregister(name)


def get_scaling_space(name: str) -> ScalingSpace:
    """The scaling space registered under `name`.

    Raises:
        UnknownNameError: If no space has that name; the message lists the known names.
    """
    return _SPACES.get(name)


def scaling_space_names() -> tuple[str, ...]:
    """The registered scaling space names, sorted."""
    return _SPACES.names()


for _space in (SPINENET_SCALING, SPINENET_MOBILE_SCALING):
    register_scaling_space(_space)
del _space
