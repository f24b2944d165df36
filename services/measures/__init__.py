"""Measures: tiltak from proposal to reported effect."""
