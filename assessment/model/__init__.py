"""The runner's side: the profile model, units as people type them, reading and writing files.

Modules: ``profile`` (Profile, RaceResult and their checks), ``units`` (durations,
decimals, yes/no), ``io`` (documents in, atomic writes out). Imports nothing else of the package.
"""
