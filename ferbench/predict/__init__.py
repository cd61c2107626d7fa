"""Fitted models after the run: the model-file format, explanations (Grad-CAM, landmarks), and
``ferbench predict`` on a user's photos."""
