<?php
/**
 * The Magento module's observer run for real by php-cli for the end-to-end tests: its
 * EventSender signs with the integration's consumer secret and POSTs with cURL to Paylink.
 *
 *   php send_event.php STATE placed|saved ORDER_ID
 *
 * STATE is a JSON file: {"config": {...}, "integrations": {...}, "consumers": {...},
 * "base_url": "...", "now": unix seconds}. Prints 1 when Paylink took the event.
 */
require __DIR__ . '/bootstrap.php';

use Magento\Framework\Event\Observer;
use Magento\Framework\HTTP\Client\Curl;
use Paylink\Connector\Model\EventSender;
use Paylink\Connector\Model\Signature;
use Paylink\Connector\Observer\OrderChanged;

$state = json_decode(file_get_contents($argv[1]), true);
$magento = new MagentoFake($state);
$curl = new Curl();
$sender = new EventSender($magento, $magento, $magento, $magento, $curl, new Signature(), $magento, function () use ($state) {
    return $state['now'];
});
$name = $argv[2] === 'placed' ? 'checkout_submit_all_after' : 'sales_order_save_commit_after';
$order = new MagentoFake(array('id' => (int) $argv[3]));
(new OrderChanged($sender))->execute(new Observer(new MagentoFake(array('name' => $name, 'order' => $order))));
echo $curl->getStatus() === 200 ? '1' : '0';
foreach ($magento->warnings as $warning) {
    fwrite(STDERR, $warning . "\n");
}
