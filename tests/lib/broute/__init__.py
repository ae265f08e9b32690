"""Tests of the B-route library."""
