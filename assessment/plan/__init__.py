"""The plan to race day, week by week, and its calendar (``zegama plan``).

Modules: ``build`` (the weeks, their sessions and load, the milestones), ``render`` (table,
markdown, JSON), ``ics`` (the calendar, RFC 5545, with stable UIDs). Imports ``model``, ``rules``
and ``report``.
"""

from .build import Plan, PlanError, build_plan

__all__ = ["Plan", "PlanError", "build_plan"]
