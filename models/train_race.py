"""``python -m models.train_race``: kept here for the command; the trainer is ``models/training/train_race.py``."""
import runpy

if __name__ == "__main__":
    runpy.run_module("models.training.train_race", run_name="__main__", alter_sys=True)
