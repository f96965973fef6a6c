"""Hand-written phenomenon suites (TSV files here); ``python -m benchmarks.suites`` scores the models on them."""
