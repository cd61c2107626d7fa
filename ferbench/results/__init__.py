"""The results store: one JSON record per cell, written atomically, resumable."""
