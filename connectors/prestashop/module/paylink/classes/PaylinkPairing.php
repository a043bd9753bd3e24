<?php
/**
 * Connecting the shop to a Paylink account without copying a secret by hand:
 * 1. start(): the module makes a Webservice key limited to what Paylink reads and writes, and
 *    sends the merchant to Paylink, where they approve the connection while signed in;
 * 2. finish(): Paylink sends the browser back here with a signed, single-use state; the module
 *    POSTs it with the key to Paylink from the shop's server and keeps the signing secret
 *    Paylink answers;
 * 3. disconnect(): the key is deleted here and Paylink is told (the shop disconnects there too).
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class PaylinkPairing
{
    /**
     * What Paylink's key may do: read orders and what they name, record payments and notes,
     * make vouchers (cart rules: early payers' thank-you codes, since 1.1.0), and read customer
     * groups (billing rules by the customer's group, since 1.2.0).
     */
    const PERMISSIONS = array(
        'orders' => array('GET', 'HEAD'),
        'cart_rules' => array('GET', 'HEAD', 'POST'),
        'order_histories' => array('GET', 'HEAD', 'POST'),
        'order_payments' => array('GET', 'HEAD', 'POST', 'PUT'),
        'messages' => array('GET', 'HEAD', 'POST'),
        'configurations' => array('GET', 'HEAD'),
        'customers' => array('GET', 'HEAD'),
        'groups' => array('GET', 'HEAD'),
        'addresses' => array('GET', 'HEAD'),
        'countries' => array('GET', 'HEAD'),
        'currencies' => array('GET', 'HEAD'),
        'languages' => array('GET', 'HEAD'),
    );
    const CONFIGURATION = array(
        'PAYLINK_URL', 'PAYLINK_WS_KEY_ID', 'PAYLINK_SECRET', 'PAYLINK_EVENTS_URL',
        'PAYLINK_STORE_ID', 'PAYLINK_LAST_SENT', 'PAYLINK_LAST_ERROR', 'PAYLINK_PAUSED_UNTIL',
    );

    /** @var PaylinkClient */
    private $client;

    public function __construct(PaylinkClient $client)
    {
        $this->client = $client;
    }

    /**
     * A Paylink address the module may talk to: https, or http on this machine (trials).
     */
    public static function validAddress($url)
    {
        $parts = parse_url((string) $url);
        if (!$parts || empty($parts['host']) || isset($parts['user']) || isset($parts['query'])) {
            return false;
        }
        $local = in_array($parts['host'], array('localhost', '127.0.0.1', '::1', '[::1]'), true);

        return $parts['scheme'] === 'https' || ($parts['scheme'] === 'http' && $local);
    }

    /**
     * Give a key exactly what Paylink may do (a new key, or the paired one after an upgrade).
     */
    public static function grant($keyId)
    {
        $permissions = array();
        foreach (self::PERMISSIONS as $resource => $methods) {
            $permissions[$resource] = array_fill_keys($methods, 1);
        }

        return WebserviceKey::setPermissionForAccount((int) $keyId, $permissions);
    }

    /**
     * Make the Webservice key and return where to send the merchant to approve.
     */
    public function start($paylinkUrl, $shopUrl, $returnUrl)
    {
        $paylinkUrl = rtrim((string) $paylinkUrl, '/');
        if (!self::validAddress($paylinkUrl)) {
            throw new InvalidArgumentException('Paylink\'s address starts with https://');
        }
        $this->deleteKey();
        $key = new WebserviceKey();
        $key->key = Tools::strtoupper(Tools::passwdGen(32, 'ALPHANUMERIC'));
        $key->description = 'Paylink';
        $key->active = true;
        $key->add();
        self::grant((int) $key->id);
        Configuration::updateValue('PS_WEBSERVICE', 1);
        Configuration::updateValue('PAYLINK_URL', $paylinkUrl);
        Configuration::updateValue('PAYLINK_WS_KEY_ID', (int) $key->id);

        return $paylinkUrl . '/connectors/prestashop/install?' . http_build_query(array(
            'shop_url' => $shopUrl,
            'return_url' => $returnUrl,
        ));
    }

    /**
     * The merchant approved: hand Paylink the key, keep the signing secret. Returns '' when
     * connected, else the reason.
     */
    public function finish($state, $shopUrl, $version)
    {
        $key = new WebserviceKey((int) Configuration::get('PAYLINK_WS_KEY_ID'));
        if (!Validate::isLoadedObject($key)) {
            return 'the Webservice key is gone: click Connect again';
        }
        $body = json_encode(array(
            'state' => (string) $state,
            'shop_url' => $shopUrl,
            'webservice_key' => $key->key,
            'module_version' => $version,
        ));
        list($status, $answer, $error) = $this->client->post(
            Configuration::get('PAYLINK_URL') . '/connectors/prestashop/callback',
            array('Content-Type: application/json'),
            $body,
            10
        );
        if ($status !== 200 || !isset($answer['signing_secret'], $answer['events_url'], $answer['store_id'])) {
            if ($error !== '') {
                return 'Paylink could not be reached: ' . $error;
            }
            $said = PaylinkEvents::reason($answer);

            return 'Paylink refused the connection' . ($said !== '' ? $said : ' (HTTP ' . $status . ')');
        }
        Configuration::updateValue('PAYLINK_SECRET', (string) $answer['signing_secret']);
        Configuration::updateValue('PAYLINK_EVENTS_URL', (string) $answer['events_url']);
        Configuration::updateValue('PAYLINK_STORE_ID', (int) $answer['store_id']);
        Configuration::updateValue('PAYLINK_LAST_ERROR', '');

        return '';
    }

    /**
     * Paylink is told (signed, sent now), the key deleted, the secrets forgotten.
     */
    public function disconnect($now)
    {
        if (PaylinkEvents::connected()) {
            $body = json_encode(array('event' => 'shop.disconnected'));
            $headers = PaylinkSignature::headers(Configuration::get('PAYLINK_SECRET'), bin2hex(random_bytes(16)), $body, $now);
            $this->client->post(Configuration::get('PAYLINK_EVENTS_URL'), $headers, $body);
        }
        $this->deleteKey();
        foreach (self::CONFIGURATION as $name) {
            if ($name !== 'PAYLINK_URL') {
                Configuration::deleteByName($name);
            }
        }
    }

    private function deleteKey()
    {
        $id = (int) Configuration::get('PAYLINK_WS_KEY_ID');
        if ($id) {
            $key = new WebserviceKey($id);
            if (Validate::isLoadedObject($key)) {
                $key->delete();
            }
        }
    }
}
