"""``python -m models.train_lm``: kept here for the command; the trainer is ``models/training/train_lm.py``."""
import runpy

if __name__ == "__main__":
    runpy.run_module("models.training.train_lm", run_name="__main__", alter_sys=True)
