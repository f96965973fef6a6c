"""Asking the model: edits inside its steps (intervene), gradients, and the classic experiments."""
