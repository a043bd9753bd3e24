<?php
require __DIR__ . '/magento.php';
$module = __DIR__ . '/../../../../connectors/magento/module/Paylink/Connector';
foreach (array('Model/Signature.php', 'Model/EventSender.php', 'Model/PayByLink.php', 'Observer/OrderChanged.php') as $file) {
    require $module . '/' . $file;
}
