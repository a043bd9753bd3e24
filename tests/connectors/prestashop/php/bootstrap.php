<?php
require __DIR__ . '/prestashop.php';
require __DIR__ . '/../../../../connectors/prestashop/module/paylink/paylink.php';
foreach (array('validation', 'recover', 'resend') as $controller) {
    require __DIR__ . '/../../../../connectors/prestashop/module/paylink/controllers/front/' . $controller . '.php';
}
