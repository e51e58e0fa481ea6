"""What the reports call the pillars, phases and entry statuses."""

PILLAR_NAMES = {
    "uphill_power": "Steep uphill power",
    "downhill_technique": "Technical downhill",
    "strength": "Strength",
    "race_specificity": "Race-pace specificity",
    "mental_tactical": "Mental / tactical",
}
PHASE_NAMES = {"base": "base", "build": "build", "race_specific": "race-specific", "taper": "taper"}
#: What the suggested week is for (``Report.week``): a phase, or the last weeks before the taper.
WEEK_TITLES = {**{k: f"{v} phase" for k, v in PHASE_NAMES.items()}, "final_weeks": "the final weeks before the taper"}
#: Named for the competitive profile, not for the draw: everyone may enter the draw, so a runner
#: without a qualifying result is "not yet competitive", never "not eligible" (the JSON keeps the ids).
STATUS_NAMES = {"eligible": "COMPETITIVE", "at_risk": "AT RISK", "not_eligible": "NOT YET COMPETITIVE"}

#: Said beside the lottery odds in every rendering: the profile assessed is not an entry rule.
DRAW_NOTE = ("Entry is decided by a public draw. Public reports found no index or result requirement for it; "
             "the competitive profile assessed here is what organisers look for, not a guarantee of a place.")

#: What each goal level means (the pack's parameters.yaml derives its times from real results).
GOAL_MEANINGS = {
    "finish": "through the Sancti Spiritu barrier with 15 minutes to spare, inside 8 h",
    "compete": "the first quarter of the finishers of your sex",
    "podium": "the first three of your sex",
}


_MD_SPECIAL = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "\\": "\\\\", "*": "\\*",
                             "_": "\\_", "`": "\\`", "[": "\\[", "]": "\\]", "#": "\\#"})


def md_text(text: str) -> str:
    """A person's text (a name, an id, a race) inside Markdown: shown as typed, never read as
    markup (``<script>``, ``<!--``, ``*``, ``|`` in a table), on one line."""
    return " ".join(str(text).split()).translate(_MD_SPECIAL)
