"""The rules of the XLIFF 1.2 schema (strict), for the elements this project writes.

No copy of the OASIS schema file ships in a package this project can install (checked:
translate-toolkit 3.20.4, moz-xliff-linter, l10n-lint), and nothing may be downloaded, so
the schema's rules for these elements are written out here from the XLIFF 1.2
specification: namespace, which children each element may have and in what order, the
required and permitted attributes, and the enumerated values (with the `x-` extension
the schema allows). An element the project does not write is reported as unexpected,
so this check can only be stricter than the schema, never looser.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

NS = "urn:oasis:names:tc:xliff:document:1.2"
XML = "{http://www.w3.org/XML/1998/namespace}"
X_VALUE = re.compile(r"x-\S+")

STATES = {"final", "needs-adaptation", "needs-l10n", "needs-review-adaptation", "needs-review-l10n",
          "needs-review-translation", "needs-translation", "new", "signed-off", "translated"}
CONTEXT_TYPES = {"database", "element", "elementtitle", "linenumber", "numparams", "paramnotes", "record",
                 "recordtitle", "sourcefile"}
PURPOSES = {"information", "location", "match"}
DATATYPES = {"asp", "c", "cdf", "cfm", "cpp", "csharp", "cstring", "csv", "database", "documentfooter",
             "documentheader", "filedialog", "form", "html", "htmlbody", "ini", "interleaf", "javaclass",
             "javapropertyresourcebundle", "javalistresourcebundle", "javascript", "jscript", "layout", "lisp",
             "margin", "menufile", "messagefile", "mif", "mimetype", "mo", "msglib", "pagefooter", "pageheader",
             "parameters", "pascal", "php", "plaintext", "po", "report", "resources", "resx", "rtf", "sgml",
             "sgmldtd", "svg", "vbscript", "warning", "winres", "xhtml", "xml", "xmldtd", "xsl", "xul"}

# element: (required attributes, permitted attributes, content model as a regex over child names)
ELEMENTS = {
    "xliff": ({"version"}, {XML + "lang"}, r"(file )+"),
    "file": ({"original", "source-language", "datatype"},
             {"target-language", "tool-id", "date", XML + "space", "category", "product-name", "product-version", "build-num"},
             r"(header )?body "),
    "header": (set(), set(), r"(skl )?((phase-group|glossary|reference|count-group|note|tool) )*"),
    "body": (set(), set(), r"((group|trans-unit|bin-unit) )*"),
    "trans-unit": ({"id"}, {"approved", "translate", "reformat", "resname", "datatype", "extype", "help-id", "menu",
                            "menu-option", "menu-name", "coord", "font", "css-style", "style", "exstyle", "extradata",
                            "size-unit", "maxwidth", "minwidth", "maxheight", "minheight", "maxbytes", "minbytes",
                            "charclass", "phase-name", "restype", XML + "space"},
                   r"source (seg-source )?(target )?((context-group|count-group|note|alt-trans) )*"),
    "source": (set(), {XML + "lang"}, r""),
    "target": (set(), {"state", "state-qualifier", "phase-name", XML + "lang", "resname", "coord", "font",
                       "css-style", "style", "exstyle", "equiv-trans"}, r""),
    "context-group": (set(), {"name", "crc", "purpose"}, r"(context )+"),
    "context": ({"context-type"}, {"match-mandatory", "crc"}, r""),
    "note": (set(), {XML + "lang", "from", "priority", "annotates"}, r""),
}
ENUMERATIONS = {
    ("xliff", "version"): {"1.2"},
    ("file", "datatype"): DATATYPES,
    ("target", "state"): STATES,
    ("context", "context-type"): CONTEXT_TYPES,
    ("context-group", "purpose"): PURPOSES,
    ("note", "annotates"): {"source", "target", "general"},
    ("trans-unit", XML + "space"): {"default", "preserve"},
    ("trans-unit", "approved"): {"yes", "no"},
    ("trans-unit", "translate"): {"yes", "no"},
}


def violations(text: str) -> list[str]:
    root = ET.fromstring(text)
    found: list[str] = []
    if root.tag != f"{{{NS}}}xliff":
        return [f"root element is {root.tag}, not xliff in the XLIFF 1.2 namespace"]
    _check(root, found)
    ids = [unit.get("id") for unit in root.iter(f"{{{NS}}}trans-unit")]
    if len(ids) != len(set(ids)):
        found.append("trans-unit ids are not unique within the file")
    return found


def _check(element, found: list[str]) -> None:
    if not element.tag.startswith(f"{{{NS}}}"):
        found.append(f"element {element.tag} is not in the XLIFF 1.2 namespace")
        return
    name = element.tag.split("}")[1]
    if name not in ELEMENTS:
        found.append(f"<{name}> is not an element this check knows")
        return
    required, permitted, model = ELEMENTS[name]
    for attribute in required - set(element.attrib):
        found.append(f"<{name}> lacks the required attribute {attribute}")
    for attribute, value in element.attrib.items():
        if attribute not in required | permitted:
            found.append(f"<{name}> has the attribute {attribute}, which the schema does not allow")
        allowed = ENUMERATIONS.get((name, attribute))
        if allowed and value not in allowed and not (name, attribute) in {("xliff", "version")} and not X_VALUE.fullmatch(value):
            found.append(f"<{name} {attribute}={value!r}> is not one of the schema's values")
        if allowed and (name, attribute) == ("xliff", "version") and value not in allowed:
            found.append(f"xliff version {value!r} is not 1.2")
    children = "".join(child.tag.split("}")[-1] + " " for child in element)
    if not re.fullmatch(model, children):
        found.append(f"<{name}> holds [{children.strip()}], which its content model ({model or 'text only'}) does not allow")
    if model and (element.text or "").strip():
        found.append(f"<{name}> holds text outside its child elements")
    for child in element:
        _check(child, found)
