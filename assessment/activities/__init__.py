"""From the runner's own activity files to profile values (``zegama import``).

Modules: ``read`` (FIT, GPX, TCX, gzip, folders and zip exports into tracks), ``derive`` (weekly
volume, the longest climb and run, estimates of the uphill test and the VK, heart-rate drift),
``scan`` (an export streamed file by file). Imports ``model``.
"""
