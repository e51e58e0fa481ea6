"""``zegama import``: activity files (FIT, GPX, TCX, exports) to profile values, each with its method."""

from __future__ import annotations

import json

import click

from .main import fail, parse_date, write_output

DURATIONS = {"longest_run_time", "vk_time"}


@click.command("import")
@click.argument("paths", nargs=-1, required=True, metavar="FILES|DIR|EXPORT.zip")
@click.option("--as-of", callback=parse_date, metavar="DATE", help="The day the 8 weeks of volume end (default: today).")
@click.option("--merge", "merge_path", metavar="PROFILE", help="Fill this profile's unknown fields with what was derived.")
@click.option("--prefer-import", is_flag=True, help="With --merge: the derived values replace the profile's own.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "yaml"]), default="table", show_default=True,
              help="yaml: the profile (merged with --merge) to assess.")
@click.option("-o", "--output", metavar="FILE", help="Write the profile (YAML) to FILE.")
def import_cmd(paths, as_of, merge_path, prefer_import, fmt, output):
    """Read the runner's activity files and derive weekly volume, the longest climb and run, and
    estimates (from training, not tests) of the uphill test and the VK.

    \b
    Example:
        zegama import activities/ --as-of 2026-12-01
        zegama import export.zip --merge profile.yaml -o profile.yaml

    \b
    Exit codes: 0 done, 1 nothing usable or an invalid profile to merge, 2 usage or output error.
    """
    import datetime as dt

    import yaml

    from ..activities.derive import derive
    from ..activities.read import read_activities
    from ..model.io import InputError, read_document
    from ..model.units import format_duration

    day = as_of or dt.date.today()
    got = read_activities(list(paths))
    if not got.tracks:
        fail("json" if fmt == "json" else "table", "input",
             "no run or hike could be read: " + "; ".join(f"{s.source}: {s.reason}" for s in got.skipped[:5]))
    d = derive(got.tracks, day)
    shown = {k: format_duration(v) if k in DURATIONS else v for k, v in d.values.items()}
    profile: dict = {}
    kept: list[str] = []
    if merge_path:
        try:
            profile = dict(read_document(merge_path) or {})
        except InputError as exc:
            fail(fmt, "input", str(exc))
    for k, v in shown.items():
        if k in profile and profile[k] not in (None, "") and not prefer_import:
            kept.append(k)
            continue
        profile[k] = v
    profile.setdefault("runner_id", "imported")
    if fmt == "json":
        text = json.dumps({"values": shown, "method": d.method, "activities_behind": d.behind,
                           "kept_from_profile": kept, "activities": d.activities,
                           "skipped": [{"source": s.source, "reason": s.reason} for s in got.skipped]},
                          indent=2, ensure_ascii=False, default=str) + "\n"
    else:
        lines = [f"Read {len(got.tracks)} activit{'ies' if len(got.tracks) != 1 else 'y'}; "
                 f"skipped {len(got.skipped)}.", ""]
        for k, v in shown.items():
            mark = " (kept the profile's own)" if k in kept else ""
            lines.append(f"{k}: {v}{mark}")
            lines.append(f"    {d.method[k]}; from {', '.join(d.behind[k][:3])}"
                         + (f" and {len(d.behind[k]) - 3} more" if len(d.behind[k]) > 3 else ""))
        lines.append("")
        for a in d.activities:
            dev = f", device {a['device_ascent_m']:g} m" if a["device_ascent_m"] is not None else ""
            lines.append(f"- {a['date']} {a['name']}: {a['distance_km']} km, {a['duration_min']} min, "
                         f"{a['ascent_m']} m D+ ({a['altitude']}{dev})")
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
