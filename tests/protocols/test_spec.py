"""Declarative specs: JSON round trip, plans, options, and errors that say what to fix."""

from __future__ import annotations

import json

import pytest

from protocols.library import PROTOCOL_DATA, PROTOCOLS, get_protocol, load_protocol, protocol_names
from protocols.spec import Block, FailureRules, ProtocolSpec, SpecError, StartRule


@pytest.mark.parametrize("name", sorted(PROTOCOLS))
def test_shipped_specs_round_trip_through_json(name, tmp_path):
    spec = PROTOCOLS[name]
    text = spec.to_json()
    again = ProtocolSpec.from_json(text)
    assert again == spec
    assert json.loads(text) == spec.to_dict()
    p = tmp_path / f"{name}.json"
    p.write_text(text, encoding="utf-8")
    assert ProtocolSpec.load(p) == spec == load_protocol(p)


def test_shipped_data_is_the_spec():
    for name, data in PROTOCOL_DATA.items():
        assert ProtocolSpec.from_dict(data) == PROTOCOLS[name]
    assert protocol_names() == ["single-leg", "bilateral", "squat", "before-after"]


def test_single_leg_default_plan_alternates_three_per_side():
    plan = get_protocol("single-leg").plan()
    assert [(p.side, p.trial_index) for p in plan] == [
        ("left", 1), ("right", 1), ("left", 2), ("right", 2), ("left", 3), ("right", 3)
    ]  # fmt: skip
    assert all(p.duration_s == 30.0 and p.eyes == "open" and not p.practice for p in plan)
    spec = get_protocol("single-leg")
    assert spec.trim_s == 2.0 and spec.start.stable_s == 2.0


def test_options_and_practice():
    spec = get_protocol("single_leg", trials_per_side=2, duration_s=20, eyes="closed", practice=True)
    plan = spec.plan()
    assert [(p.side, p.practice) for p in plan[:2]] == [("left", True), ("right", True)]
    assert len(plan) == 2 + 4
    assert {p.condition for p in plan} == {"eyes_closed"}
    assert {p.duration_s for p in plan} == {20.0}
    # bilateral keeps eyes open then closed whatever --eyes says
    bil = get_protocol("bilateral", eyes="closed").plan()
    assert [p.condition for p in bil] == ["eyes_open", "eyes_closed"]
    ba = get_protocol("before-after", trials_per_side=1).plan()
    assert [p.condition for p in ba] == ["before/eyes_open"] * 2 + ["after/eyes_open"] * 2


def test_a_new_protocol_is_data():
    data = {
        "name": "tandem_foam",
        "title": "Blocked single-leg on foam, eyes closed",
        "comparison": "left_right",
        "blocks": [{"stance": "single_leg", "sides": ["right", "left"], "trials_per_side": 2,
                    "duration_s": 20, "eyes": "closed", "surface": "foam", "order": "blocked"}],
        "failure": {"touch_down_drop_pct_bw": 20, "kinds": ["touch_down", "step_off"]},
        "start": {"stable_s": 1.5, "countdown_s": 0},
        "measures": ["rms_ml_mm"],
    }
    spec = ProtocolSpec.from_json(json.dumps(data))
    assert [(p.side, p.trial_index, p.condition) for p in spec.plan()] == [
        ("right", 1, "eyes_closed_foam"), ("right", 2, "eyes_closed_foam"),
        ("left", 1, "eyes_closed_foam"), ("left", 2, "eyes_closed_foam"),
    ]  # fmt: skip
    assert spec.failure == FailureRules(touch_down_drop_pct_bw=20, kinds=("touch_down", "step_off"))
    assert spec.start == StartRule(stable_s=1.5, countdown_s=0)
    assert ProtocolSpec.from_dict(spec.to_dict()) == spec


@pytest.mark.parametrize(
    "change,match",
    [
        ({"blocks": []}, "no blocks"),
        ({"colour": "red"}, "unknown keys \\['colour'\\]"),
        ({"blocks": [{"stance": "single_leg", "sides": ["both"]}]}, "not 'both'"),
        ({"blocks": [{"stance": "single_leg", "sides": ["up"]}]}, "'up'"),
        ({"blocks": [{"stance": "single_leg", "trials_per_side": 0}]}, "trials_per_side"),
        ({"blocks": [{"stance": "single_leg", "duration_s": 1.0}]}, "exceed trim_s"),
        ({"blocks": [{"stance": "squat", "sides": ["both"]}], "comparison": "squat"}, "reps"),
        ({"blocks": [{"stance": "single_leg", "sides": ["left"]}]}, "both 'left' and 'right'"),
        ({"failure": {"touch_down_drop_pct_bw": 150}}, "touch_down_drop_pct_bw"),
        ({"failure": {"kinds": ["sneeze"]}}, "sneeze"),
        ({"start": {"stable_s": 0}}, "stable_s"),
        ({"comparison": "vibes"}, "vibes"),
        ({"blocks": [{"stance": "single_leg", "eyes": "shut"}]}, "eyes"),
    ],
)
def test_bad_specs_say_what_to_fix(change, match):
    data = json.loads(json.dumps(PROTOCOL_DATA["single_leg"]))
    data.update(change)
    with pytest.raises(SpecError, match=match):
        ProtocolSpec.from_dict(data)


def test_bad_json_and_names():
    with pytest.raises(SpecError, match="not valid"):
        ProtocolSpec.from_json("{not json")
    with pytest.raises(SpecError, match="no 'blocks'"):
        ProtocolSpec.from_dict({"name": "x", "title": "y"})
    with pytest.raises(SpecError, match="unknown protocol 'yoga'.*single-leg"):
        get_protocol("yoga")


def test_block_validation_direct():
    with pytest.raises(SpecError, match="sides"):
        Block(stance="bilateral", sides=("left",))
    assert Block(stance="bilateral", sides=("both",), phase="after").condition == "after/eyes_open"
