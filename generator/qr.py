"""Render support: a URL -> a QR code drawn as vector paths (cached per URL)."""

from __future__ import annotations

from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.colors import black
from reportlab.pdfgen.pathobject import PDFPathObject
from reportlab.platypus import Flowable

from .rlprivate import code_length, drawing_fingerprint

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
MM = 72 / 25.4


@lru_cache(maxsize=256)
def qr_matrix(url: str) -> tuple[tuple[bool, ...], ...]:
    """Module matrix including the quiet zone. Choosing the mask is slow, so cache it."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, box_size=1)
    code.add_data(url.encode("utf-8"))
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


@lru_cache(maxsize=256)
def modules_path(matrix: tuple[tuple[bool, ...], ...], size: float) -> str:
    """A code's dark modules as one PDF path, one rectangle per horizontal run (which keeps
    the path short), in the code's own coordinates: every school's copy of a page draws the
    very same path, so it is written out once per matrix and size (the key is the matrix
    itself, not its address: the path is always the one this matrix gives)."""
    n = len(matrix)
    module = size / n
    path = PDFPathObject()
    for row_index, row in enumerate(matrix):
        y = size - (row_index + 1) * module
        col = 0
        while col < n:
            if not row[col]:
                col += 1
                continue
            run_start = col
            while col < n and row[col]:
                col += 1
            path.rect(run_start * module, y, (col - run_start) * module, module)
    return path.getCode()


def module_size_mm(url: str, size_pt: float) -> float:
    return size_pt / len(qr_matrix(url)) / MM


class QRCode(Flowable):
    """A square QR code of `size` points, quiet zone included, drawn as filled rectangles."""

    def __init__(self, url: str, size: float):
        super().__init__()
        self.url = url
        self.size = size

    def wrap(self, avail_width, avail_height):
        return self.size, self.size

    def draw(self):
        canvas = self.canv
        start = code_length(canvas)
        canvas.saveState()
        canvas.setFillColor(black)
        # The matrix is looked up as it is drawn (qr_matrix is memoised): a code built once and
        # drawn on every school's copy (blocks.built_once) draws what its address encodes now.
        canvas.drawPath(PDFPathObject([modules_path(qr_matrix(self.url), self.size)]), stroke=0, fill=1)
        canvas.restoreState()
        log = getattr(canvas, "qr_drawings", None)
        if log is not None:  # the draw stage collects what each code drew, for verification
            log.append((self.url, drawing_fingerprint(canvas, start)))
