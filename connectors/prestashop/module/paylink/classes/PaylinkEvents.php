<?php
/**
 * What the shop tells Paylink, and how: an order validated or changing state (Paylink reads
 * the order again through the Webservice before deciding), a cart saved (a snapshot priced by
 * PrestaShop itself), the shop disconnected. Each event is signed, has its own id, and is sent
 * with a short timeout; one that fails is kept in the outbox and resent later.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class PaylinkEvents
{
    /**
     * After a failed attempt, events go straight to the outbox for this long: a Paylink that
     * does not answer costs one customer a timeout, not every customer in the meantime.
     */
    const PAUSE = 60;

    /** @var PaylinkClient */
    private $client;
    /** @var PaylinkOutbox */
    private $outbox;

    public function __construct(PaylinkClient $client, PaylinkOutbox $outbox)
    {
        $this->client = $client;
        $this->outbox = $outbox;
    }

    public static function connected()
    {
        return Configuration::get('PAYLINK_EVENTS_URL') && Configuration::get('PAYLINK_SECRET');
    }

    public static function orderEvent($type, $idOrder, $idCart)
    {
        return array('event' => $type, 'id_order' => (int) $idOrder, 'id_cart' => (int) $idCart);
    }

    public static function amount($value)
    {
        return number_format((float) $value, 6, '.', '');
    }

    /**
     * A cart with its lines, totals and customer, priced by PrestaShop; null when nobody could
     * be written to about it (no customer yet) or it is empty.
     */
    public static function cartEvent(Cart $cart)
    {
        if (!(int) $cart->id_customer) {
            return null;
        }
        $products = $cart->getProducts();
        if (!$products) {
            return null;
        }
        $customer = new Customer((int) $cart->id_customer);
        $address = new Address((int) $cart->id_address_invoice);
        $lines = array();
        foreach ($products as $product) {
            $lines[] = array(
                'name' => (string) $product['name'],
                'quantity' => (int) $product['cart_quantity'],
                'unit_price_tax_incl' => self::amount($product['price_wt']),
                'unit_price_tax_excl' => self::amount($product['price']),
            );
        }
        $currency = new Currency((int) $cart->id_currency);

        return array(
            'event' => 'cart.saved',
            'id_cart' => (int) $cart->id,
            'cart' => array(
                'id_cart' => (int) $cart->id,
                'changed_at' => date('c', strtotime($cart->date_upd)),
                'currency' => (string) $currency->iso_code,
                'language' => (string) Language::getIsoById((int) $cart->id_lang),
                'customer' => array(
                    'firstname' => (string) $customer->firstname,
                    'lastname' => (string) $customer->lastname,
                    'email' => (string) $customer->email,
                    'phone' => (string) ($address->phone_mobile ? $address->phone_mobile : $address->phone),
                    'country' => (string) Country::getIsoById((int) $address->id_country),
                ),
                'lines' => $lines,
                'shipping_tax_incl' => self::amount($cart->getOrderTotal(true, Cart::ONLY_SHIPPING)),
                'discounts_tax_incl' => self::amount($cart->getOrderTotal(true, Cart::ONLY_DISCOUNTS)),
                'total_tax_incl' => self::amount($cart->getOrderTotal(true, Cart::BOTH)),
            ),
        );
    }

    /**
     * Sign and send one event now; kept for a later resend when Paylink does not take it.
     * Returns whether Paylink took it.
     */
    public function send(array $event, $now)
    {
        $eventId = bin2hex(random_bytes(16));
        $body = json_encode($event);
        if ((int) Configuration::get('PAYLINK_PAUSED_UNTIL') > (int) $now) {
            $this->outbox->keep($eventId, $body, 'waiting: Paylink did not answer a moment ago', $now);

            return false;
        }
        $error = $this->deliver($eventId, $body, $now);
        if ($error === '') {
            return true;
        }
        Configuration::updateValue('PAYLINK_PAUSED_UNTIL', (int) $now + self::PAUSE);
        $this->outbox->keep($eventId, $body, $error, $now);

        return false;
    }

    /**
     * Resend the events whose time has come; returns how many Paylink took.
     */
    public function resend($now, $limit = 50)
    {
        $sent = 0;
        foreach ($this->outbox->due($now, $limit) as $row) {
            $error = $this->deliver($row['id_event'], $row['body'], $now);
            if ($error === '') {
                $this->outbox->sent($row['id_event']);
                ++$sent;
            } else {
                $this->outbox->failed($row['id_event'], (int) $row['attempts'], $error, $now);
            }
        }

        return $sent;
    }

    /**
     * The reason Paylink gave with a refusal (`{"error": {"message": ...}}`), if any.
     */
    public static function reason($answer)
    {
        return isset($answer['error']['message']) ? ': ' . $answer['error']['message'] : '';
    }

    /**
     * One attempt; '' when Paylink answered 2xx, else what went wrong (kept for the health
     * shown on the module's page).
     */
    private function deliver($eventId, $body, $now)
    {
        $headers = PaylinkSignature::headers(Configuration::get('PAYLINK_SECRET'), $eventId, $body, $now);
        list($status, $answer, $error) = $this->client->post(Configuration::get('PAYLINK_EVENTS_URL'), $headers, $body);
        if ($status >= 200 && $status < 300) {
            Configuration::updateValue('PAYLINK_LAST_SENT', (int) $now);
            Configuration::updateValue('PAYLINK_PAUSED_UNTIL', 0);

            return '';
        }
        $said = $error !== '' ? $error : 'HTTP ' . $status . self::reason($answer);
        Configuration::updateValue('PAYLINK_LAST_ERROR', date('Y-m-d H:i:s', (int) $now) . ' ' . $said);

        return $said;
    }
}
