"""The Magento module (connectors/magento/module/Paylink/Connector) as Magento and its PHP see
it: valid PHP with nothing newer than PHP 7.2, well-formed XML declaring what Magento reads
(the module, its observers, the "Pay by link" method and its admin fields), its logic under
php-cli (PHPUnit on stand-ins), French texts for every English one, and the Composer zip."""

import csv
import io
import json
import xml.etree.ElementTree as ElementTree
import zipfile
from pathlib import Path

import pytest

from connectors.magento import build
from tests.connectors.prestashop.php_tools import need, run

MODULE = build.MODULE
HERE = Path(__file__).parent
PHP_FILES = sorted(MODULE.rglob("*.php"))
CHECKER = HERE.parent / "prestashop" / "php" / "check_php72.php"


@pytest.mark.parametrize("path", PHP_FILES, ids=lambda p: str(p.relative_to(MODULE)))
def test_every_file_is_valid_php(path):
    checked = run(need("php"), "-l", path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_no_syntax_newer_than_php_7_2():
    checked = run(need("php"), CHECKER, *PHP_FILES)
    assert checked.returncode == 0, checked.stdout


def test_the_xml_declares_the_module_its_observers_and_its_payment_method():
    module = ElementTree.parse(MODULE / "etc" / "module.xml").getroot()
    assert module.find("module").get("name") == "Paylink_Connector"
    events = ElementTree.parse(MODULE / "etc" / "events.xml").getroot()
    observers = {e.get("name"): e.find("observer").get("instance") for e in events}
    assert observers == {
        "checkout_submit_all_after": "Paylink\\Connector\\Observer\\OrderChanged",
        "sales_order_save_commit_after": "Paylink\\Connector\\Observer\\OrderChanged",
    }
    for instance in observers.values():
        assert (MODULE / Path(*instance.split("\\")[2:])).with_suffix(".php").is_file()
    config = ElementTree.parse(MODULE / "etc" / "config.xml").getroot()
    method = config.find("default/payment/paylink")
    assert method.findtext("model") == "Paylink\\Connector\\Model\\PayByLink"
    assert method.findtext("title") == "Pay by link (SMS or email)"
    system = ElementTree.parse(MODULE / "etc" / "adminhtml" / "system.xml").getroot()
    fields = {f.get("id") for f in system.iter("field")}
    assert {"url", "integration", "active", "title"} <= fields


def test_every_text_is_translated_in_french():
    with (
        (MODULE / "i18n" / "fr_FR.csv").open() as french,
        (MODULE / "i18n" / "en_US.csv").open() as english,
    ):
        fr, en = dict(csv.reader(french)), dict(csv.reader(english))
    assert set(fr) == set(en) and all(en[text] == text for text in en)
    assert fr["Pay by link (SMS or email)"] == "Payer par lien (SMS ou e-mail)"
    labels = {
        element.text
        for name in ("config.xml", "adminhtml/system.xml")
        for element in ElementTree.parse(MODULE / "etc" / name).getroot().iter()
        if element.tag in ("label", "comment", "title") and element.text and element.text.strip()
    }
    assert labels <= set(fr), labels - set(fr)


def test_the_module_logic_passes_its_phpunit_suite():
    need("php")
    result = run(need("phpunit"), "-c", HERE / "php" / "phpunit.xml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_zip_is_a_composer_artifact(tmp_path):
    assert build.PACKAGE.build([str(tmp_path)]) == 0
    (built,) = tmp_path.iterdir()
    composer = json.loads((MODULE / "composer.json").read_text())
    assert built.name == f"paylink-magento-{composer['version']}.zip"
    archive = zipfile.ZipFile(io.BytesIO(built.read_bytes()))
    assert {"composer.json", "registration.php", "etc/module.xml"} <= set(archive.namelist())
    assert composer["type"] == "magento2-module"
