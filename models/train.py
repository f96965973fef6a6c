"""``python -m models.train``: kept here for the command; the trainer is ``models/training/train.py``."""
import runpy

if __name__ == "__main__":
    runpy.run_module("models.training.train", run_name="__main__", alter_sys=True)
