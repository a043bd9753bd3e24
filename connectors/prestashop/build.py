"""The installable PrestaShop module: `python -m connectors.prestashop.build [folder]` writes
`paylink-prestashop-<version>.zip` with the `paylink` folder at its root, as PrestaShop's
"Upload a module" expects."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from connectors.module_package import ModulePackage

MODULE = Path(__file__).resolve().parent / "module" / "paylink"


def module_version() -> str:
    """The version the module declares in config.xml (PrestaShop reads it there)."""
    found = re.search(
        r"<version><!\[CDATA\[([^\]]+)\]\]></version>", (MODULE / "config.xml").read_text()
    )
    if found is None:
        raise RuntimeError(f"{MODULE / 'config.xml'} declares no version")
    return found.group(1)


PACKAGE = ModulePackage(MODULE, "paylink-prestashop", "paylink", module_version)


if __name__ == "__main__":
    sys.exit(PACKAGE.build(sys.argv[1:]))
