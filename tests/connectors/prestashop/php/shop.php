<?php
/**
 * A PrestaShop shop for the end-to-end tests, run by php-cli: the stand-ins' data lives in a
 * JSON file between runs (tests/support/php_shop.py), and each run calls one of the module's
 * entry points for real, its cURL requests to Paylink included.
 *
 *   php shop.php STATE pair-start PAYLINK_URL SHOP_URL RETURN_URL   prints where to send the merchant
 *   php shop.php STATE pair-finish PAYLINK_STATE SHOP_URL           prints '' or why not
 *   php shop.php STATE validate-order ID_ORDER | status-update ID_ORDER | cart-save ID_CART
 *   php shop.php STATE resend                                       prints how many were sent
 *   php shop.php STATE recover < BODY  (PAYLINK_TIMESTAMP, PAYLINK_SIGNATURE in the environment)
 */
require __DIR__ . '/bootstrap.php';
// The shop's clock zone is UTC here, whatever php.ini says: the tests' carts are dated in UTC.
date_default_timezone_set('UTC');

$stateFile = $argv[1];
$command = $argv[2];
$args = array_slice($argv, 3);
$state = json_decode(file_get_contents($stateFile), true);
$tables = array(
    'Customer' => 'customers', 'Address' => 'addresses', 'Currency' => 'currencies',
    'Cart' => 'carts', 'Order' => 'orders', 'WebserviceKey' => 'webservice_keys',
);

prestashop_reset();
Configuration::$values = $state['configuration'] + Configuration::$values;
foreach ($tables as $class => $key) {
    $class::$rows = isset($state[$key]) ? $state[$key] : array();
}
Country::$iso = isset($state['countries']) ? $state['countries'] : array();
Db::getInstance()->tables = isset($state['tables']) ? $state['tables'] : array();
$module = new Paylink();
Hook::$module = $module;
$module->clock = function () use ($state) {
    return $state['now'];
};

switch ($command) {
    case 'pair-start':
        echo (new PaylinkPairing(new PaylinkClient()))->start($args[0], $args[1], $args[2]);
        break;
    case 'pair-finish':
        echo (new PaylinkPairing(new PaylinkClient()))->finish($args[0], $args[1], $module->version);
        break;
    case 'validate-order':
        $module->hookActionValidateOrder(array('order' => new Order((int) $args[0])));
        break;
    case 'status-update':
        $module->hookActionOrderStatusPostUpdate(array('id_order' => (int) $args[0]));
        break;
    case 'cart-save':
        $module->hookActionCartSave(array('cart' => new Cart((int) $args[0])));
        break;
    case 'resend':
        echo $module->events()->resend($module->now());
        break;
    case 'recover':
        list($status, $answer) = (new PaylinkRecovery($module))->handle(
            stream_get_contents(STDIN),
            getenv('PAYLINK_TIMESTAMP'),
            getenv('PAYLINK_SIGNATURE'),
            $module->now()
        );
        echo json_encode(array('status' => $status, 'answer' => $answer));
        break;
    default:
        fwrite(STDERR, "unknown command $command\n");
        exit(2);
}

$state['configuration'] = Configuration::$values;
foreach ($tables as $class => $key) {
    $state[$key] = $class::$rows;
}
$state['tables'] = Db::getInstance()->tables;
file_put_contents($stateFile, json_encode($state));
