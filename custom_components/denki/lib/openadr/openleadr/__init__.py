# mypy: ignore-errors
# SPDX-License-Identifier: Apache-2.0
# Copyright 2020 Contributors to OpenLEADR; changes for Denki as README.md beside this file says.
"""The OpenADR 2.0b client (VEN) half of OpenLEADR 0.5.36, vendored: see README.md beside this file."""

from . import enums, objects
from .client import OpenADRClient
from .messaging import validate_xml_schema

__all__ = ["OpenADRClient", "enums", "objects", "validate_xml_schema"]
