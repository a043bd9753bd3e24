"""The installable zip of a module Paylink ships for a platform (PrestaShop's, Magento's):
reproducible (fixed file times, sorted entries), built by the platform's
`python -m connectors.<platform>.build [folder]` and served by Paylink at
`/connectors/<platform>/module.zip`, the same bytes."""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Response, send_file

#: The time every file in the zip carries.
FIXED_TIME = (2026, 1, 1, 0, 0, 0)


@dataclass
class ModulePackage:
    folder: Path
    #: The zip's name before its version ("paylink-prestashop").
    name: str
    #: The folder the files sit in inside the zip ("paylink"), or "" for the zip's root.
    root: str
    version: Callable[[], str]
    _built: bytes | None = field(default=None, repr=False)

    def zip_name(self) -> str:
        return f"{self.name}-{self.version()}.zip"

    def zip_bytes(self) -> bytes:
        if self._built is None:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(self.folder.rglob("*")):
                    if path.is_file():
                        name = (Path(self.root) / path.relative_to(self.folder)).as_posix()
                        entry = zipfile.ZipInfo(name, FIXED_TIME)
                        entry.compress_type = zipfile.ZIP_DEFLATED
                        entry.external_attr = 0o644 << 16
                        archive.writestr(entry, path.read_bytes())
            self._built = buffer.getvalue()
        return self._built

    def download(self) -> Response:
        """The zip as a download (Paylink's `/connectors/<platform>/module.zip`)."""
        return send_file(
            io.BytesIO(self.zip_bytes()),
            mimetype="application/zip",
            as_attachment=True,
            download_name=self.zip_name(),
        )

    def build(self, argv: list[str]) -> int:
        """The build command: writes the zip into the folder named (default `dist`)."""
        folder = Path(argv[0]) if argv else Path("dist")
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / self.zip_name()
        target.write_bytes(self.zip_bytes())
        print(target, file=sys.stdout)
        return 0
