"""The runner's side: the profile model, units as people type them, reading and writing files.

Modules: ``profile`` (Profile, RaceResult and their checks), ``units`` (durations,
decimals, yes/no), ``vocabulary`` (the words for each value and column, in English, Spanish
and Basque), ``io`` (documents in, atomic writes out). Imports nothing else of the package.
"""
