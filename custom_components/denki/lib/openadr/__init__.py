"""OpenADR: a VEN client for the aggregator's VTN. Nothing here imports Home Assistant."""

from .client import Openadr3Client, OpenadrAuthError, OpenadrConnectionError, OpenadrError

__all__ = ["Openadr3Client", "OpenadrAuthError", "OpenadrConnectionError", "OpenadrError"]
