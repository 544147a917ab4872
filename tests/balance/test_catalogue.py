"""The measure catalogue: every key has a unit and a plain name; the headline sets are measures."""

from __future__ import annotations

import pytest

from balance import catalogue
from balance.sway import MEASURES


def test_every_key_has_a_unit_a_name_and_an_entry() -> None:
    keys = catalogue.all_keys()
    assert len(keys) == len(set(keys)) == len(MEASURES) + len(catalogue.PROTOCOL_MEASURES)
    for k in keys:
        info = catalogue.info(k)
        assert info is not None and info.key == k
        assert catalogue.unit(k) == info.unit
        name = catalogue.name(k)
        assert name and name[0].isupper() and name != k
        # coach's words: no bare "CoP", no "resultant", ML/AP said in plain words
        assert "CoP" not in name and "resultant" not in name.lower()
        assert "mediolateral" not in name.lower() and "anteroposterior" not in name.lower()


@pytest.mark.parametrize(
    "headline",
    [catalogue.LEFT_RIGHT_TABLE, catalogue.REPORT_BARS, catalogue.REPORT_SUMMARY_ORDER, catalogue.PROTOCOL_DEFAULT,
     catalogue.HISTORY_DEFAULT, catalogue.PROGRESS_DEFAULT, catalogue.ANALYZE_TABLE["standard"]],
)
def test_headline_sets_are_catalogue_measures(headline) -> None:
    assert set(headline) <= set(MEASURES) and len(set(headline)) == len(headline)


def test_words_say_the_axis_plainly_with_the_technical_word_beside() -> None:
    w = catalogue.words("mean_velocity_ml_mm_s")
    assert (w.name, w.what, w.sway_like) == ("Side-to-side sway speed", "side-to-side (mediolateral) sway", True)
    assert catalogue.words("rms_ap_mm").what == "front-back (anteroposterior) sway"
    assert catalogue.words("prediction_ellipse_area_mm2").what == "sway"
    assert catalogue.words("weight_left_pct").what == "load share" and not catalogue.words("weight_left_pct").sway_like
    # unknown keys: unit from the suffix, the key as the name
    assert catalogue.unit("foo_mm2_s") == "mm²/s" and catalogue.unit("foo") == "1" and catalogue.name("foo") == "foo"


def test_views_use_the_catalogue() -> None:
    from balance.app import console, report
    from balance.app.commands import analyze, history
    from protocols import library, spec

    assert console.KEY_MEASURES == catalogue.LEFT_RIGHT_TABLE and report.KEY_MEASURES == catalogue.REPORT_BARS
    assert analyze.KEY_MEASURES == catalogue.ANALYZE_TABLE and history.DEFAULT_MEASURES == catalogue.HISTORY_DEFAULT
    assert spec.ProtocolSpec.__dataclass_fields__["measures"].default == catalogue.PROTOCOL_DEFAULT
    assert tuple(library.get_protocol("single-leg").measures) == catalogue.PROTOCOL_DEFAULT
    assert console.MEASURE_WORDS["rms_ml_mm"] == catalogue.name("rms_ml_mm")
