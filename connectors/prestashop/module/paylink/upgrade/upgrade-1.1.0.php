<?php
/**
 * Paylink for PrestaShop 1.1.0: the paired Webservice key may also make vouchers (cart rules),
 * for early payers' thank-you codes. PrestaShop runs this once when the module is updated.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

function upgrade_module_1_1_0($module)
{
    $keyId = (int) Configuration::get('PAYLINK_WS_KEY_ID');

    return $keyId === 0 || PaylinkPairing::grant($keyId);
}
