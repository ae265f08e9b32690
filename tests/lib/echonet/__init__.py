"""Tests of the ECHONET Lite library."""
