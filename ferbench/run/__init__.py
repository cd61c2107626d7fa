"""Executing a run: the immutable plan, one job at a time, serial, process-pool or Ray."""
