"""Tests of the library half (no Home Assistant)."""
