"""The installable module: `python -m connectors.prestashop.build [folder]` writes
`paylink-prestashop-<version>.zip` (the `paylink` folder at its root, as PrestaShop's
"Upload a module" expects), and Paylink serves the same bytes at
/connectors/prestashop/module.zip. The zip is reproducible: fixed file times and order."""

from __future__ import annotations

import io
import re
import sys
import zipfile
from functools import lru_cache
from pathlib import Path

MODULE = Path(__file__).resolve().parent / "module" / "paylink"
#: The time every file in the zip carries (reproducible builds).
FIXED_TIME = (2026, 1, 1, 0, 0, 0)


def module_version() -> str:
    """The version the module declares in config.xml (PrestaShop reads it there)."""
    found = re.search(
        r"<version><!\[CDATA\[([^\]]+)\]\]></version>", (MODULE / "config.xml").read_text()
    )
    if found is None:
        raise RuntimeError(f"{MODULE / 'config.xml'} declares no version")
    return found.group(1)


def zip_name() -> str:
    return f"paylink-prestashop-{module_version()}.zip"


@lru_cache(maxsize=1)
def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(MODULE.rglob("*")):
            if path.is_file():
                name = Path("paylink") / path.relative_to(MODULE)
                entry = zipfile.ZipInfo(name.as_posix(), FIXED_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                archive.writestr(entry, path.read_bytes())
    return buffer.getvalue()


def module_zip() -> io.BytesIO:
    return io.BytesIO(_zip_bytes())


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else Path("dist")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / zip_name()
    target.write_bytes(_zip_bytes())
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
