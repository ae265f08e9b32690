"""The retry policy: how long each attempt waits."""

import pytest

from custom_components.denki.lib.echonet import RetryPolicy


def test_each_attempt_waits_longer_up_to_the_cap() -> None:
    assert RetryPolicy().timeouts() == (3.0, 6.0, 12.0)
    assert RetryPolicy(timeout=1.0, attempts=5, backoff=3.0, max_timeout=10.0).timeouts() == (
        1.0,
        3.0,
        9.0,
        10.0,
        10.0,
    )
    assert RetryPolicy(timeout=2.0, attempts=1).timeouts() == (2.0,)
    assert RetryPolicy(timeout=0.5, attempts=3, backoff=1.0).timeouts() == (0.5, 0.5, 0.5)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"timeout": 0.0}, "positive"),
        ({"timeout": 30.0}, "at least timeout"),
        ({"attempts": 0}, "at least once"),
        ({"backoff": 0.5}, "must not shorten"),
    ],
)
def test_nonsense_is_refused(arguments: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**arguments)  # type: ignore[arg-type]
