"""Turning datasets into train/test cells and predictions into numbers: protocols, metrics,
confidence intervals and tests, calibration, corruptions and ensembles."""
