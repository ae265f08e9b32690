"""The one error the savings computation raises, saying what is wrong with the input."""


class BaselineError(ValueError):
    """The input cannot give a baseline.

    Raised for a naive or misaligned timestamp, an event window that is empty
    or spans more than one day, a bad meter value, or when not a single usable
    day of the event day's type exists in the look-back period.
    """
