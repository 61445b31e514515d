"""Write the report's pages with Jinja2 (autoescape on: crawled titles, link texts and URLs are hostile input).

The pages are staged in a folder beside the output and moved into place at the end, so a failure writes nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from crawler.report import labels
from crawler.report.charts import Series, lines, stacked_bars
from crawler.report.data import DEDUCTION_BINS, ReportData, SiteReport
from crawler.report.rows import broken_link_row, evidence_cell, link, readable_url, safe_href, site_origin

ASSETS = ("report.css", "report.js")


def environment() -> Environment:
    """The Jinja2 environment of the report's templates (package data), autoescaping every page."""
    env = Environment(
        loader=PackageLoader("crawler.report", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["href"] = safe_href
    env.filters["readable"] = readable_url
    env.filters["num"] = lambda value: "" if value is None else f"{value:g}"
    env.globals.update(
        KIND_ZH=labels.KIND_ZH,
        SCORED_KINDS=labels.SCORED_KINDS,
        UNVERIFIED_KINDS=labels.UNVERIFIED_KINDS,
        LEVEL_ZH=labels.LEVEL_ZH,
        VERDICT_ZH=labels.VERDICT_ZH,
        VERDICT_RANK={key: rank for rank, key in enumerate(labels.VERDICT_ZH)},
        CATEGORY_ZH=labels.CATEGORY_ZH,
        COLUMN_STATUS_ZH=labels.COLUMN_STATUS_ZH,
        HOW_ZH=labels.HOW_ZH,
        RESOURCE_ZH=labels.RESOURCE_ZH,
        ERROR_ZH=labels.ERROR_ZH,
        RUN_STATUS_ZH=labels.RUN_STATUS_ZH,
        broken_link_row=broken_link_row,
        link=link,
        evidence_cell=evidence_cell,
    )
    return env


def province_charts(data: ReportData) -> dict[str, Markup]:
    """The overview's charts: sites by verdict and findings by kind over the last runs, deductions."""
    x = [point.label for point in data.timeline]
    verdicts = [
        Series(
            labels.VERDICT_ZH[key],
            labels.VERDICT_COLOURS[key],
            [p.verdicts.get(key, 0) for p in data.timeline],
        )
        for key in labels.VERDICT_ZH
        if key != "none"
    ]
    kinds = [
        Series(labels.KIND_ZH[kind], labels.KIND_COLOURS[kind], [p.kinds.get(kind, 0) for p in data.timeline])
        for kind in labels.SCORED_KINDS
    ]
    bins = [*(f"≤{edge:g}" for edge in DEDUCTION_BINS), f">{DEDUCTION_BINS[-1]:g}"]
    counts = [0] * len(bins)
    for deduction in data.deductions:
        counts[
            next((i for i, edge in enumerate(DEDUCTION_BINS) if deduction <= edge), len(DEDUCTION_BINS))
        ] += 1
    return {
        "verdicts": stacked_bars("各次检查的网站结论", x, verdicts),
        "kinds": stacked_bars("各次检查的问题数（按类型）", x, kinds),
        "deductions": stacked_bars("扣分分布（网站数）", bins, [Series("网站数", "#546e7a", counts)]),
    }


def site_charts(site: SiteReport) -> dict[str, Markup]:
    """A site's history: findings per run by kind, and the deduction per run."""
    x = [f"#{p.run.id} {p.run.day[5:]}" for p in site.history]
    kinds = [
        Series(labels.KIND_ZH[kind], labels.KIND_COLOURS[kind], [p.kinds.get(kind, 0) for p in site.history])
        for kind in labels.SCORED_KINDS
    ]
    deduction = Series("扣分", "#c62828", [p.deduction or 0 for p in site.history])
    return {
        "findings": stacked_bars("各次检查的问题数", x, kinds),
        "deduction": lines("各次检查的扣分", x, [deduction]),
    }


def evidence_href(evidence_dir: Path, evidence_file: str | None, page_dir: Path) -> str | None:
    """A relative link from a page's folder to a WARC file of the evidence archive, None when there is none."""
    if not evidence_file:
        return None
    target = (evidence_dir / evidence_file).resolve()
    if not target.is_relative_to(evidence_dir.resolve()):
        return None  # a stored path leaving the archive is never linked
    return Path(os.path.relpath(target, page_dir.resolve())).as_posix()


def write_report(
    data: ReportData,
    output: Path,
    *,
    evidence_dir: Path,
    screenshot_note: str | None = None,
    extra_files: Sequence[tuple[Path, Path]] = (),
) -> Path:
    """Write index.html, sites/<code>.html and assets/ into ``output``; returns the index's path.

    Args:
        screenshot_note: shown on every page when screenshots were asked for but could not be taken.
        extra_files: (staged file, path under ``output``) pairs to move in with the pages (screenshots).
    """
    env = environment()
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".report-", dir=output) as tmp:
        stage = Path(tmp)
        (stage / "sites").mkdir()
        (stage / "assets").mkdir()
        for name in ASSETS:
            data_file = resources.files("crawler.report").joinpath("assets", name)
            (stage / "assets" / name).write_bytes(data_file.read_bytes())
        common: dict[str, Any] = {"data": data, "screenshot_note": screenshot_note}
        index = env.get_template("index.html").render(
            **common, charts=province_charts(data), root="", levels=sorted({s.level for s in data.sites})
        )
        (stage / "index.html").write_text(index, encoding="utf-8")
        page = env.get_template("site.html")
        evidence_base = output / "sites"
        for site in data.sites:
            evidence = {
                f["fingerprint"]: evidence_href(evidence_dir, f["evidence_file"], evidence_base)
                for f in site.findings
            }
            html = page.render(
                **common,
                site=site,
                origin=site_origin(site.url),
                charts=site_charts(site),
                root="../",
                evidence=evidence,
                by_ref={f["fingerprint"]: f for f in site.findings},
            )
            (stage / "sites" / f"{site.code}.html").write_text(html, encoding="utf-8")
        for source, relative in extra_files:
            target = stage / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(source, target)
        for name in ("sites", "assets"):
            if (output / name).exists():
                shutil.rmtree(output / name)
            (stage / name).rename(output / name)
        (stage / "index.html").replace(output / "index.html")
    return output / "index.html"
