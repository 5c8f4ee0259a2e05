"""The versioned JSON form of a policy, strict parsing, and policy files written atomically.

    {"schema": "edgenas.augment_policy", "version": 1, "space": "randaugment_detection",
     "num_ops": 2, "magnitude": 7}
    {"schema": "edgenas.augment_policy", "version": 1, "space": "autoaugment_segmentation",
     "sub_policies": [[{"op": "Equalize", "index": 0, "magnitude": 3, "probability": 0.4}, {...}], ...]}

An AutoAugment op is stored by its bank index and its name; parsing checks
that the two agree, so a file written against another bank is refused rather
than read as other ops.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from edgenas.augment.errors import PolicyError, PolicyParseError
from edgenas.augment.policy import AutoAugmentPolicy, OpSetting, Policy, PolicyKind, RandAugmentPolicy
from edgenas.augment.spaces import AugmentSpace, augment_space_names, get_augment_space, is_augment_space

__all__ = ["POLICY_SCHEMA", "POLICY_VERSION", "load_policy", "parse_policy", "policy_to_json", "save_policy"]

POLICY_SCHEMA = "edgenas.augment_policy"
POLICY_VERSION = 1
_KEYS = {
    PolicyKind.RANDAUGMENT: {"schema", "version", "space", "num_ops", "magnitude"},
    PolicyKind.AUTOAUGMENT: {"schema", "version", "space", "sub_policies"},
}
_OP_KEYS = {"op", "index", "magnitude", "probability"}


def policy_to_json(policy: Policy) -> dict[str, Any]:
    """The policy's JSON object (`parse_policy` reads it back to an equal policy)."""
    head: dict[str, Any] = {"schema": POLICY_SCHEMA, "version": POLICY_VERSION, "space": policy.space}
    if isinstance(policy, RandAugmentPolicy):
        return {**head, "num_ops": policy.num_ops, "magnitude": policy.magnitude}
    if isinstance(policy, AutoAugmentPolicy):
        return {**head, "sub_policies": [
            [{"op": str(policy.op(s)), "index": s.op_index, "magnitude": s.magnitude, "probability": s.probability}
             for s in sub]
            for sub in policy.sub_policies
        ]}  # fmt: skip
    raise PolicyError(f"not an augmentation policy: {policy!r}")


def _space(data: dict[str, Any]) -> AugmentSpace:
    """The registered augmentation space the policy names."""
    name = data.get("space")
    if not is_augment_space(name):
        raise PolicyParseError(f"policy JSON: unknown space {name!r}; known: {', '.join(augment_space_names())}")
    return get_augment_space(name)


def _op(raw: object, where: str) -> tuple[OpSetting, str]:
    if not isinstance(raw, dict) or set(raw) != _OP_KEYS:
        keys = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise PolicyParseError(f"policy JSON: {where} must be an object with keys {sorted(_OP_KEYS)}, got {keys}")
    try:
        return OpSetting(op_index=raw["index"], magnitude=raw["magnitude"], probability=raw["probability"]), raw["op"]
    except PolicyError as error:
        raise PolicyParseError(f"policy JSON: {where}: {error}") from None


def parse_policy(data: dict[str, Any] | str, *, space: str | None = None) -> Policy:
    """Reads a policy from its JSON object or text, strictly.

    Args:
        data: A dict or JSON text.
        space: When given, the space the policy must belong to (e.g. "randaugment_detection").

    Raises:
        PolicyParseError: Malformed JSON, another schema or version, missing or unknown keys, an invalid value,
            an op whose name is not the one at its index, or a policy of another space than `space`.
    """
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            raise PolicyParseError(f"policy JSON is malformed: {error}") from None
    if not isinstance(data, dict):
        raise PolicyParseError(f"a policy must be a JSON object, got {type(data).__name__}")
    if data.get("schema") != POLICY_SCHEMA:
        raise PolicyParseError(f"policy JSON schema must be {POLICY_SCHEMA!r}, got {data.get('schema')!r}")
    version = data.get("version")
    if version != POLICY_VERSION or isinstance(version, bool):
        raise PolicyParseError(f"policy JSON version {version!r} is not one this edgenas reads ({POLICY_VERSION})")
    named = _space(data)
    kind, task = named.kind, named.task
    if space is not None and data["space"] != space:
        raise PolicyParseError(f"the policy is for {data['space']!r}, not {space!r}")
    expected = _KEYS[kind]
    if set(data) != expected:
        raise PolicyParseError(
            f"policy JSON: missing keys {sorted(expected - set(data))}, unknown keys {sorted(set(data) - expected)}"
        )
    try:
        if kind is PolicyKind.RANDAUGMENT:
            return RandAugmentPolicy(task=task, num_ops=data["num_ops"], magnitude=data["magnitude"])
        raw_subs = data["sub_policies"]
        if not isinstance(raw_subs, list) or not all(isinstance(sub, list) for sub in raw_subs):
            raise PolicyParseError("policy JSON: 'sub_policies' must be a list of lists of ops")
        parsed = [[_op(raw, f"sub-policy {i} op {k}") for k, raw in enumerate(sub)] for i, sub in enumerate(raw_subs)]
        policy = AutoAugmentPolicy(task=task, sub_policies=tuple(tuple(s for s, _ in sub) for sub in parsed))
    except PolicyParseError:
        raise
    except PolicyError as error:
        raise PolicyParseError(f"policy JSON: {error}") from None
    for i, sub in enumerate(parsed):
        for k, (setting, name) in enumerate(sub):
            if name != policy.op(setting):
                actual = str(policy.op(setting))
                raise PolicyParseError(f"policy JSON: sub-policy {i} op {k} names {name!r}, but index "
                                       f"{setting.op_index} of the {task} bank is {actual!r}")  # fmt: skip
    return policy


def save_policy(policy: Policy, path: str | os.PathLike[str]) -> Path:
    """Writes the policy's JSON to `path` (its folder created), atomically: a reader never sees half a file."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_text(json.dumps(policy_to_json(policy), indent=2) + "\n")
    os.replace(partial, out)
    return out


def load_policy(path: str | os.PathLike[str], *, space: str | None = None) -> Policy:
    """Reads a policy file (`save_policy`'s form), strictly; `space` as in `parse_policy`.

    Raises:
        PolicyParseError: A missing or unreadable file, or anything `parse_policy` refuses (the path is named).
    """
    file = Path(path)
    try:
        text = file.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyParseError(f"cannot read policy file {str(file)!r}: {error}") from None
    try:
        return parse_policy(text, space=space)
    except PolicyParseError as error:
        raise PolicyParseError(f"{file}: {error}") from None
