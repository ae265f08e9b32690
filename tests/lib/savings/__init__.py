"""Tests of the demand-response baseline and savings (ERAB High 4 of 5)."""
