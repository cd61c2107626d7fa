"""Faces in photos: detection, eye alignment and the crops datasets and ``predict`` share."""
