"""Side-by-side benchmarks against peer libraries (not shipped)."""
