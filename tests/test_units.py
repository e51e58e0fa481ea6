import pytest
from hypothesis import given, strategies as st

from assessment.model.units import format_duration, parse_bool, parse_decimal, parse_duration


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("45:30", 45.5),
        ("0:45:30", 45.5),
        ("1:05:30", 65.5),
        ("45'30", 45.5),
        ("45'30\"", 45.5),
        ("45' 30''", 45.5),
        ("1h05'30", 65.5),
        ("45", 45.0),
        ("45,75", 45.75),
        ("41.333", 41.333),
        ("5h21", 321.0),
        ("5h21m", 321.0),
        ("1h05'", 65.0),
        ("45 min", 45.0),
        ("2 h 10 min 30 s", 130.5),
        (38, 38.0),
        (45.3, 45.3),
        ("3:36:40", 216 + 40 / 60),
    ],
)
def test_parse_duration_accepts_the_formats_people_type(text, minutes):
    assert parse_duration(text) == pytest.approx(minutes)


@pytest.mark.parametrize("text", ["", "abc", "45:75", "1:61:00", "-5", "0", "1:2:3:4", True])
def test_parse_duration_refuses_nonsense_with_a_reason(text):
    with pytest.raises(ValueError) as exc:
        parse_duration(text)
    assert str(exc.value)


@given(st.integers(min_value=1, max_value=30 * 3600))
def test_duration_format_parse_round_trip(seconds):
    assert round(parse_duration(format_duration(seconds / 60)) * 60) == seconds


@pytest.mark.parametrize("text, value", [("4,5", 4.5), ("4.5", 4.5), (" 61,25 ", 61.25), ("7", 7.0), (3, 3.0)])
def test_parse_decimal_accepts_decimal_commas(text, value):
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["1,234.5", "nan", "inf", "x", True])
def test_parse_decimal_refuses_ambiguous_or_non_finite(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


@pytest.mark.parametrize("text", ["yes", "Y", "true", "1", "sí", "si", "bai", "oui", True])
def test_yes_in_four_languages(text):
    assert parse_bool(text) is True


@pytest.mark.parametrize("text", ["no", "N", "false", "0", "ez", "non", False])
def test_no_in_four_languages(text):
    assert parse_bool(text) is False


def test_parse_bool_refuses_maybe():
    with pytest.raises(ValueError, match="yes or no"):
        parse_bool("maybe")
