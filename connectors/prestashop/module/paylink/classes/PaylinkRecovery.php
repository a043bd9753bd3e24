<?php
/**
 * A customer paid an abandoned cart through Paylink: Paylink asks the module (a signed POST to
 * controllers/front/recover.php) to turn the cart into an order. validateOrder does it, with the
 * amount paid and the provider's transaction id, so PrestaShop's own checks apply (a total that
 * differs lands the order in "Payment error" for the merchant to see). A cart that already
 * became an order is never ordered twice: its order is named instead.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class PaylinkRecovery
{
    /** While true, the order being made is ours: actionValidateOrder sends no event for it. */
    public static $recovering = false;

    /** @var PaymentModule */
    private $module;

    public function __construct($module)
    {
        $this->module = $module;
    }

    /**
     * array(HTTP status, answer) for a raw request body and its signature headers.
     */
    public function handle($body, $timestamp, $signature, $now)
    {
        if (!PaylinkSignature::verify(Configuration::get('PAYLINK_SECRET'), $timestamp, $body, $signature, $now)) {
            return array(401, array('error' => 'the signature does not match'));
        }
        $asked = json_decode($body, true);
        if (!is_array($asked) || !isset($asked['id_cart'], $asked['amount'], $asked['currency'], $asked['transaction_id'])) {
            return array(400, array('error' => 'id_cart, amount, currency and transaction_id are needed'));
        }
        $cart = new Cart((int) $asked['id_cart']);
        if (!Validate::isLoadedObject($cart)) {
            return array(404, array('error' => 'no cart ' . (int) $asked['id_cart']));
        }
        if ($cart->OrderExists()) {
            $order = new Order((int) Order::getIdByCartId((int) $cart->id));

            return array(200, array('id_order' => (int) $order->id, 'reference' => $order->reference, 'existing' => true));
        }
        $currency = new Currency((int) $cart->id_currency);
        if (Tools::strtoupper($currency->iso_code) !== Tools::strtoupper((string) $asked['currency'])) {
            return array(409, array('error' => 'the cart is in ' . $currency->iso_code . ', the payment in ' . $asked['currency']));
        }
        $customer = new Customer((int) $cart->id_customer);
        self::$recovering = true;
        try {
            $this->module->validateOrder(
                (int) $cart->id,
                (int) Configuration::get('PS_OS_PAYMENT'),
                (float) $asked['amount'],
                $this->module->displayName,
                null,
                array('transaction_id' => (string) $asked['transaction_id']),
                (int) $cart->id_currency,
                false,
                $customer->secure_key
            );
        } finally {
            self::$recovering = false;
        }

        return array(200, array(
            'id_order' => (int) $this->module->currentOrder,
            'reference' => (string) $this->module->currentOrderReference,
            'existing' => false,
        ));
    }
}
