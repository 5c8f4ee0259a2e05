"""Learned per-device latency predictors (features from specs, lookup tables, regressors).

Not built yet: see the latency-predictor issue. This package must never import
TensorFlow at import time.
"""
