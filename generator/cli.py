"""Command line: `handouts build|check|list|translations|schools|links`, each a thin shell around the pipeline and its tools."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .pipeline import ROOT, Options, build, check_documents, load_and_plan, report
from .validate import load_project
from .write import atomic_write

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class Parser(argparse.ArgumentParser):
    """argparse, with errors that read `error: ...` and say where to look for the fix."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"error: {message}\n  (see `{self.prog} --help` for the options)\n")


def parser() -> argparse.ArgumentParser:
    """Every option may stand before or after the command's action (`translations --data D
    export` and `translations export --data D`): each option is declared with its default
    where it first may appear, and again, without a default (SUPPRESS), on every action
    below, so an option given earlier is never reset by a later parser's default."""
    top = Parser(prog=PROG, description="Family Rights Handouts: data + layouts -> print-ready PDFs.")
    path_options(top, suppress=False)
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    b = commands.add_parser("build", help="render, verify and write PDFs and manifest.json")
    path_options(b, suppress=True)
    b.add_argument("--layout", dest="layouts", action="append", default=[], metavar="NAME", help="layout to build (repeatable; default: all)")
    b.add_argument("--lang", dest="langs", action="append", default=[], metavar="CODE", help="language to build (repeatable; default: all)")
    b.add_argument("--paper", dest="papers", action="append", default=[], metavar="PAPER",
                   help="paper size (repeatable; default: each layout's own first paper, every paper with --all)")
    b.add_argument("--school", dest="schools", action="append", default=[], metavar="ID", help="school to build for (repeatable; default: the first in data/schools.yaml, every school with --all)")
    b.add_argument("--all", action="store_true", help="every school x language x layout x paper not narrowed by the options above (the semester run)")
    b.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N", help="parallel workers (default: all cores)")
    b.add_argument("--force", action="store_true", help="rebuild documents that are up to date")
    b.add_argument("--bleed", action="store_true", help="add a bleed (3 mm / 0.125 in) and crop marks, for print shops")
    b.add_argument("--grayscale", action="store_true", help="pure black on white, no tints (for office printers)")
    b.add_argument("--out", type=Path, default=ROOT / "output", help="output directory (default: output/)")
    b.add_argument("--web", action="store_true", help="also write the accessible web edition, OUT/web/ (every language)")

    c = commands.add_parser("check", help="validate data and templates without rendering PDFs")
    path_options(c, suppress=True)

    lst = commands.add_parser("list", help="list languages and layouts")
    path_options(lst, suppress=True)

    def translation_options(p: argparse.ArgumentParser, suppress: bool) -> None:
        path_options(p, suppress=True)
        default = (lambda value: argparse.SUPPRESS) if suppress else (lambda value: value)
        p.add_argument("--lang", action="append", default=default([]), metavar="CODE", help="language (export: one; stamp: repeatable; import: default from the file)")
        p.add_argument("--format", choices=["po", "csv", "xliff"], default=default(None), help="po (Poedit, Weblate), csv (spreadsheets), xliff (CAT tools: Trados, memoQ, Phrase); import: default from the file name")
        p.add_argument("--out", type=Path, default=default(None), help="export: file to write (default: standard output)")

    t = commands.add_parser("translations", help="export/import translations (PO, CSV, XLIFF), stamp, status")
    translation_options(t, suppress=False)
    actions = t.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=Parser)
    translation_options(actions.add_parser("export", help="write a language's strings for translators"), suppress=True)
    imp = actions.add_parser("import", help="read a translator's PO, CSV or XLIFF file back into data/languages")
    imp.add_argument("file", type=Path)
    translation_options(imp, suppress=True)
    translation_options(actions.add_parser("stamp", help="record that a language's strings match the current English"), suppress=True)
    translation_options(actions.add_parser("status", help="how far each translation is: status, missing and stale strings"), suppress=True)

    def school_options(p: argparse.ArgumentParser, suppress: bool) -> None:
        path_options(p, suppress=True)
        p.add_argument("--out", type=Path, default=argparse.SUPPRESS if suppress else None, help="export: file to write (default: standard output)")

    s = commands.add_parser("schools", help="schools from a spreadsheet: import or export data/schools.yaml as CSV")
    school_options(s, suppress=False)
    school_actions = s.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=Parser)
    simp = school_actions.add_parser("import", help="replace data/schools.yaml with a CSV's rows (only if every row is good)")
    simp.add_argument("file", type=Path)
    school_options(simp, suppress=True)
    school_options(school_actions.add_parser("export", help="write data/schools.yaml as CSV"), suppress=True)

    def link_options(p: argparse.ArgumentParser, suppress: bool) -> None:
        path_options(p, suppress=True)
        default = (lambda value: argparse.SUPPRESS) if suppress else (lambda value: value)
        p.add_argument("--timeout", type=float, default=default(15.0), metavar="SECONDS", help="give up on a link after this long (default: 15)")
        p.add_argument("--max-redirects", type=int, default=default(5), metavar="N", help="follow at most N redirects (default: 5)")

    lk = commands.add_parser("links", help="check that every QR target still answers, before the semester run")
    link_options(lk, suppress=False)
    link_actions = lk.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=Parser)
    lcheck = link_actions.add_parser("check", help="request every QR target and report status, final address and host changes")
    lcheck.add_argument("urls", nargs="*", metavar="URL", help="check these addresses instead of data/resources.yaml (e.g. before adding one)")
    link_options(lcheck, suppress=True)

    def review_options(p: argparse.ArgumentParser, suppress: bool) -> None:
        path_options(p, suppress=True)
        default = (lambda value: argparse.SUPPRESS) if suppress else (lambda value: value)
        p.add_argument("--out", type=Path, default=default(ROOT / "output"), help="packet: directory to write to (default: output/)")
        p.add_argument("--by", default=default(""), metavar="NAME", help="verify, legal: who checked")
        p.add_argument("--on", default=default(""), metavar="YYYY-MM-DD", help="verify, legal: the day of the check")

    r = commands.add_parser("review", help="the review packet a district signs off, and recording verifications")
    review_options(r, suppress=False)
    steps = r.add_subparsers(dest="step", required=True, metavar="STEP", parser_class=Parser)
    review_options(steps.add_parser("packet", help="write review-packet.txt and .pdf: every claim, source, contact, review state"), suppress=True)
    verify = steps.add_parser("verify", help="record that a person verified a source (or opened a QR target)")
    review_options(verify, suppress=True)
    which = verify.add_mutually_exclusive_group(required=True)
    which.add_argument("--source", metavar="ID", help="a source of data/sources.yaml")
    which.add_argument("--resource", metavar="ID", help="a QR target of data/resources.yaml (its page opened and read)")
    legal = steps.add_parser("legal", help="record the legal review of the advice by a qualified reviewer")
    review_options(legal, suppress=True)
    legal.add_argument("--role", required=True, metavar="ROLE", help="immigration attorney or accredited representative")
    return top


PROG = "handouts"


def path_options(p: argparse.ArgumentParser, suppress: bool) -> None:
    default = (lambda value: argparse.SUPPRESS) if suppress else (lambda value: value)
    p.add_argument("--data", type=Path, default=default(ROOT / "data"), help="data directory (default: data/)")
    p.add_argument("--layouts", dest="layouts_dir", type=Path, default=default(ROOT / "layouts"), help="layouts directory (default: layouts/)")
    p.add_argument("--fonts", dest="fonts_dir", type=Path, default=default(ROOT / "fonts"), help="fonts directory with manifest.yaml and build/ (default: fonts/)")
    p.add_argument("--strict", action="store_true", default=default(False), help="treat warnings as failures (for the official run)")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        commands = {"build": cmd_build, "check": cmd_check, "list": cmd_list, "translations": cmd_translations,
                    "schools": cmd_schools, "links": cmd_links, "review": cmd_review}
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
        papers=getattr(args, "papers", []),
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

        web = build_web(options, outcome.project)
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
    errors, warnings = len(set(problems.errors)), len(set(problems.warnings))  # as report() lists them: each once
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
    print(f"ok: {len(jobs)} documents would be built; {len(set(problems.warnings))} warning(s)")
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
    from .plan import unknown_name
    project, problems = load_project(args.data, args.layouts_dir, args.fonts_dir)
    if project is None:
        report(problems)
        return EXIT_BAD_INPUT
    source = project.languages["en"]
    codes = list(args.lang)
    for code in codes:
        if code not in project.languages:
            return fail(unknown_name("language", "--lang", code, project.languages))
    if args.action == "status":
        print(f"{'code':<8} {'language':<18} {'status':<9} {'missing':>7} {'stale':>6}  reviewed")
        for row in tr.status_rows(project.languages):
            if not codes or row["code"] in codes:
                print(f"{row['code']:<8} {row['endonym']:<18} {row['status']:<9} {row['missing']:>7} {row['stale']:>6}  {row['reviewed']}")
        return EXIT_OK
    if args.action == "export":
        if len(codes) != 1:
            return fail(f"translations export writes one language: give --lang CODE once (for example `{PROG} translations export --lang es --format xliff --out es.xlf`)")
        language = project.languages[codes[0]]
        fmt = args.format or _format_of(args.out) or "po"
        try:
            text = tr.EXPORTERS[fmt](language, source)
        except ValueError as exc:
            return fail(f"cannot export {codes[0]}: {exc}")
        return _write_or_print(text, args.out)
    if args.action == "stamp":
        if not codes:
            return fail(f"translations stamp needs --lang CODE (repeatable), for example `{PROG} translations stamp --lang es`")
        return _write_languages([tr.stamped_language(project.languages[code], source) for code in codes], source, args)
    return _import_translations(args, project, codes)


def _format_of(path: Path | None) -> str | None:
    suffix = path.suffix.lower() if path else ""
    return {".po": "po", ".csv": "csv", ".xlf": "xliff", ".xliff": "xliff"}.get(suffix)


def _import_translations(args, project, codes: list[str]) -> int:
    """A translator's file -> language file, written only if the whole project still validates."""
    from . import translations as tr
    from .plan import unknown_name

    source = project.languages["en"]
    fmt = args.format or _format_of(args.file)
    if fmt is None:
        return fail(f"cannot tell the format of {args.file}: name it .po, .csv or .xlf, or give --format po|csv|xliff")
    try:
        raw = args.file.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return fail(f"cannot read {args.file}: {exc.strerror or exc}")
    except UnicodeDecodeError as exc:
        return fail(f"{args.file} is not UTF-8 text (byte {exc.start}); save it as UTF-8")
    try:
        code, imported = tr.IMPORTERS[fmt](raw)
    except tr.ImportProblem as exc:
        print(f"{args.file}:{exc.line}:{exc.col}: error: cannot import: {exc}", file=sys.stderr)
        print("nothing was changed", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as exc:
        print(f"{args.file}:1:1: error: cannot import: {exc}", file=sys.stderr)
        print("nothing was changed", file=sys.stderr)
        return EXIT_BAD_INPUT
    if codes and code and code != codes[0]:
        return fail(f"{args.file} holds language '{code}', not '{codes[0]}'; leave out --lang or pick the right file")
    code = codes[0] if codes else code
    if not code:
        return fail(f"{args.file} does not say its language; give --lang CODE")
    if code not in project.languages:
        return fail(unknown_name("language", "--lang", code, project.languages) + f" (named by {args.file})")
    unknown = sorted(imported.strings.keys() - source.strings.keys())
    if unknown:
        print(f"{args.file}:1:1: error: keys not in en.yaml: {', '.join(unknown)}", file=sys.stderr)
        print("nothing was changed", file=sys.stderr)
        return EXIT_BAD_INPUT
    return _write_languages([tr.updated_language(project.languages[code], imported)], source, args)


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _write_languages(updated, source, args) -> int:
    """Write changed language files only if the whole project still validates with them."""
    from . import translations as tr
    texts = {Path(l.path): tr.render_language_file(l, source, tr.header_of(Path(l.path))) for l in updated}
    problems = _trial_validation(args, {f"languages/{path.name}": text for path, text in texts.items()})
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        print("nothing was changed", file=sys.stderr)
        return EXIT_BAD_INPUT
    for path, text in texts.items():
        atomic_write(path, text.encode("utf-8"))
        print(f"updated {path}")
    return EXIT_OK


def cmd_schools(args) -> int:
    from . import schools_csv
    from .translations import header_of
    path = args.data / "schools.yaml"
    if not args.data.is_dir():
        return fail(f"data directory {args.data} not found; give --data DIR")
    if args.action == "export":
        try:
            text = schools_csv.schools_csv(path)
        except ValueError as exc:
            return fail(f"cannot export the schools: {exc}")
        return _write_or_print(text, args.out)
    try:
        text = schools_csv.decode(args.file.read_bytes())
    except OSError as exc:
        return fail(f"cannot read {args.file}: {exc.strerror or exc}")
    except ValueError as exc:
        return fail(f"{args.file}: {exc}")
    found = schools_csv.schools_from_csv(text, args.file.name, args.data)
    if found.problems:
        for problem in found.problems:
            print(f"{args.file}: {problem}", file=sys.stderr)
        print(f"nothing was changed: {len(found.problems)} problem(s); fix the rows named above and import again", file=sys.stderr)
        return EXIT_BAD_INPUT
    header = header_of(path) if path.exists() else ""
    new_text = schools_csv.schools_yaml(found.schools, header)
    problems = _trial_validation(args, {"schools.yaml": new_text})
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        print("nothing was changed", file=sys.stderr)
        return EXIT_BAD_INPUT
    atomic_write(path, new_text.encode("utf-8"))
    print(f"updated {path}: {len(found.schools)} school(s): {', '.join(s['id'] for s in found.schools)}")
    return EXIT_OK


def _write_or_print(text: str, out: Path | None) -> int:
    """An export: to the file named with --out (written atomically), else to standard output."""
    if out:
        atomic_write(out, text.encode("utf-8"))
        print(f"wrote {out}")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _trial_validation(args, texts: dict[str, str]) -> list[str]:
    """Errors the whole project would have with these data files replaced (relative to
    the data directory); the real files are not touched."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        trial = Path(tmp) / "data"
        shutil.copytree(args.data, trial)
        for relative, text in texts.items():
            (trial / relative).write_text(text, encoding="utf-8")
        _, problems = load_project(trial, args.layouts_dir, args.fonts_dir)
        return [str(p).replace(str(trial), str(args.data)) for p in problems.sorted() if p.level == "error"]


def cmd_links(args) -> int:
    from datetime import date

    from . import links
    from .pipeline import MAX_VERIFIED_AGE

    if args.timeout <= 0 or args.max_redirects < 0:
        return fail("--timeout must be more than 0 seconds and --max-redirects 0 or more")
    if args.urls:
        targets = [(url, url) for url in args.urls]
        verified: dict[str, str | None] = {url: None for url in args.urls}
    else:
        project, problems = load_project(args.data, args.layouts_dir, args.fonts_dir)
        if project is None:
            report(problems)
            return EXIT_BAD_INPUT
        # a resource's addresses for single languages are QR targets too (checked with it)
        targets, verified = [], {}
        for r in project.resources.values():
            for name, url in [(r.id, r.url)] + [(f"{r.id} ({code})", url) for code, url in r.languages]:
                targets.append((name, url))
                verified[name] = r.verified_on
    for name, url in targets:
        if urlsplit_scheme(url) not in ("http", "https"):
            return fail(f"'{url}' is not a web address; give addresses that start with https://")
    print(f"checking {len(targets)} link(s) (timeout {args.timeout:g} s, at most {args.max_redirects} redirects)...", flush=True)
    results = links.check_links(targets, args.timeout, args.max_redirects)
    if links.no_network(results):
        print(f"error: none of the {len(results)} link(s) could be reached ({results[0].error}); is this machine online? "
              "Run the link check again where there is internet access. Nothing was changed.", file=sys.stderr)
        return EXIT_FAILED
    for result in results:
        for line in links.describe(result):
            print(line)
    today = date.today()
    again = []
    for result in results:
        why = links.look_again(result, verified[result.name])
        recorded = verified[result.name]
        if not why and recorded and date.fromisoformat(recorded) < today - MAX_VERIFIED_AGE:
            why = f"a person last checked it on {recorded}, more than 180 days ago"
        if why:
            again.append(f"  {result.name}: {result.final_url or result.url} ({why})")
    failed = [r for r in results if r.failed]
    if again:
        print("A person should open these and read the page again, then record the date in verified_on "
              "(data/resources.yaml); this check never records it:")
        print("\n".join(again))
    summary = f"{len(results) - len(failed)} of {len(results)} link(s) answered; {len(failed)} failed"
    if failed:
        print(f"error: {summary}; fix or replace the failing address(es) in data/resources.yaml before printing", file=sys.stderr)
        return EXIT_FAILED
    print(summary)
    return EXIT_OK


def urlsplit_scheme(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).scheme


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

    try:
        if not args.on:
            raise review.ReviewProblem("--on YYYY-MM-DD is required: the day of the check")
        review.check_date(args.on)
        if args.step == "legal":
            text, name = review.legal_review_text(args.data / "claims.yaml", args.by, args.on, args.role), "claims.yaml"
        elif args.source:
            if not args.by.strip():
                raise review.ReviewProblem("--by is required: who read the source")
            text, name = review.verified_source_text(args.data / "sources.yaml", args.source, args.by, args.on), "sources.yaml"
        else:
            text, name = review.verified_resource_text(args.data / "resources.yaml", args.resource, args.on), "resources.yaml"
        problems = _trial_validation(args, {name: text})
        if problems:
            raise review.ReviewProblem("the change would break the data, nothing was changed:\n" + "\n".join(problems))
        path = args.data / name
        atomic_write(path, text.encode("utf-8"))
    except review.ReviewProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"recorded in {path}")
    return EXIT_OK
