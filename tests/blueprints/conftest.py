"""The aggregator's fixtures, for the blueprint that reads its calendar."""

from tests.aggregator.conftest import vtn  # noqa: F401 - the simulated VTN
