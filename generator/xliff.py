"""Translation workflow: language files <-> XLIFF 1.2, the exchange format of translation vendors' CAT tools.

Trados, memoQ, Phrase and their kind read XLIFF 1.2. Each string is one `trans-unit`
whose id is the string's key: the English `source`, the `target` with its `state`
(`needs-translation` when there is none yet, `needs-review-translation` when the
English changed after it was translated, `translated` otherwise), a context group with
the key, the hash of the English shown and the hash of the English the translation was
made from, and notes for placeholders and `**bold**`.

The file is written with ElementTree, which escapes every value; it is read back with
defusedxml, which refuses DTDs and entity declarations (billion laughs, external
entities), so a file from outside can only ever be data. Export then import changes
nothing; a stale string stays stale until the translator marks it translated.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import defusedxml
import defusedxml.ElementTree as SafeET

from .model import Language
from .translations import HASH_PATTERN, ImportProblem, Imported, last_translator, source_hash, stale_keys
from .validate import PLACEHOLDER

NS = "urn:oasis:names:tc:xliff:document:1.2"
XML_NS = "http://www.w3.org/XML/1998/namespace"
PRODUCT = "family-rights-handouts"
# States a CAT tool uses for a target a person still has to check against the (new) English.
REVIEW_STATES = {"needs-review-translation", "needs-review-l10n", "needs-review-adaptation"}
MAX_BYTES = 5_000_000  # a language's strings are a few kilobytes; a huge file is not one of ours
# XML 1.0 cannot hold these (and a carriage return would come back as a line feed).
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff]")


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def export_xliff(language: Language, source: Language) -> str:
    stale = set(stale_keys(language, source))
    # Written as plain names under a default namespace declared on the root (ElementTree
    # would otherwise invent an `ns0:` prefix); read back with the namespace resolved.
    _q = str
    root = ET.Element("xliff", {"xmlns": NS, "version": "1.2"})
    file = ET.SubElement(root, _q("file"), {
        "original": f"languages/{language.code}.yaml",
        "source-language": source.code,
        "target-language": language.code,
        "datatype": "plaintext",
        "product-name": PRODUCT,
    })
    header = ET.SubElement(file, _q("header"))
    ET.SubElement(header, _q("note")).text = (
        f"Strings of the Family Rights Handouts in {language.name_en} ({language.code}); last translator: "
        f"{last_translator(language)}. State needs-review-translation means the English changed after the string "
        "was translated: update the translation, then mark it translated.")
    body = ET.SubElement(file, _q("body"))
    for key, english in source.strings.items():
        translation = language.strings.get(key, "")
        unit = ET.SubElement(body, _q("trans-unit"), {"id": key, "resname": key, f"{{{XML_NS}}}space": "preserve"})
        ET.SubElement(unit, _q("source")).text = _xml_text(key, english)
        state = "needs-translation" if not translation else ("needs-review-translation" if key in stale else "translated")
        ET.SubElement(unit, _q("target"), {"state": state}).text = _xml_text(key, translation)
        group = ET.SubElement(unit, _q("context-group"), {"name": "handouts", "purpose": "information"})
        ET.SubElement(group, _q("context"), {"context-type": "x-key"}).text = key
        ET.SubElement(group, _q("context"), {"context-type": "x-source-hash"}).text = source_hash(english)
        recorded = language.sources.get(key, "")
        if recorded:
            ET.SubElement(group, _q("context"), {"context-type": "x-translated-from-hash"}).text = recorded
        for note in _notes(english):
            ET.SubElement(unit, _q("note"), {"from": PRODUCT, "annotates": "source"}).text = note
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _notes(english: str) -> list[str]:
    notes = []
    placeholders = sorted(set(PLACEHOLDER.findall(english)))
    if placeholders:
        names = ", ".join("{" + name + "}" for name in placeholders)
        notes.append(f"Keep {names} exactly as written, braces included: the handout puts a value there.")
    if "**" in english:
        notes.append("Text between ** and ** prints in bold: keep the pairs of ** around the words that should be bold.")
    return notes


def _xml_text(key: str, text: str) -> str:
    found = _NOT_XML.search(text)
    if found:
        raise ValueError(f"'{key}' contains the control character U+{ord(found.group()):04X}, which XML cannot hold; remove it")
    return text


# --- import ------------------------------------------------------------------------------------

def import_xliff(text: str) -> tuple[str, Imported]:
    """(target language, translated strings with the hash of the English each was made from).
    Untranslated units are left out: the language file keeps what it has."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ImportProblem(f"the file is larger than {MAX_BYTES:,} bytes; this is not a language's strings")
    try:
        root = SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except ET.ParseError as exc:
        line, col = exc.position
        raise ImportProblem(f"not well-formed XML ({exc.msg})", line, col + 1) from None
    except defusedxml.DefusedXmlException:
        raise ImportProblem("the file declares a DTD or entities; XLIFF needs neither, and they are refused for safety") from None
    if root.tag != _q("xliff") or root.get("version") != "1.2":
        raise ImportProblem(f"not an XLIFF 1.2 file (root element {_local(root.tag)!r}, version {root.get('version')!r}); "
                            "export XLIFF 1.2 from the translation tool")
    targets = {f.get("target-language", "") for f in root.iter(_q("file"))}
    if len(targets) > 1:
        raise ImportProblem(f"the file holds several target languages ({', '.join(sorted(targets))}); import one at a time")
    strings, sources = {}, {}
    for unit in root.iter(_q("trans-unit")):
        key = unit.get("id", "")
        if key in strings:
            raise ImportProblem(f"trans-unit '{key}' appears twice")
        target = unit.find(_q("target"))
        translation = _plain_text(key, target) if target is not None else ""
        if not key or not translation:
            continue  # untranslated: keep whatever the language file has
        english = _plain_text(key, unit.find(_q("source")))
        strings[key] = translation
        recorded = _context(unit, "x-translated-from-hash")
        if target.get("state") in REVIEW_STATES and recorded:
            # Still the old translation, waiting for review: keep the hash it was made from.
            if not HASH_PATTERN.fullmatch(recorded):
                raise ImportProblem(f"trans-unit '{key}': x-translated-from-hash {recorded[:40]!r} is not a source hash; leave it as exported")
            sources[key] = recorded
        else:
            sources[key] = source_hash(english)
    code = next(iter(targets), "")
    return code, Imported(strings, sources)


def _plain_text(key: str, element) -> str:
    """The text of a source or target. Segment markers (`mrk`) that CAT tools add are
    unwrapped; any other inline element is refused: this tool wrote none."""
    if element is None:
        return ""
    for child in element.iter():
        if child is not element and child.tag != _q("mrk"):
            raise ImportProblem(f"trans-unit '{key}': <{_local(child.tag)}> inside <{_local(element.tag)}>; "
                                "the strings are plain text: remove the markup (write ** for bold)")
    return "".join(element.itertext())


def _context(unit, context_type: str) -> str:
    for context in unit.iter(_q("context")):
        if context.get("context-type") == context_type:
            return (context.text or "").strip()
    return ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
