"""Benchmark only: the English handout's content as a Typst document, for `make bench`'s comparison.

Never used to render anything a family gets: it answers one question, how long the engine
a user might pick instead takes for the same page. The Typst source lays out the same
English strings and organisations as our Letter handout (two columns, the door box, the
help box, two vector QR codes, a school line that differs per document). The QR codes are
drawn from our own module matrices, written into the data as runs of dark modules (Typst
has no QR code of its own and its packages would need the internet).

Run as a whole process, as our build is timed:

    python bench/typst_handout.py DATA_DIR OUT_DIR SCHOOL_ID...

prints one line: `warm-ms-per-document <median of documents 6..N, in this process>`.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SOURCE = r"""
#let d = json("data.json")
// Our strings mark bold with **...**: the same emphasis here.
#let rich(s) = s.split("**").enumerate().map(((i, p)) => if calc.odd(i) { strong(p) } else { p }).join()
#let t = d.t.pairs().map(((k, v)) => (k, rich(v))).to-dict()
#let school = sys.inputs.at("school", default: "")
#let school-line = sys.inputs.at("school-line", default: "")
#set document(title: d.title, author: d.district)
#set text(font: "Noto Sans", size: 10pt, lang: "en", fill: rgb("#1a1a1a"))
#set page(paper: "us-letter", margin: 0.5in)
#set par(leading: 3pt, spacing: 4pt)
#let blue = rgb("#1f3a5f")
#let tint = rgb("#e8edf4")
// One filled path per code, a rectangle per run of dark modules, as our own drawing does.
#let qr(code, size) = {
  let m = size / code.n
  box(width: size, height: size, curve(fill: black, stroke: none, ..code.runs.map(((x, y, w)) => (
    curve.move((x * m, y * m)), curve.line(((x + w) * m, y * m)), curve.line(((x + w) * m, (y + 1) * m)),
    curve.line((x * m, (y + 1) * m)), curve.close(),
  )).flatten()))
}

#grid(columns: (63%, 1fr), column-gutter: 6mm, align: bottom,
  [
    #text(size: 11pt, weight: "bold", fill: blue)[#d.district · #school]\
    #text(size: 10pt)[#school-line]
    #heading(level: 1, text(size: 22pt, fill: blue, t.doc_title))
    #text(size: 12.5pt, t.tagline)
  ],
  block(stroke: 1.5pt + blue, inset: 7pt, width: 100%)[
    #text(size: 12.5pt, weight: "bold", t.welcome_heading)\
    #t.welcome_body\
    #text(size: 21pt, weight: "bold", d.phone)
  ],
)
#line(length: 100%, stroke: 2.5pt + blue)

#block(fill: tint, stroke: 1.5pt + blue, inset: 9pt, width: 100%)[
  #heading(level: 2, text(size: 13.5pt, t.door_heading))
  #grid(columns: (1fr, 1fr), column-gutter: 6mm,
    list(t.door_1, t.door_2, t.door_force),
    list(t.door_inside, t.door_3, t.door_papers, t.door_4, t.door_5),
  )
]
#t.school_contacts

#grid(columns: (1fr, 1fr), column-gutter: 7mm,
  [
    #heading(level: 2, text(size: 13pt, fill: blue, t.school_heading))
    #t.school_body
    #heading(level: 2, text(size: 13pt, fill: blue, t.fair_heading))
    #t.fair_body

    #t.records_body
  ],
  [
    #heading(level: 2, text(size: 13pt, fill: blue, t.report_heading))
    #t.report_body
    #for office in d.offices [
      #text(weight: "bold", office.name)\
      #office.line
    ]
  ],
)

#heading(level: 2, text(size: 13pt, fill: blue, t.legal_heading))
#t.legal_body
#grid(columns: (1fr, 1fr), column-gutter: 7mm,
  list(..d.services.slice(0, 4).map(s => [*#s.name*#if s.detail != "" [, #s.detail]])),
  list(..d.services.slice(4).map(s => [*#s.name*#if s.detail != "" [, #s.detail]])),
)

#place(bottom, [
  #line(length: 100%, stroke: 2.5pt + blue)
  #text(size: 12pt, weight: "bold", fill: blue, t.qr_heading)
  #grid(columns: (1fr, 1fr), column-gutter: 8mm, align: horizon,
    ..d.codes.map(c => grid(columns: (30%, 1fr), column-gutter: 3mm, align: horizon,
      qr(c, 26mm),
      [#text(size: 10.5pt, weight: "bold", c.caption)\ #text(size: 9pt, c.url)],
    ))
  )
  #text(size: 8.5pt, t.disclaimer)\
  #text(size: 8.5pt, weight: "bold", d.footer)
])
"""


def runs(matrix) -> list[list[int]]:
    """Dark modules as horizontal runs (x, y, width), as our own QR drawing does."""
    out = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                out.append([start, y, x - start])
            else:
                x += 1
    return out


def document_data(project) -> dict:
    from generator.qr import qr_matrix

    t = project.languages["en"].strings
    district = project.district
    offices = []
    for office in project.organisations["complaint_offices"]:
        parts = [f"{t['label_phone']}: {office['phone']}"]
        if office.get("tdd"):
            parts.append(f"{t['label_tdd']}: {office['tdd']}")
        if office.get("language_help"):
            parts.append(f"{t['label_language_help']}: {office['language_help']}")
        offices.append({"name": office["name"], "line": " · ".join(parts + [office["email"], office["web"]])})
    codes = []
    for rid, caption in (("aclu", t["qr_aclu_caption"]), ("idp", t["qr_idp_caption"])):
        url = project.resources[rid].url
        matrix = qr_matrix(url)
        codes.append({"n": len(matrix), "runs": runs(matrix), "caption": caption, "url": url})
    return {
        "t": t, "district": district["name"], "phone": district["welcome_center"]["phone"],
        "title": f"{t['doc_title']} (English), {district['name']}",
        "offices": offices, "services": project.organisations["legal_services"], "codes": codes,
        "footer": f"English · {district['name']}",
    }


def main(argv: list[str]) -> None:
    started = time.perf_counter()
    data_dir, out, school_ids = Path(argv[0]), Path(argv[1]), argv[2:]
    sys.path.insert(0, str(ROOT))
    import typst
    import yaml

    from generator.validate import load_project

    project, _ = load_project(data_dir, ROOT / "layouts", ROOT / "fonts")
    schools = {s["id"]: s for s in yaml.safe_load((data_dir / "schools.yaml").read_text(encoding="utf-8"))["schools"]}
    work = out / "typst-src"
    work.mkdir(parents=True, exist_ok=True)
    (work / "data.json").write_text(json.dumps(document_data(project)), encoding="utf-8")
    (work / "handout.typ").write_text(SOURCE, encoding="utf-8")
    fonts = out / "typst-fonts"  # Typst reads fonts from folders: just our two Latin faces
    fonts.mkdir(exist_ok=True)
    for name in ("noto-sans-regular.ttf", "noto-sans-bold.ttf"):
        shutil.copyfile(ROOT / "fonts" / "build" / name, fonts / name)
    compiler = typst.Compiler(str(work / "handout.typ"), root=str(work), font_paths=[str(fonts)], ignore_system_fonts=True)
    times = []
    for sid in school_ids:
        school = schools[sid]
        line = " · ".join(v for v in (school.get("address", ""), school.get("phone", "")) if v)
        began = time.perf_counter()
        pdf = compiler.compile(format="pdf", sys_inputs={"school": school["name"], "school-line": line}, timestamp=0)
        (out / f"{sid}.pdf").write_bytes(pdf)
        times.append((time.perf_counter() - began) * 1000)
    warm = statistics.median(times[5:] or times)
    print(f"warm-ms-per-document {warm:.2f}; in-process total {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
