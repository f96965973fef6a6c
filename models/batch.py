"""``python -m models.batch``: kept here for the command; batch recording is ``models/files/batch.py``."""
import runpy

if __name__ == "__main__":
    runpy.run_module("models.files.batch", run_name="__main__", alter_sys=True)
