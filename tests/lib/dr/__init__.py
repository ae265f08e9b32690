"""Tests of the demand-response event model."""
