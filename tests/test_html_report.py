"""The HTML pages: self-contained, charts with text equivalents, traits, squad page."""

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

from assessment import assess
from assessment.report.charts import BLUE, ORANGE, PHASE_STYLE, RAMP, phase_spans, radar_segments
from assessment.cli.main import main
from assessment.rules.derive import training_phase
from assessment.report.html import _link, runner_html, squad_html
from assessment.report.names import PILLAR_NAMES
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


def test_three_charts_each_titled(page):
    charts = svgs(page)
    kinds = [re.search(r'class="chart chart-(\w+)"', s).group(1) for s in charts]
    assert kinds == ["radar", "emphases", "phases"]
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
        assert row[1] == f"{e.score:.0f}"
        for part in e.breakdown:
            assert f"{part.rule_id} {100 * part.contribution * e.phase_weight:.0f}" in row[4]
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
        assert (b.state == "below") == (d.field in gap_fields)  # short of target: its gap rule fired


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
    assert len(svgs(html)) == 3 and "Ane Etxeberria" in html
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
    assert Counter(r[1] for r in rows) == Counter({"ELIGIBLE": status["eligible"], "AT RISK": status["at_risk"],
                                                  "NOT ELIGIBLE": status["not_eligible"]}) - Counter()
    # Every runner's page is linked.
    for rid, url in links.items():
        assert f'href="{url}"' in html
    # Session groups: runners whose first or second emphasis (with a score) is the pillar.
    for pillar, name in PILLAR_NAMES.items():
        members = [r for r in squad_reports if any(e.pillar == pillar and e.score > 0 for e in r.emphases[:2])]
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
