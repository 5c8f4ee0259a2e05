"""``edgenas augment``: augmentation policies; ``augment preview`` draws what a policy does to generated images.

The policy file and the out path are checked before TensorFlow is imported:
a bad one is a one-line error at once, and nothing is written.
"""

from __future__ import annotations

import argparse
from typing import Any

from edgenas.cli.args import int_in_range, non_negative_int, one_of
from edgenas.cli.errors import CliError

__all__ = ["add_augment_parser", "cmd_augment"]

# Mirrors edgenas.augment.preview_sizes (MAX_IMAGES, MAX_DRAWS, IMAGE_SIZES_PX), not imported so that `edgenas
# --help` reads no augmentation module; tests/edgenas/cli/test_augment.py checks that the two agree.
_MAX_IMAGES = _MAX_DRAWS = 64
_IMAGE_SIZES_PX = (16, 1024)


def add_augment_parser(sub: Any) -> None:
    """Adds ``augment preview`` to the CLI's sub-commands."""
    augment = sub.add_parser("augment", help="augmentation policies: preview what one does to images")
    actions = augment.add_subparsers(dest="augment_command", required=True, metavar="ACTION")
    preview = actions.add_parser(
        "preview", help="write a PNG grid: generated images of the policy's task, each followed by augmented "
                        "draws with their boxes or masks and, under each, the ops applied")  # fmt: skip
    preview.add_argument("--policy", required=True, metavar="FILE",
                         help="a policy file (edgenas.augment.save_policy's JSON)")  # fmt: skip
    preview.add_argument("--task", type=one_of("detection", "segmentation"), metavar="{detection,segmentation}",
                         help="must be the policy's task when given (default: the policy's)")  # fmt: skip
    preview.add_argument("--out", required=True, metavar="PNG", help="the PNG to write (its folder is created)")
    preview.add_argument("--images", type=int_in_range(1, _MAX_IMAGES), default=4,
                         help=f"rows: generated images (default 4, at most {_MAX_IMAGES})")  # fmt: skip
    preview.add_argument("--draws", type=int_in_range(1, _MAX_DRAWS), default=3,
                         help=f"augmented draws of each image (default 3, at most {_MAX_DRAWS})")  # fmt: skip
    preview.add_argument("--seed", type=non_negative_int, default=0,
                         help="seed of the generated images and of the draws: draw d of image i uses "
                              "apply_policy seed (SEED, i * DRAWS + d) (default 0)")  # fmt: skip
    preview.add_argument("--image-size", type=int_in_range(*_IMAGE_SIZES_PX), default=128, metavar="PX",
                         help="side of the generated square images in pixels (default 128)")  # fmt: skip


def _cmd_preview(args: argparse.Namespace) -> int:
    from edgenas.augment.policy_json import load_policy  # noqa: PLC0415
    from edgenas.augment.preview import check_preview_path  # noqa: PLC0415

    policy = load_policy(args.policy)
    if args.task is not None and args.task != policy.task:
        raise CliError(f"--task {args.task} does not match the policy's task {policy.task} ({args.policy} is a "
                       f"{policy.space} policy)")  # fmt: skip
    check_preview_path(args.out)
    from edgenas.augment.preview import write_preview  # noqa: PLC0415  (imports TensorFlow and matplotlib)

    path = write_preview(policy, args.out, images=args.images, draws=args.draws, seed=args.seed,
                         image_size_px=args.image_size)  # fmt: skip
    print(f"wrote {path}: {policy.space}, {args.images} image(s) x {args.draws} draw(s), seed {args.seed}")
    return 0


def cmd_augment(args: argparse.Namespace) -> int:
    """Runs an ``edgenas augment`` action."""
    actions = {"preview": _cmd_preview}
    return actions[args.augment_command](args)
