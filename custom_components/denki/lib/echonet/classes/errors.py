"""Errors of the ECHONET Lite class data: values that do not fit a property."""

from ..errors import EchonetError


class PropertyValueError(EchonetError, ValueError):
    """EDT or a value that the property's specification does not allow; the message says why.

    Raised for a wrong length, a value out of range, an enum code the
    specification does not list, or a Python value of the wrong kind to encode.
    """


class UnknownPropertyError(PropertyValueError):
    """A value to encode for a class or property the data does not describe."""
