"""Tests of the OpenADR client."""
