"""zegama-assess: how far a runner is from what Zegama-Aizkorri demands.

The public API, importable with no side effects (no engine threads, no files)::

    from assessment import assess, load_rulebase, Profile, Report
    report = assess({"runner_id": "ane", "vk_time": "48:30"}, as_of="2026-12-01")
    print(report.model_dump_json())
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "assess",
    "load_rulebase",
    "load_profile",
    "Profile",
    "RaceResult",
    "Report",
    "RuleBase",
    "ProfileError",
    "RuleFileError",
    "AssessmentError",
    "estimate_finish",
    "Estimate",
    "EstimateError",
]

_WHERE = {
    "assess": "assessment.pipeline",
    "AssessmentError": "assessment.pipeline",
    "load_rulebase": "assessment.rules.rulebase",
    "RuleBase": "assessment.rules.rulebase",
    "RuleFileError": "assessment.rules.rulebase",
    "load_profile": "assessment.model.profile",
    "Profile": "assessment.model.profile",
    "RaceResult": "assessment.model.profile",
    "ProfileError": "assessment.model.profile",
    "Report": "assessment.report.model",
    "estimate_finish": "assessment.pipeline",
    "Estimate": "assessment.estimate.finish",
    "EstimateError": "assessment.estimate.finish",
}


def __getattr__(name: str) -> Any:
    # Lazy: `import assessment` stays cheap for the CLI's --help.
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'assessment' has no attribute {name!r}")


if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import AssessmentError, assess
    from .model.profile import Profile, ProfileError, RaceResult, load_profile
    from .report.model import Report
    from .rules.rulebase import RuleBase, RuleFileError, load_rulebase
    from .estimate.finish import Estimate, EstimateError
    from .pipeline import estimate_finish
