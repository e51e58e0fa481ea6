"""The HTML pages: self-contained, charts with text equivalents, traits, squad page."""

import dataclasses
import datetime as dt
import json
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import StrictUndefined, UndefinedError, meta
from markupsafe import escape

from assessment import assess
from assessment.report.charts import BLUE, ORANGE, PHASE_STYLE, RAMP, phase_spans, radar_segments
from assessment.cli.main import main
from assessment.rules.derive import training_phase
from assessment.report.html import ENV, _link, progress_html, runner_html, squad_html
from assessment.report.names import PILLAR_NAMES
from assessment.report.progress import compare_reports, compare_rosters
from assessment.report.render import render
from assessment.report.traits import pack_definitions, share_of_target, trait_scores
from assessment.rules.facts import build_facts
from assessment.model.profile import load_profile
from tests.conftest import AS_OF, EXAMPLES, ROOT

NAMES = ["skimo", "road", "ultra", "short_mountain", "cross_country", "road_vertical"]
VOID = {"meta", "br", "img", "input", "link", "hr", "col", "source", "wbr"}


def load(name):
    return yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def skimo():
    profile = load("skimo")
    return profile, assess(profile, as_of=AS_OF)


@pytest.fixture(scope="module")
def page(skimo):
    profile, report = skimo
    return runner_html(report, profile)


class Tree(HTMLParser):
    """Collects tags, ids, attributes and text, and checks that every tag is closed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.ids, self.attrs, self.text = [], [], [], [], []
        self.tags = Counter()

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        d = dict(attrs)
        self.attrs.append((tag, d))
        if "id" in d:
            self.ids.append(d["id"])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] += 1
        self.attrs.append((tag, dict(attrs)))
        if "id" in dict(attrs):
            self.ids.append(dict(attrs)["id"])

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(html):
    t = Tree()
    t.feed(html)
    t.close()
    return t


def svgs(html):
    return re.findall(r"<svg\b.*?</svg>", html, re.S)


def table_after(html, caption):
    """Rows (lists of cell texts) of the table with this caption."""
    m = re.search(r"<table>\s*<caption>" + re.escape(caption) + r"</caption>(.*?)</table>", html, re.S)
    assert m, caption
    rows = re.findall(r"<tr>(.*?)</tr>", m.group(1), re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows[1:]]


# --------------------------------------------------------------------------- the page

def test_page_is_well_formed_with_unique_ids(page):
    t = parse(page)
    assert not t.errors and not t.stack
    dupes = [i for i, k in Counter(t.ids).items() if k > 1]
    assert not dupes
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page


def test_page_is_self_contained(page):
    # Nothing is fetched when the page is viewed: no scripts, no stylesheets or
    # images to load, no CSS url() other than the SVG's own fragments.
    t = parse(page)
    assert t.tags["script"] == 0 and t.tags["link"] == 0 and t.tags["img"] == 0 and t.tags["iframe"] == 0
    assert not [a for _, a in t.attrs if "src" in a]
    assert "@import" not in page and "@font-face" not in page
    assert set(re.findall(r"url\(([^)]*)\)", page)) <= {u for u in re.findall(r"url\((#[^)]*)\)", page)}
    # Only the SVG's internal references and the cited sources are links.
    hrefs = [a.get("href") or a.get("xlink:href") for _, a in t.attrs if "href" in a or "xlink:href" in a]
    assert all(h.startswith(("#", "https://", "http://")) for h in hrefs)
    assert "@media print" in page


def test_four_charts_each_titled(page):
    charts = svgs(page)
    kinds = [re.search(r'class="chart chart-(\w+)"', s).group(1) for s in charts]
    assert kinds == ["radar", "emphases", "barriers", "phases"]
    for s in charts:
        assert 'role="img"' in s and "<title " in s and "<desc " in s
        assert 'width="' not in s.split(">", 1)[0]       # scales with the page


def test_radar_numbers_are_in_the_table_and_the_description(skimo, page):
    profile, report = skimo
    traits = trait_scores(report)
    rows = table_after(page, "The chart in numbers")
    assert [r[0] for r in rows] == list(dict.fromkeys(d.trait_label for d in pack_definitions()))
    desc = re.search(r'<desc id="radar-desc">(.*?)</desc>', page).group(1)
    for row, t in zip(rows, traits):
        assert row[1] == f"{t.share:.0f}"
        assert f"{t.label}: {t.share:.0f}" in desc


def test_eligibility_with_the_results_it_used(skimo, page):
    _, report = skimo
    assert report.eligibility.reasons
    for reason in report.eligibility.reasons:
        assert reason.rule_id in page
        for used in reason.results_used:
            assert f"Results used: {used}".replace("'", "&#x27;") in page


def test_emphases_in_rank_order_with_their_breakdown(skimo, page):
    _, report = skimo
    rows = table_after(page, "Emphases in numbers")
    assert [r[0] for r in rows] == [f"{e.rank}. {PILLAR_NAMES[e.pillar]}" for e in report.emphases]
    for row, e in zip(rows, report.emphases):
        assert row[1] == f"{e.score:.0f}" and row[2] == e.action
        for part in e.breakdown:
            assert f"{part.rule_id} {e.points(part):.0f}" in row[5]
        # the base and the findings' points make the score
        assert e.base + sum(e.points(p) for p in e.breakdown) == pytest.approx(e.score, abs=0.1)
    desc = re.search(r'<desc id="emphases-desc">(.*?)</desc>', page).group(1)
    assert all(f"{PILLAR_NAMES[e.pillar]} {e.score:.0f}" in desc for e in report.emphases)


def test_every_gap_with_its_explanation(skimo, page):
    _, report = skimo
    text = "".join(parse(page).text)
    for f in report.findings:
        if f.kind in ("gap", "info"):
            assert f.message in text
        if f.kind == "gap":
            assert report.rule(f.rule_id).rationale in text and (report.prescription(f) or "") in text


def test_timeline_marks_today_and_lists_phases(skimo, page):
    _, report = skimo
    desc = re.search(r'<desc id="phases-desc">(.*?)</desc>', page).group(1)
    assert f"Today: {report.weeks_to_race:g} weeks" in desc
    rows = table_after(page, "Phases in numbers")
    assert [r[0] for r in rows] == ["Base (now)", "Build", "Race-specific", "Taper"]
    assert rows[-1][2].endswith(str(report.edition.race_date))


@pytest.mark.parametrize("weeks", [0.5, 1.99, 2, 6, 9.9, 10, 12.5, 16, 16.01, 23.7, 40])
def test_phase_spans_agree_with_the_training_phase(weeks):
    spans = phase_spans(max(20, weeks + 2))
    assert spans[0][0] == "base" and spans[-1] == ("taper", 2.0, 0.0)
    # Inside a span, the chart's phase is derive.training_phase's; on a boundary, one of the two.
    assert training_phase(weeks) in [n for n, hi, lo in spans if lo <= weeks <= hi]
    inside = [n for n, hi, lo in spans if lo < weeks < hi]
    assert inside in ([], [training_phase(weeks)])


def test_output_is_deterministic(skimo):
    profile, report = skimo
    assert runner_html(report, profile) == runner_html(report, profile)


def test_untrusted_text_is_escaped():
    report = assess({"runner_id": "x<y>", "name": "<script>alert(1)</script> & co", "vk_time": "50:00"}, as_of=AS_OF)
    html = runner_html(report)
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert not parse(html).errors


def test_only_web_links_become_anchors():
    assert _link("a", "https://example.org/x?a=1&b=2") == '<a href="https://example.org/x?a=1&amp;b=2">a</a>'
    assert _link("evil", "javascript:alert(1)") == "evil"
    assert _link("<b>", "file:///etc/passwd") == "&lt;b&gt;"


# --------------------------------------------------------------------------- traits

def test_trait_benchmarks_match_the_pack_gap_rules(rb):
    # Each benchmark's target and direction are those of the pack's gap rule on the same field.
    gaps = {(cr.rule.gap.field, cr.rule.gap.target): cr.rule.gap.better for cr in rb.rules.values() if cr.rule.gap}
    for b in rb.benchmarks:
        assert gaps.get((b.field, b.target)) == b.better, (b.field, b.target)


@pytest.mark.parametrize("name", NAMES)
def test_report_benchmarks_are_the_profile_against_its_targets(name, rb):
    # Differential: the report's benchmarks against a direct reading of the runner fact and the pack.
    profile = load(name)
    report = assess(profile, as_of=AS_OF)
    fact = build_facts(rb, load_profile(profile), report.as_of, report.edition)[0]
    listed = {b.field: b for b in report.benchmarks}
    assert list(listed) == [b.field for b in rb.benchmarks]
    gap_fields = {f.evidence[0].field for f in report.findings if f.kind == "gap" and f.evidence}
    for d in rb.benchmarks:
        b, value, target = listed[d.field], fact.get(d.field), fact.get(f"target_{d.target}")
        if value is None:
            assert b.state == "unknown" and b.share is None
            continue
        share = share_of_target(value, target, d.better)
        assert b.share == share and b.state == ("met" if share >= 100 else "below")
        if d.field in gap_fields:  # a gap rule that fired on the benchmark: it is short of target
            assert b.state == "below"


def test_unknown_traits_are_unknown_not_zero():
    profile = {"runner_id": "x", "sex": "M", "vk_time": "37:00"}
    report = assess(profile, as_of=AS_OF)
    traits = trait_scores(report)
    by = {t.key: t for t in traits}
    assert by["uphill_power"].share is not None
    assert [t.key for t in traits if t.share is None] == [
        "steep_hiking", "descending", "strength", "sustained_intensity", "composure"]
    html = runner_html(report, profile)
    rows = table_after(html, "The chart in numbers")
    assert [r[1] for r in rows].count("unknown") == 5
    radar = svgs(html)[0]
    assert "Strength: unknown" in re.search(r"<desc[^>]*>(.*?)</desc>", radar).group(1)


def test_radar_outline_breaks_at_unknown_axes():
    # Known neighbours are joined; an unknown axis never gets a point at 0.
    assert radar_segments([50, 60, 70]) == [(0, 1), (1, 2), (2, 0)]
    assert radar_segments([50, None, 70, 80]) == [(2, 3), (3, 0)]
    assert radar_segments([None, None, 10]) == []
    assert radar_segments([None] * 6) == []


@given(st.floats(0.01, 1e4), st.floats(0.01, 1e4), st.sampled_from(["higher", "lower"]))
def test_share_of_target_is_a_capped_share(value, target, better):
    s = share_of_target(value, target, better)
    assert 0 <= s <= 100
    met = value >= target if better == "higher" else value <= target
    assert (s == 100) == met or (not met and s >= 99.95)   # rounding to 0.1 may reach 100.0 just short of it
    # Closer to the target is never worse.
    closer = (value + target) / 2
    assert share_of_target(closer, target, better) >= s


def test_palette_reads_in_grey_scale():
    def lightness(hex_colour):
        # The grey a colour becomes when printed in grey-scale (ITU-R 601 luma, as PIL's "L" mode).
        r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.299 * r + 0.587 * g + 0.114 * b

    # Before and now differ in lightness, not only in hue; so do adjacent segments and phases.
    assert abs(lightness(ORANGE) - lightness(BLUE)) > 0.15
    ramp = [lightness(c) for c in RAMP[:4]]
    assert all(a - b > 0.1 for a, b in zip(ramp, ramp[1:]))
    phases = [lightness(c) for c, _ in PHASE_STYLE.values()]
    assert all(a - b > 0.1 for a, b in zip(phases, phases[1:]))


# --------------------------------------------------------------------------- CLI and render

def test_assess_html_to_file_and_stdout(tmp_path):
    out = tmp_path / "report.html"
    runner = CliRunner()
    result = runner.invoke(main, ["assess", str(EXAMPLES / "skimo.yaml"), "--as-of", "2026-12-01", "--format", "html",
                                  "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 0 and result.output == ""
    html = out.read_text(encoding="utf-8")
    assert len(svgs(html)) == 4 and "Ane Etxeberria" in html
    assert not list(tmp_path.glob(".*.tmp"))
    result = runner.invoke(main, ["assess", str(EXAMPLES / "skimo.yaml"), "--as-of", "2026-12-01", "--format", "html"])
    assert result.exit_code == 0 and result.output == html


def test_assess_html_invalid_profile_is_a_plain_error(tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["assess", "-", "--format", "html", "-o", str(out)], input='{"runner_id": "x", "vk_time": "4:00"}')
    assert result.exit_code == 1 and "vk_time" in result.output
    assert not out.exists()


def test_render_html_without_the_profile(skimo):
    _, report = skimo
    html = render(report, "html")
    rows = table_after(html, "The chart in numbers")
    # From the report alone, exactly: steep hiking is met, strength is the mean of its three shares.
    assert dict((r[0], r[1]) for r in rows)["Steep hiking"] == "100"
    assert dict((r[0], r[1]) for r in rows)["Strength"] == f"{(83.0 + 80.0 + 96.4) / 3:.0f}"
    assert html == render(report, "html", profile=load("skimo"))


def test_importing_the_package_and_cli_leaves_matplotlib_out():
    code = ("import sys, assessment, assessment.cli.main, assessment.report.text, assessment.report.html, assessment.report.charts, "
            "assessment.report.progress, assessment.cli.progress; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- squad page

@pytest.fixture(scope="module")
def squad_reports():
    out = []
    for i, name in enumerate(NAMES * 2):
        p = load(name)
        p["runner_id"] = f"{p['runner_id']}-{i}"
        out.append(assess(p, as_of=AS_OF))
    return out


def test_squad_page_counts_heatmap_and_groups(squad_reports):
    links = {r.runner_id: f"runners/{r.runner_id}.html" for r in squad_reports}
    html = squad_html((r for r in squad_reports), links, head={"roster": "club.csv", "counts": {"read": 13, "errors": 1}})
    t = parse(html)
    assert not t.errors and "<script" not in html
    kinds = [re.search(r'class="chart chart-(\w+)"', s).group(1) for s in svgs(html)]
    assert kinds == ["heatmap"]
    status = Counter(r.eligibility.status for r in squad_reports)
    rows = table_after(html, "The heat-map in numbers (gap, 0-100)")
    assert len(rows) == len(squad_reports)
    for row, r in zip(rows, squad_reports):
        gaps = {e.pillar: e.gap for e in r.emphases}
        assert row[0].endswith(f"({r.runner_id})")
        assert row[3:8] == [f"{100 * gaps[p]:.0f}" for p in PILLAR_NAMES]
    assert Counter(r[1] for r in rows) == Counter({"COMPETITIVE": status["eligible"], "AT RISK": status["at_risk"],
                                                  "NOT YET COMPETITIVE": status["not_eligible"]}) - Counter()
    # Every runner's page is linked.
    for rid, url in links.items():
        assert f'href="{url}"' in html
    # Session groups: runners whose first or second emphasis is the pillar, with a gap to build.
    for pillar, name in PILLAR_NAMES.items():
        members = [r for r in squad_reports if any(e.pillar == pillar and e.action == "build" for e in r.emphases[:2])]
        if members:
            assert f"{name}: {len(members)} runner" in html
    assert "Rows read" in html and ">13<" in html


def test_squad_page_caps_the_heatmap_but_counts_everyone(squad_reports):
    html = squad_html(squad_reports, heatmap_rows=4, table_rows=6)
    assert f"The first 4 of {len(squad_reports)} runners are drawn" in html
    assert len(table_after(html, "The heat-map in numbers (gap, 0-100)")) == 6
    assert f"Runners assessed</div><div class=\"v\">{len(squad_reports)}<" in html
    assert "<a href" not in html.split('id="heatmap"')[1].split("</table>")[0]   # no links without runner_links


def test_squad_page_with_no_runner():
    html = squad_html([])
    assert "No runner was assessed." in html and not parse(html).errors


def test_report_json_is_unchanged_by_html(skimo):
    # The HTML works from the report as it is; the JSON report stays the same.
    profile, report = skimo
    before = report.to_json()
    runner_html(report, profile)
    assert report.to_json() == before
    assert json.loads(before)["schema_version"] == report.schema_version


# --------------------------------------------------------------------------- templates

HOSTILE = """<script>alert("x")</script> <!-- Bar & "Grill" 'n' co -->"""
PAGE_TEMPLATES = ["runner.html", "squad.html", "progress.html", "roster_progress.html", "plan.html", "summary.html"]
LOADING_ATTRS = {"src", "srcset", "data", "poster", "background", "action", "formaction", "manifest"}


def retest(profile):
    """The same runner eight weeks on, a little faster uphill."""
    return assess({**profile, "vk_time": "40:00"}, as_of=AS_OF + dt.timedelta(weeks=8))


@pytest.fixture(scope="module")
def hostile_pages():
    """Every page, with a runner name, a race name and messages that try to break out of the HTML."""
    profile = load("skimo")
    profile["name"] = HOSTILE
    profile["races"][0]["race"] = HOSTILE
    report = assess(profile, as_of=AS_OF)
    progress = dataclasses.replace(compare_reports(report, retest(profile)), warnings=[HOSTILE])
    roster = dataclasses.replace(compare_rosters([report], [retest(profile)]), warnings=[HOSTILE])
    return {
        "runner": runner_html(report, profile),
        "squad": squad_html([report], {report.runner_id: "runners/x.html"}, head={"roster": HOSTILE, "warnings": [HOSTILE]}),
        "progress": progress_html(progress),
        "roster": progress_html(roster),
    }


@pytest.mark.parametrize("kind", ["runner", "squad", "progress", "roster"])
def test_hostile_text_is_escaped_in_every_page(hostile_pages, kind):
    html = hostile_pages[kind]
    assert HOSTILE not in html and "<script" not in html and "<!--" not in html
    assert str(escape(HOSTILE)) in html             # quotes and & too
    t = parse(html)
    assert not t.errors and not t.stack
    assert HOSTILE in "".join(t.text)               # the reader sees it as typed


def test_hostile_race_name_is_escaped_where_it_is_cited(hostile_pages):
    # The race name reaches the entry profile's reasons and the results they used.
    assert f"Results used: {escape(HOSTILE)}" in hostile_pages["runner"]


@pytest.fixture(scope="module")
def example_pages():
    """Every page made from the example profiles."""
    profiles = {name: load(name) for name in NAMES}
    reports = {name: assess(p, as_of=AS_OF) for name, p in profiles.items()}
    later = {name: retest(p) for name, p in profiles.items()}
    pages = {}
    for name in NAMES:
        pages[f"runner {name}"] = runner_html(reports[name], profiles[name])
        pages[f"runner {name}, report only"] = runner_html(reports[name])
        pages[f"progress {name}"] = progress_html(compare_reports(reports[name], later[name]))
    pages["squad"] = squad_html(list(reports.values()), {r.runner_id: f"runners/{r.runner_id}.html" for r in reports.values()},
                                head={"roster": "club.csv", "counts": {"read": 7, "errors": 1}, "warnings": ["row 7: no runner_id"]})
    pages["squad, capped"] = squad_html(list(reports.values()), heatmap_rows=2, table_rows=3)
    pages["roster progress"] = progress_html(compare_rosters(list(reports.values())[1:], list(later.values())[:-1]))
    return pages


def test_pages_load_nothing_and_run_nothing(example_pages, hostile_pages):
    for name, html in {**example_pages, **hostile_pages}.items():
        t = parse(html)
        assert not t.errors and not t.stack, name
        assert "<script" not in html.lower() and t.tags["script"] == 0, name
        for tag, attrs in t.attrs:
            assert not [a for a in attrs if a.startswith("on")], (name, tag, attrs)
            assert not LOADING_ATTRS & set(attrs), (name, tag, attrs)
            for key in ("href", "xlink:href"):
                # Only an anchor may point away from the page (to a cited source, or a runner's page);
                # the SVG's own references are fragments, and the heat-map's raster is inline data.
                if key in attrs and tag != "a":
                    assert attrs[key].startswith(("#", "data:image/png;base64,")), (name, tag, attrs)
        assert "@import" not in html and "@font-face" not in html, name
        assert set(re.findall(r"url\(([^)]*)\)", html)) <= {u for u in re.findall(r"url\((#[^)]*)\)", html)}, name


def test_one_strict_autoescaping_environment():
    assert ENV.undefined is StrictUndefined
    assert all(ENV.autoescape(name) for name in ENV.list_templates() + ["page.txt", None])
    with pytest.raises(UndefinedError):
        ENV.from_string("{{ not_in_the_context }}").render()
    assert str(ENV.from_string("{{ x }}").render(x="<b>&")) == "&lt;b&gt;&amp;"


def test_every_template_is_used_by_a_page():
    # Each page template, with what it extends, includes and imports, covers the whole folder.
    seen, todo = set(), list(PAGE_TEMPLATES)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            source = ENV.loader.get_source(ENV, name)[0]
            todo += [n for n in meta.find_referenced_templates(ENV.parse(source)) if n]
    assert seen == set(ENV.list_templates())
    assert {n for n in seen if n.startswith("_")} >= {"_table.html", "_finding.html", "_badge.html", "_card.html"}


def test_every_template_renders_strictly_on_the_examples(example_pages):
    # StrictUndefined: a name a template reads that its context lacks fails the render.
    assert len(example_pages) == 3 * len(NAMES) + 3
    for name, html in example_pages.items():
        assert html.startswith("<!DOCTYPE html>") and html.endswith("</html>\n"), name
        assert "None" not in "".join(parse(html).text), name
