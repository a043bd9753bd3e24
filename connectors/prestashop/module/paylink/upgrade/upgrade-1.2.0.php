<?php
/**
 * Paylink for PrestaShop 1.2.0: the paired Webservice key may also read customer groups, so
 * Paylink's billing rules can follow the customer's group. PrestaShop runs this once when the
 * module is updated.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

function upgrade_module_1_2_0($module)
{
    $keyId = (int) Configuration::get('PAYLINK_WS_KEY_ID');

    return $keyId === 0 || PaylinkPairing::grant($keyId);
}
