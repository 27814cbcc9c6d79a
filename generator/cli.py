"""Command line: `build`, `check` and `list`, each a thin shell around the pipeline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .pipeline import ROOT, Options, build, load_and_plan, report
from .validate import load_project

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m generator", description="Family Rights Handouts: data + layouts -> print-ready PDFs.")
    commands = top.add_subparsers(dest="command", required=True)

    def data_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", type=Path, default=ROOT / "data", help="data directory (default: data/)")
        p.add_argument("--layouts", dest="layouts_dir", type=Path, default=ROOT / "layouts", help="layouts directory (default: layouts/)")
        p.add_argument("--strict", action="store_true", help="treat warnings as failures (for the official run)")

    b = commands.add_parser("build", help="render, verify and write PDFs and manifest.json")
    data_options(b)
    b.add_argument("--layout", dest="layouts", action="append", default=[], metavar="NAME", help="layout to build (repeatable; default: all)")
    b.add_argument("--lang", dest="langs", action="append", default=[], metavar="CODE", help="language to build (repeatable; default: all)")
    b.add_argument("--paper", default="letter", help="paper size: letter or a4 (default: letter)")
    b.add_argument("--out", type=Path, default=ROOT / "output", help="output directory (default: output/)")

    c = commands.add_parser("check", help="validate data and templates without rendering PDFs")
    data_options(c)

    lst = commands.add_parser("list", help="list languages and layouts")
    data_options(lst)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return {"build": cmd_build, "check": cmd_check, "list": cmd_list}[args.command](args)
    except KeyboardInterrupt:
        print("interrupted; files already written are complete, nothing half-written was kept", file=sys.stderr)
        return 130


def _options(args) -> Options:
    return Options(
        data=args.data,
        layouts_dir=args.layouts_dir,
        out=getattr(args, "out", ROOT / "output"),
        layouts=getattr(args, "layouts", []),
        langs=getattr(args, "langs", []),
        paper=getattr(args, "paper", "letter"),
        strict=args.strict,
    )


def cmd_build(args) -> int:
    options = _options(args)
    outcome = build(options)
    report(outcome.problems)
    for failure in outcome.failed:
        print(f"failed: {failure}", file=sys.stderr)
    if outcome.problems.errors or (options.strict and outcome.problems.warnings and not outcome.built):
        _summary_bad_input(outcome.problems, options.strict)
        return EXIT_BAD_INPUT
    if outcome.failed:
        print(f"{len(outcome.built)} built, {len(outcome.failed)} failed", file=sys.stderr)
        return EXIT_FAILED
    print(f"{len(outcome.built)} documents built in {options.out}; manifest: {options.out / 'manifest.json'}")
    return EXIT_OK


def _summary_bad_input(problems, strict: bool) -> None:
    errors, warnings = len(problems.errors), len(problems.warnings)
    why = f"{errors} error(s)" + (f" and {warnings} warning(s) (--strict)" if strict and warnings else "")
    print(f"nothing was built or changed: {why}", file=sys.stderr)


def cmd_check(args) -> int:
    options = _options(args)
    _, jobs, problems = load_and_plan(options, all_papers=True)
    report(problems)
    if problems.failed(options.strict):
        _summary_bad_input(problems, options.strict)
        return EXIT_BAD_INPUT
    print(f"ok: {len(jobs)} documents would be built; {len(problems.warnings)} warning(s)")
    return EXIT_OK


def cmd_list(args) -> int:
    project, problems = load_project(args.data, args.layouts_dir, ROOT / "fonts")
    if project is None:
        report(problems)
        return EXIT_BAD_INPUT
    print("Languages:")
    for code, language in sorted(project.languages.items()):
        status = language.status
        if status == "reviewed":
            status += f" by {language.reviewed_by} on {language.reviewed_on}"
        print(f"  {code:<8} {language.endonym}  ({language.name_en}; {language.direction}; {status})")
    print("Layouts:")
    for name, layout in sorted(project.layouts.items()):
        print(f"  {name:<12} papers: {', '.join(layout.papers)}. {layout.description}")
    return EXIT_OK
