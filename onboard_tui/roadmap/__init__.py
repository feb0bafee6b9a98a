"""The five steps of the onboarding roadmap, plus communicating with users."""

from onboard_tui.roadmap.steps import STEPS, Step, StepId, StepState, step

__all__ = ["STEPS", "Step", "StepId", "StepState", "step"]
