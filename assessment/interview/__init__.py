"""The questionnaire at the terminal: the declarative questionnaire, answers as typed, the session.

Modules: ``questionnaire`` (format, loading, checks), ``answers`` (what people type -> values),
``session`` (asking, review, save and resume). Imports ``model`` and ``rules``.
"""
