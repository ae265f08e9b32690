"""Tests of the Denki integration."""
