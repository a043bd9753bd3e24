"""Merchant logos: checked by their content (PNG, JPEG or WebP; never SVG, which can carry
script), bounded in size, stored under the data directory with a content-hash name, and served
read-only with a long cache (a new logo has a new name)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import filetype
from flask import Blueprint, Response, abort, send_from_directory

from core.errors import ValidationError

MAX_LOGO_BYTES = 512 * 1024
ALLOWED = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
LOGO_NAME = re.compile(r"^\d+-[0-9a-f]{16}\.(png|jpg|webp)$")


def logo_directory(data_dir: Path) -> Path:
    return data_dir / "logos"


def save_logo(data_dir: Path, merchant_id: int, content: bytes) -> str:
    """Store an uploaded logo and return its file name; refuse, with the reason, anything
    too large or not an image of the allowed kinds."""
    if not content:
        raise ValidationError("the logo file is empty", key="logo_empty")
    if len(content) > MAX_LOGO_BYTES:
        raise ValidationError(
            f"the logo is over {MAX_LOGO_BYTES // 1024} KB",
            key="logo_size",
            kb=MAX_LOGO_BYTES // 1024,
        )
    kind = filetype.guess(content)
    if kind is None or kind.mime not in ALLOWED:
        raise ValidationError("the logo must be a PNG, JPEG or WebP image", key="logo_kind")
    name = f"{merchant_id}-{hashlib.sha256(content).hexdigest()[:16]}.{ALLOWED[kind.mime]}"
    directory = logo_directory(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(content)
    return name


def create_logos_blueprint(data_dir: Path) -> Blueprint:
    """`/logos/<name>`: public (payment pages and emails show them), immutable, never sniffed."""
    logos = Blueprint("logos", __name__)

    @logos.get("/logos/<name>")
    def logo(name: str) -> Response:
        if not LOGO_NAME.fullmatch(name):
            abort(404)
        response = send_from_directory(logo_directory(data_dir), name, max_age=365 * 86400)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        response.headers["Content-Security-Policy"] = "default-src 'none'"
        return response

    return logos
