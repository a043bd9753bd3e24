"""The PrestaShop module (connectors/prestashop/module/paylink) as PrestaShop and its PHP see
it: every file valid PHP with nothing newer than 7.2, an index.php guard in every folder, its
logic tested under php-cli (PHPUnit, on stand-ins for PrestaShop), translations for every text,
the signature the same bytes on both sides, and the installable zip."""

import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from connectors import signed_events as auth
from connectors.prestashop import build
from tests.connectors.prestashop.php_tools import need, run

MODULE = build.MODULE
HERE = Path(__file__).parent
PHP_FILES = sorted(MODULE.rglob("*.php"))


@pytest.mark.parametrize("path", PHP_FILES, ids=lambda p: str(p.relative_to(MODULE)))
def test_every_file_is_valid_php(path):
    checked = run(need("php"), "-l", path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_no_syntax_newer_than_php_7_2():
    checked = run(need("php"), HERE / "php" / "check_php72.php", *PHP_FILES)
    assert checked.returncode == 0, checked.stdout


def test_the_checker_refuses_newer_syntax(tmp_path):
    newer = tmp_path / "newer.php"
    newer.write_text(
        "<?php\nclass A { private ?int $x; function f() { return fn($a) => $a?->b; } }\n"
    )
    checked = run(need("php"), HERE / "php" / "check_php72.php", newer)
    assert checked.returncode == 1
    assert "typed property" in checked.stdout and "arrow function" in checked.stdout


def test_every_folder_has_its_index_guard_and_every_php_file_its_ps_guard():
    for folder in [MODULE, *(p for p in MODULE.rglob("*") if p.is_dir())]:
        assert (folder / "index.php").is_file(), folder
    for path in PHP_FILES:
        if path.name != "index.php" and path.parent.name != "translations":
            assert "if (!defined('_PS_VERSION_'))" in path.read_text(), path


def test_the_module_logic_passes_its_phpunit_suite():
    need("php")
    result = run(need("phpunit"), "-c", HERE / "php" / "phpunit.xml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"OK \(\d+ tests", result.stdout), result.stdout


def test_every_text_is_translated_in_french_and_english():
    """PrestaShop's classic module catalogue: `<{paylink}prestashop>paylink_<md5>`, the md5 of
    the text as written in the source (quotes escaped)."""
    source = (MODULE / "paylink.php").read_text()
    texts = set(re.findall(r"\$this->l\('((?:[^'\\]|\\.)*)'\)", source))
    for language in ("fr", "en"):
        catalogue = (MODULE / "translations" / f"{language}.php").read_text()
        keys = set(re.findall(r"paylink_([0-9a-f]{32})'\]", catalogue))
        assert keys == {hashlib.md5(text.encode()).hexdigest() for text in texts}, language
    french = (MODULE / "translations" / "fr.php").read_text()
    assert "'Payer par lien (SMS ou e-mail)'" in french


def test_signatures_match_the_vectors_the_module_checks_too():
    vectors = json.loads((HERE.parent / "signature_vectors.json").read_text())["vectors"]
    assert vectors
    for vector in vectors:
        body = vector["body"].encode()
        assert auth.signature(vector["secret"], vector["timestamp"], body) == vector["signature"]


def test_the_installable_zip_has_the_module_folder_at_its_root(tmp_path):
    assert build.PACKAGE.build([str(tmp_path)]) == 0
    (built,) = tmp_path.iterdir()
    assert built.name == f"paylink-prestashop-{build.module_version()}.zip"
    names = zipfile.ZipFile(io.BytesIO(built.read_bytes())).namelist()
    assert "paylink/paylink.php" in names and "paylink/config.xml" in names
    assert "paylink/logo.png" in names and all(n.startswith("paylink/") for n in names)
    declared = re.search(r"->version = '([^']+)'", (MODULE / "paylink.php").read_text())
    assert declared and declared.group(1) == build.module_version()
    assert built.read_bytes() == build.PACKAGE.zip_bytes()  # reproducible
