"""``zegama import``: activity files (FIT, GPX, TCX, exports) to profile values, each with its method."""

from __future__ import annotations

import json

import click

from .main import fail, parse_date, write_output

DURATIONS = {"longest_run_time", "vk_time"}
#: Values read together: one typed keeps the other from the files too (weekly climbing per km
#: divides one by the other; from two sources it would mean nothing).
PARTNER = {"weekly_km": "weekly_dplus_m", "weekly_dplus_m": "weekly_km"}


@click.command("import")
@click.argument("paths", nargs=-1, required=True, metavar="FILES|DIR|EXPORT.zip")
@click.option("--as-of", callback=parse_date, metavar="DATE", help="The day the 8 weeks of volume end (default: today).")
@click.option("--merge", "merge_path", metavar="PROFILE", help="Fill this profile's unknown fields with what was derived.")
@click.option("--prefer-import", is_flag=True, help="With --merge: the derived values replace the profile's own.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "yaml"]), default="table", show_default=True,
              help="yaml: the profile (merged with --merge) to assess.")
@click.option("-o", "--output", metavar="FILE", help="Write the profile (YAML) to FILE.")
def import_cmd(paths, as_of, merge_path, prefer_import, fmt, output):
    """Read the runner's activity files and derive weekly volume, the longest climb and run,
    estimates (from training, not tests) of the uphill test and the VK, and the heart-rate drift
    of steady hours.

    \b
    Example:
        zegama import activities/ --as-of 2026-12-01
        zegama import export.zip --merge profile.yaml -o profile.yaml

    \b
    Exit codes: 0 done, 1 nothing usable or an invalid profile to merge, 2 usage or output error.
    """
    import datetime as dt

    import yaml

    import sys

    from ..activities.derive import derive
    from ..activities.scan import count_entries, scan
    from ..model.io import InputError, read_document
    from ..model.units import format_duration

    day = as_of or dt.date.today()
    # A bar on a terminal (stderr, so stdout stays the table or the profile); nothing in a pipe.
    total = count_entries(list(paths))
    if sys.stderr.isatty() and total > 1:
        with click.progressbar(length=total, label="Reading activity files", file=sys.stderr,
                               show_pos=True) as bar:
            got = scan(list(paths), bar.update)
    else:
        got = scan(list(paths))
    if not got.summaries:
        fail("json" if fmt == "json" else "table", "input",
             "no run or hike could be read: " + "; ".join(f"{s.source}: {s.reason}" for s in got.skipped[:5]))
    d = derive(got.summaries, day)
    shown = {k: format_duration(v) if k in DURATIONS else v for k, v in d.values.items()}
    profile: dict = {}
    kept: list[str] = []
    if merge_path:
        try:
            profile = dict(read_document(merge_path) or {})
        except InputError as exc:
            fail(fmt, "input", str(exc))
    typed = {k for k in shown if profile.get(k) not in (None, "")}
    # a typed weekly_km with the files' D+ would make a ratio of two sources: the pair stays the runner's
    with_partner = {k for k in shown if PARTNER.get(k) in typed}
    for k, v in shown.items():
        if (k in typed or k in with_partner) and not prefer_import:
            kept.append(k)
            continue
        profile[k] = v
    profile.setdefault("runner_id", "imported")
    # Which values came from the files: the report's evidence names the activities behind them.
    sources = dict(profile.get("from_activities") or {}) if isinstance(profile.get("from_activities"), dict) else {}
    for k in shown:
        if k not in kept:
            behind = d.behind[k]
            names = ", ".join(behind[:3]) + (f" and {len(behind) - 3} more" if len(behind) > 3 else "")
            sources[k] = f"{names}; {d.method[k]}"
        else:
            sources.pop(k, None)
    if sources:
        profile["from_activities"] = sources
    if fmt == "json":
        text = json.dumps({"values": shown, "method": d.method, "activities_behind": d.behind,
                           "kept_from_profile": kept, "not_derived": d.notes, "heart_rate_drift": d.drift, "activities": d.activities,
                           "skipped": [{"source": s.source, "reason": s.reason} for s in got.skipped]},
                          indent=2, ensure_ascii=False, default=str) + "\n"
    else:
        lines = [f"Read {len(got.summaries)} activit{'ies' if len(got.summaries) != 1 else 'y'}; "
                 f"skipped {len(got.skipped)}.", ""]
        for k, v in shown.items():
            mark = "" if k not in kept else (" (kept the profile's own)" if k in typed else
                                             f" (not used: read together with the profile's own {PARTNER[k]})")
            lines.append(f"{k}: {v}{mark}")
            lines.append(f"    {d.method[k]}; from {', '.join(d.behind[k][:3])}"
                         + (f" and {len(d.behind[k]) - 3} more" if len(d.behind[k]) > 3 else ""))
        lines += [f"note: {n}" for n in d.notes]
        typed_aet = profile.get("aet_hr") if merge_path else None
        for t in d.drift:
            lines.append(f"heart-rate drift: {t['drift_pct']:+.1f}% over an hour from {t['start_hr']} bpm, "
                         f"{t['activity']}: your aerobic threshold is {t['aet']} {t['start_hr']} bpm "
                         f"(Uphill Athlete's drift test: under 5%, the start was at or below it)"
                         + (f"; you gave {typed_aet} bpm" if typed_aet else ""))
        lines.append("")
        for a in d.activities:
            dev = f"; the device says {a['device_ascent_m']:g} m" if a["device_ascent_m"] is not None else ""
            lines.append(f"- {a['date']} {a['name']}: {a['distance_km']} km, {a['duration_min']} min, "
                         f"{a['ascent_m']} m D+ ({a['altitude']} altitude{dev})")
        for s in got.skipped:
            lines.append(f"- skipped {s.source}: {s.reason}")
        text = "\n".join(lines) + "\n"
    doc = "# Values from activity files (zegama import); vk_time and uphill_test_vam are estimates from training\n" \
        + yaml.safe_dump(profile, sort_keys=False, allow_unicode=True)
    if output:
        write_output(fmt, output, doc)
        click.echo(text, nl=False, err=fmt != "json")
    else:
        click.echo(doc if fmt == "yaml" else text, nl=False)
