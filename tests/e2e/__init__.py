"""End-to-end tests: a real Home Assistant process started as a developer would."""
