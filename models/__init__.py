"""torch side of the project: tokenizer, recorder, models, training, exports."""

VERSION = "0.13.0"  # the project's version, written into every export's provenance
