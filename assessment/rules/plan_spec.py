"""The schema of a pack's ``plan.yaml``: how ``zegama plan`` lays the weeks out (checked at load)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Load(_Strict):
    build_weeks: int = Field(ge=1, le=4)
    easy_load: float = Field(gt=0, lt=1)
    rise: float = Field(ge=0, le=0.15)
    derivation: str = Field(min_length=10)
    sources: list[str] = Field(min_length=1)


class Taper(_Strict):
    loads: list[float] = Field(min_length=1, max_length=4)
    derivation: str = Field(min_length=10)
    sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _falling(self) -> "Taper":
        if any(not 0 < x < 1 for x in self.loads) or self.loads != sorted(self.loads, reverse=True):
            raise ValueError("taper.loads: each between 0 and 1, falling to race week")
        return self


class Retest(_Strict):
    every_weeks: int = Field(ge=3, le=16)
    last_weeks_out: int = Field(ge=2, le=40)
    phases: list[str] = Field(min_length=1)
    derivation: str = Field(min_length=10)
    sources: list[str] = Field(min_length=1)


class TuneUp(_Strict):
    first_weeks_out: int = Field(ge=2, le=16)
    last_weeks_out: int = Field(ge=2, le=16)
    every_weeks: int = Field(ge=1, le=4)
    derivation: str = Field(min_length=10)
    sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _order(self) -> "TuneUp":
        if self.last_weeks_out > self.first_weeks_out:
            raise ValueError("tune_up: last_weeks_out must not be more than first_weeks_out")
        return self


class Reminders(_Strict):
    milestone_days: int = Field(ge=0, le=14)
    preregistration_days: int = Field(ge=0, le=14)


class PlanSpec(_Strict):
    load: Load
    taper: Taper
    retest: Retest
    tune_up: TuneUp
    reminders: Reminders

    def cited(self) -> set[str]:
        return set(self.load.sources) | set(self.taper.sources) | set(self.retest.sources) | set(self.tune_up.sources)
