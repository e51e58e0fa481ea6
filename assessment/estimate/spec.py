"""The finish-time model as a pack states it (``estimate.yaml``), checked when the pack loads.

The arithmetic is in :mod:`assessment.estimate.model`; this module only says what a pack must
give it, so that a bad file is refused with its name and the reason, like any rule.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Bound(_Strict):
    value: float
    derivation: str


class Inputs(_Strict):
    min_km_effort: Bound
    lookback_years: Bound
    max_speed_km_effort_h: Bound
    max_size_ratio: Bound
    sources: list[str] = Field(min_length=1)


class BenchmarkInput(_Strict):
    km_effort: float = Field(gt=0)
    note: str


class CourseSpec(_Strict):
    course_factor: float = Field(gt=0.5, lt=2)
    course_sigma: float = Field(ge=0, lt=1)
    derivation: str
    confidence: str
    sources: list[str] = Field(min_length=1)


class Fitted(_Strict):
    date: str
    script: str
    data: str
    source: str
    results: int
    runners: int
    predictions: int
    median_error: float
    baseline_median_error: float
    coverage_80: float


class CoefficientSpec(_Strict):
    exponent: float = Field(gt=0.5, lt=2)
    curvature: float = Field(gt=-1, lt=1)
    climb_weight: float = Field(gt=0, lt=5)
    recency_years: float = Field(gt=0)
    size_spread: float = Field(gt=0)
    s0: float = Field(gt=0)
    s1: float = Field(ge=0)
    s2: float = Field(ge=0)
    s3: float = Field(ge=0)


class FinishModel(_Strict):
    model: str
    interval: float = Field(gt=0, lt=1)
    inputs: Inputs
    benchmarks: dict[str, BenchmarkInput]
    zegama: CourseSpec
    fitted: Fitted
    coefficients: CoefficientSpec
    checks: dict[str, Any] = Field(default_factory=dict)  # the Zegama checks the fit script printed
    # (p, z): the standardised residual z at probability p, p and z increasing
    residual_quantiles: list[tuple[float, float]] = Field(min_length=3)

    @field_validator("residual_quantiles")
    @classmethod
    def _increasing(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        if any(not 0 < p < 1 for p, _ in v):
            raise ValueError("probabilities must lie between 0 and 1")
        if any(p1 <= p0 or z1 < z0 for (p0, z0), (p1, z1) in zip(v, v[1:])):
            raise ValueError("probabilities must increase and residuals must not decrease")
        return v

    def cited(self) -> set[str]:
        return set(self.inputs.sources) | set(self.zegama.sources) | {self.fitted.source}
