"""The dtype of every array a figure sends to the browser."""
from __future__ import annotations

import numpy as np

FLOAT = np.float32  # plotly 7 sends float32 numpy arrays as typed arrays (float16 falls back to lists)
