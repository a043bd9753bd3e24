"""The installable Magento module: `python -m connectors.magento.build [folder]` writes
`paylink-magento-<version>.zip`, a Composer artifact (`composer.json` at its root, type
`magento2-module`) that also unzips into `app/code/Paylink/Connector`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from connectors.module_package import ModulePackage

MODULE = Path(__file__).resolve().parent / "module" / "Paylink" / "Connector"


def module_version() -> str:
    version: str = json.loads((MODULE / "composer.json").read_text())["version"]
    return version


PACKAGE = ModulePackage(MODULE, "paylink-magento", "", module_version)


if __name__ == "__main__":
    sys.exit(PACKAGE.build(sys.argv[1:]))
