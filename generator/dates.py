"""Render support: an ISO date -> the date as the page's reader writes it (CLDR through Babel).

No page prints 2026-11-28: each language gets CLDR's long date format for its locale
(`date_locale` in the language file when CLDR lacks the language or knows it only
partly; Haitian Creole uses fr_HT, Dari fa_AF).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date


@lru_cache(maxsize=None)
def known_locale(name: str) -> bool:
    try:
        Locale.parse(name.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


@lru_cache(maxsize=1024)
def reader_date(iso: str, locale: str) -> str:
    return format_date(date.fromisoformat(iso), format="long", locale=Locale.parse(locale.replace("-", "_")))
