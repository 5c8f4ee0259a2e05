"""Policy files: versioned JSON, strict parsing with one clear error each, atomic writes."""

import json

import pytest

from edgenas.augment import (
    POLICY_VERSION,
    PolicyParseError,
    RandAugmentPolicy,
    get_augment_space,
    load_policy,
    parse_policy,
    policy_to_json,
    save_policy,
)


def test_every_space_round_trips_through_a_file(tmp_path):
    for name in ("randaugment_detection", "randaugment_segmentation", "autoaugment_detection",
                 "autoaugment_segmentation"):  # fmt: skip
        for seed in range(5):
            policy = get_augment_space(name).sample(seed=seed)
            path = save_policy(policy, tmp_path / name / f"{seed}.json")
            assert load_policy(path) == policy and load_policy(path, space=name) == policy
            assert not list(path.parent.glob("*.partial"))


def test_the_file_form_is_readable_json():
    policy = RandAugmentPolicy(task="segmentation", num_ops=1, magnitude=10)
    assert policy_to_json(policy) == {"schema": "edgenas.augment_policy", "version": 1,
                                      "space": "randaugment_segmentation", "num_ops": 1, "magnitude": 10}  # fmt: skip
    auto = policy_to_json(get_augment_space("autoaugment_detection").sample(seed=1))
    first = auto["sub_policies"][0][0]
    assert set(first) == {"op", "index", "magnitude", "probability"} and len(auto["sub_policies"]) == 5


def _auto_json():
    return policy_to_json(get_augment_space("autoaugment_detection").sample(seed=2))


def _with(**changes):
    data = policy_to_json(RandAugmentPolicy(task="detection", num_ops=2, magnitude=7))
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "policy JSON is malformed"),
        ("[1, 2]", "a policy must be a JSON object, got list"),
        (_with(schema="edgenas.spec"), "schema must be 'edgenas.augment_policy'"),
        (_with(version=2), "version 2 is not one this edgenas reads (1)"),
        (_with(version=True), "version True is not one"),
        (_with(space="randaugment_classification"), "unknown space 'randaugment_classification'; known: "),
        (_with(space=7), "unknown space 7"),
        (_with(extra=1), "unknown keys ['extra']"),
        ({k: v for k, v in _with().items() if k != "magnitude"}, "missing keys ['magnitude']"),
        (_with(magnitude=12), "magnitude must be one of 1..10, got 12"),
        (_with(num_ops="2"), "num_ops must be an integer"),
        (_with(space="autoaugment_detection"), "missing keys ['sub_policies'], unknown keys ['magnitude', 'num_ops']"),
    ],
)
def test_bad_policy_json_is_one_clear_error(data, message):
    with pytest.raises(PolicyParseError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        parse_policy(data if isinstance(data, str) else json.dumps(data))


def test_bad_autoaugment_ops_are_named_by_position():
    data = _auto_json()
    data["sub_policies"][3][1]["probability"] = 0.35
    with pytest.raises(PolicyParseError, match="sub-policy 3 op 1: probability must be one of 0.0, 0.1"):
        parse_policy(data)
    data = _auto_json()
    data["sub_policies"][2][0]["op"] = "Posterize"
    with pytest.raises(PolicyParseError, match="sub-policy 2 op 0 names 'Posterize', but index"):
        parse_policy(data)
    data = _auto_json()
    del data["sub_policies"][1][0]["index"]
    with pytest.raises(PolicyParseError, match="sub-policy 1 op 0 must be an object with keys"):
        parse_policy(data)
    data = _auto_json()
    data["sub_policies"] = data["sub_policies"][:4]
    with pytest.raises(PolicyParseError, match="has 5 sub-policies"):
        parse_policy(data)
    data = _auto_json()
    data["sub_policies"][0] = {"op": "Equalize"}
    with pytest.raises(PolicyParseError, match="must be a list of lists of ops"):
        parse_policy(data)


def test_a_policy_of_another_space_or_a_missing_file_is_refused(tmp_path):
    path = save_policy(RandAugmentPolicy(task="detection", num_ops=2, magnitude=7), tmp_path / "p.json")
    with pytest.raises(PolicyParseError, match="is for 'randaugment_detection', not 'randaugment_segmentation'"):
        load_policy(path, space="randaugment_segmentation")
    with pytest.raises(PolicyParseError, match="cannot read policy file"):
        load_policy(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe")
    with pytest.raises(PolicyParseError, match="cannot read policy file"):
        load_policy(tmp_path / "bad.json")
    (tmp_path / "old.json").write_text(json.dumps({**json.loads(path.read_text()), "version": POLICY_VERSION + 1}))
    with pytest.raises(PolicyParseError, match="old.json: policy JSON version 2"):
        load_policy(tmp_path / "old.json")
