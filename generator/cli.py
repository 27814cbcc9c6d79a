"""Command line: `build`, `check` and `list`, each a thin shell around the pipeline."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .pipeline import ROOT, Options, build, check_documents, load_and_plan, report
from .validate import load_project

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m generator", description="Family Rights Handouts: data + layouts -> print-ready PDFs.")
    commands = top.add_subparsers(dest="command", required=True)

    def data_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", type=Path, default=ROOT / "data", help="data directory (default: data/)")
        p.add_argument("--layouts", dest="layouts_dir", type=Path, default=ROOT / "layouts", help="layouts directory (default: layouts/)")
        p.add_argument("--fonts", dest="fonts_dir", type=Path, default=ROOT / "fonts", help="fonts directory with manifest.yaml and build/ (default: fonts/)")
        p.add_argument("--strict", action="store_true", help="treat warnings as failures (for the official run)")

    b = commands.add_parser("build", help="render, verify and write PDFs and manifest.json")
    data_options(b)
    b.add_argument("--layout", dest="layouts", action="append", default=[], metavar="NAME", help="layout to build (repeatable; default: all)")
    b.add_argument("--lang", dest="langs", action="append", default=[], metavar="CODE", help="language to build (repeatable; default: all)")
    b.add_argument("--paper", default="letter", help="paper size: letter or a4 (default: letter)")
    b.add_argument("--school", dest="schools", action="append", default=[], metavar="ID", help="school to build for (repeatable; default: the first in data/schools.yaml)")
    b.add_argument("--all", action="store_true", help="every school x language x layout x paper (the semester run)")
    b.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N", help="parallel workers (default: all cores)")
    b.add_argument("--force", action="store_true", help="rebuild documents that are up to date")
    b.add_argument("--bleed", action="store_true", help="add a bleed (3 mm / 0.125 in) and crop marks, for print shops")
    b.add_argument("--grayscale", action="store_true", help="pure black on white, no tints (for office printers)")
    b.add_argument("--out", type=Path, default=ROOT / "output", help="output directory (default: output/)")
    b.add_argument("--web", action="store_true", help="also write the accessible web edition, OUT/web/ (every language)")

    c = commands.add_parser("check", help="validate data and templates without rendering PDFs")
    data_options(c)

    lst = commands.add_parser("list", help="list languages and layouts")
    data_options(lst)

    t = commands.add_parser("translations", help="export/import translations (PO, CSV), stamp, status")
    data_options(t)
    actions = t.add_subparsers(dest="action", required=True)
    export = actions.add_parser("export", help="write a language's strings for translators")
    export.add_argument("--lang", required=True, metavar="CODE")
    export.add_argument("--format", choices=["po", "csv"], default="po")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    imp = actions.add_parser("import", help="read a translator's PO or CSV file back into data/languages")
    imp.add_argument("file", type=Path)
    imp.add_argument("--lang", metavar="CODE", help="language (default: from the PO header)")
    stamp = actions.add_parser("stamp", help="record that a language's strings match the current English")
    stamp.add_argument("--lang", required=True, action="append", metavar="CODE")
    actions.add_parser("status", help="how far each translation is: status, missing and stale strings")

    r = commands.add_parser("review", help="the review packet a district signs off, and recording verifications")
    data_options(r)
    steps = r.add_subparsers(dest="step", required=True)
    packet = steps.add_parser("packet", help="write review-packet.txt and review-packet.pdf: every claim, source, contact, review state")
    packet.add_argument("--out", type=Path, default=ROOT / "output", help="directory to write to (default: output/)")
    verify = steps.add_parser("verify", help="record that a person verified a source (or opened a QR target)")
    which = verify.add_mutually_exclusive_group(required=True)
    which.add_argument("--source", metavar="ID", help="a source of data/sources.yaml")
    which.add_argument("--resource", metavar="ID", help="a QR target of data/resources.yaml (its page opened and read)")
    verify.add_argument("--by", required=False, default="", metavar="NAME", help="who checked (required for a source)")
    verify.add_argument("--on", required=True, metavar="YYYY-MM-DD", help="the day of the check")
    legal = steps.add_parser("legal", help="record the legal review of the advice by a qualified reviewer")
    legal.add_argument("--by", required=True, metavar="NAME")
    legal.add_argument("--on", required=True, metavar="YYYY-MM-DD")
    legal.add_argument("--role", required=True, metavar="ROLE", help="immigration attorney or accredited representative")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        commands = {"build": cmd_build, "check": cmd_check, "list": cmd_list, "translations": cmd_translations,
                    "review": cmd_review}
        return commands[args.command](args)
    except KeyboardInterrupt:
        print("interrupted; files already written are complete, nothing half-written was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _options(args) -> Options:
    return Options(
        data=args.data,
        layouts_dir=args.layouts_dir,
        fonts_dir=args.fonts_dir,
        out=getattr(args, "out", ROOT / "output"),
        layouts=getattr(args, "layouts", []),
        langs=getattr(args, "langs", []),
        schools=getattr(args, "schools", []),
        paper=getattr(args, "paper", "letter"),
        strict=args.strict,
        all=getattr(args, "all", False),
        force=getattr(args, "force", False),
        jobs=max(1, getattr(args, "jobs", 1)),
        bleed=getattr(args, "bleed", False),
        grayscale=getattr(args, "grayscale", False),
    )


def cmd_build(args) -> int:
    options = _options(args)
    started = time.perf_counter()
    outcome = build(options, log=lambda _line: None, progress=progress_reporter)
    report(outcome.problems)
    if outcome.problems.errors or (options.strict and outcome.problems.warnings):
        _summary_bad_input(outcome.problems, options.strict)
        return EXIT_BAD_INPUT
    if args.web:
        from .web import build_web

        web, _ = build_web(options)
        outcome.failed += web.failed
        print(f"web: {web.pages} pages, {len(web.written)} files written in {options.out / 'web'}")
    for failure in outcome.failed:
        print(f"failed: {failure}", file=sys.stderr)
    for path in outcome.removed:
        print(f"removed (no longer made): {path}")
    summary = (f"built {len(outcome.built)}, up to date {outcome.up_to_date}, warnings {outcome.warnings}, "
               f"failures {len(outcome.failed)} in {time.perf_counter() - started:.1f} s; catalog: {options.out / 'index.html'}")
    if outcome.worker_peak_rss_kb:
        summary += f"; peak worker memory {outcome.worker_peak_rss_kb // 1024} MB"
    print(summary, file=sys.stderr if outcome.failed else sys.stdout)
    return EXIT_FAILED if outcome.failed else EXIT_OK


class PlainProgress:
    """Progress for logs (not a terminal): a line at every tenth of the work."""

    def __init__(self, total: int):
        self.total, self.done, self.started, self.next_report = total, 0, time.perf_counter(), max(1, total // 10)

    def update(self, count: int) -> None:
        self.done += count
        if self.done >= self.next_report or self.done == self.total:
            elapsed = time.perf_counter() - self.started
            eta = elapsed / self.done * (self.total - self.done)
            print(f"[{self.done}/{self.total}] {100 * self.done // self.total}% elapsed {elapsed:.0f}s eta {eta:.0f}s", file=sys.stderr, flush=True)
            self.next_report = self.done + max(1, self.total // 10)

    def close(self) -> None:
        pass


def progress_reporter(total: int):
    """One mechanism: tqdm's bar on a terminal, a line per tenth of the work in logs."""
    if sys.stderr.isatty():
        import shutil

        from tqdm import tqdm

        # A terminal that reports no size (a serial console, `script`) would get an empty bar.
        return tqdm(total=total, unit="doc", file=sys.stderr, ncols=min(shutil.get_terminal_size().columns, 100))
    return PlainProgress(total)


def _summary_bad_input(problems, strict: bool) -> None:
    errors, warnings = len(problems.errors), len(problems.warnings)
    why = f"{errors} error(s)" + (f" and {warnings} warning(s) (--strict)" if strict and warnings else "")
    print(f"nothing was built or changed: {why}", file=sys.stderr)


def cmd_check(args) -> int:
    options = _options(args)
    options.all = True  # every school, layout and paper
    project, jobs, problems = load_and_plan(options, all_papers=True)
    if project is not None:
        check_documents(project, jobs, problems)
    report(problems)
    if problems.failed(options.strict):
        _summary_bad_input(problems, options.strict)
        return EXIT_BAD_INPUT
    print(f"ok: {len(jobs)} documents would be built; {len(problems.warnings)} warning(s)")
    return EXIT_OK


def cmd_list(args) -> int:
    project, problems = load_project(args.data, args.layouts_dir, args.fonts_dir)
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


def cmd_translations(args) -> int:
    from . import translations as tr
    from .write import atomic_write

    project, problems = load_project(args.data, args.layouts_dir, args.fonts_dir)
    if project is None:
        report(problems)
        return EXIT_BAD_INPUT
    source = project.languages["en"]
    if args.action == "status":
        print(f"{'code':<8} {'language':<18} {'status':<9} {'missing':>7} {'stale':>6}  reviewed")
        for row in tr.status_rows(project.languages):
            print(f"{row['code']:<8} {row['endonym']:<18} {row['status']:<9} {row['missing']:>7} {row['stale']:>6}  {row['reviewed']}")
        return EXIT_OK
    codes = args.lang if isinstance(args.lang, list) else [args.lang]
    if args.action == "import" and not args.lang and args.file.suffix == ".po":
        try:
            codes = [tr.import_po(args.file.read_text(encoding="utf-8"))[0]]
        except (OSError, ValueError) as exc:
            print(f"{args.file}:1:1: error: cannot import: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    for code in codes:
        if code not in project.languages:
            print(f"command line: error: unknown language '{code}'; available: {', '.join(sorted(project.languages))}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.action == "export":
        language = project.languages[codes[0]]
        text = tr.export_po(language, source) if args.format == "po" else tr.export_csv(language, source)
        if args.out:
            atomic_write(args.out, text.encode("utf-8"))
            print(f"wrote {args.out}")
        else:
            sys.stdout.write(text)
        return EXIT_OK
    updated = []
    for code in codes:
        language = project.languages[code]
        if args.action == "stamp":
            updated.append(tr.stamped_language(language, source))
        else:
            try:
                raw = args.file.read_text(encoding="utf-8-sig" if args.file.suffix == ".csv" else "utf-8")
                imported = tr.import_csv(raw) if args.file.suffix == ".csv" else tr.import_po(raw)[1]
            except (OSError, ValueError) as exc:
                print(f"{args.file}:1:1: error: cannot import: {exc}", file=sys.stderr)
                return EXIT_BAD_INPUT
            unknown = sorted(imported.strings.keys() - source.strings.keys())
            if unknown:
                print(f"{args.file}:1:1: error: keys not in en.yaml: {', '.join(unknown)}", file=sys.stderr)
                return EXIT_BAD_INPUT
            updated.append(tr.updated_language(language, imported))
    return _write_languages(updated, source, args)


def _write_languages(updated, source, args) -> int:
    """Write changed language files only if the whole project still validates with them."""
    import shutil
    import tempfile

    from . import translations as tr
    from .write import atomic_write

    texts = {Path(l.path): tr.render_language_file(l, source, tr.header_of(Path(l.path))) for l in updated}
    with tempfile.TemporaryDirectory() as tmp:
        trial = Path(tmp) / "data"
        shutil.copytree(args.data, trial)
        for path, text in texts.items():
            (trial / "languages" / path.name).write_text(text, encoding="utf-8")
        _, problems = load_project(trial, args.layouts_dir, args.fonts_dir)
    if problems.errors:
        for problem in problems.sorted():
            if problem.level == "error":
                print(str(problem).replace(str(trial), str(args.data)), file=sys.stderr)
        print("nothing was changed", file=sys.stderr)
        return EXIT_BAD_INPUT
    for path, text in texts.items():
        atomic_write(path, text.encode("utf-8"))
        print(f"updated {path}")
    return EXIT_OK


def cmd_review(args) -> int:
    from datetime import date

    from . import review

    project, problems = load_project(args.data, args.layouts_dir, args.fonts_dir)
    if project is None:
        report(problems)
        return EXIT_BAD_INPUT
    if args.step == "packet":
        for path in review.write_packet(project, args.out, date.today()):
            print(f"wrote {path}")
        return EXIT_OK

    def validate(trial: Path) -> list[str]:
        _, found = load_project(trial, args.layouts_dir, args.fonts_dir)
        return [str(p).replace(str(trial), str(args.data)) for p in found.sorted() if p.level == "error"]

    try:
        review._check_date(args.on)
        if args.step == "legal":
            text, name = review.legal_review_text(args.data / "claims.yaml", args.by, args.on, args.role), "claims.yaml"
        elif args.source:
            if not args.by.strip():
                raise review.ReviewProblem("--by is required: who read the source")
            text, name = review.verified_source_text(args.data / "sources.yaml", args.source, args.by, args.on), "sources.yaml"
        else:
            text, name = review.verified_resource_text(args.data / "resources.yaml", args.resource, args.on), "resources.yaml"
        path = review.record(args.data, name, text, validate)
    except review.ReviewProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"recorded in {path}")
    return EXIT_OK
