<?php
/**
 * The Paylink module's own logic under php-cli, on stand-ins for PrestaShop (prestashop.php):
 * the signature against the vectors Paylink's tests use too, events signed and sent or kept
 * for a resend, cart snapshots, recovered carts, pairing and the checkout option.
 */
use PHPUnit\Framework\TestCase;

final class ModuleTest extends TestCase
{
    const NOW = 1772443800;
    const SECRET = '5f1b0c2a7e9d4c3b8a6f0e1d2c3b4a59687766554433221100ffeeddccbbaa99';

    /** @var array what the transport was asked to send */
    private $sent = array();
    /** @var array the answers it gives, in order: array(status, body, error) */
    private $answers = array();

    protected function setUp(): void
    {
        prestashop_reset();
        $this->sent = array();
        $this->answers = array();
    }

    private function transport()
    {
        $test = $this;

        return function ($url, $headers, $body, $timeout) use ($test) {
            $test->sent[] = array('url' => $url, 'headers' => $headers, 'body' => $body, 'timeout' => $timeout);

            return $test->answers ? array_shift($test->answers) : array(200, '{"received":true}', '');
        };
    }

    private function connect()
    {
        Configuration::updateValue('PAYLINK_SECRET', self::SECRET);
        Configuration::updateValue('PAYLINK_EVENTS_URL', 'https://pay.example/connectors/prestashop/events/3');
    }

    private function events()
    {
        return new PaylinkEvents(new PaylinkClient($this->transport()), new PaylinkOutbox(Db::getInstance()));
    }

    private static function header($lines, $name)
    {
        foreach ($lines as $line) {
            if (stripos($line, $name . ': ') === 0) {
                return substr($line, strlen($name) + 2);
            }
        }

        return null;
    }

    public function testSignaturesMatchTheSharedVectors()
    {
        $vectors = json_decode(file_get_contents(__DIR__ . '/../../signature_vectors.json'), true);
        $this->assertNotEmpty($vectors['vectors']);
        foreach ($vectors['vectors'] as $vector) {
            $this->assertSame($vector['signature'], PaylinkSignature::sign($vector['secret'], $vector['timestamp'], $vector['body']));
            $this->assertTrue(PaylinkSignature::verify($vector['secret'], $vector['timestamp'], $vector['body'], $vector['signature'], $vector['timestamp'] + 299));
            $this->assertFalse(PaylinkSignature::verify($vector['secret'], $vector['timestamp'], $vector['body'] . ' ', $vector['signature'], $vector['timestamp']));
            $this->assertFalse(PaylinkSignature::verify($vector['secret'], $vector['timestamp'], $vector['body'], $vector['signature'], $vector['timestamp'] + 301));
            $this->assertFalse(PaylinkSignature::verify('', $vector['timestamp'], $vector['body'], $vector['signature'], $vector['timestamp']));
        }
    }

    public function testAValidatedOrderIsSentSignedWithAShortTimeout()
    {
        $this->connect();
        $this->assertTrue($this->events()->send(PaylinkEvents::orderEvent('order.validated', 42, 77), self::NOW));
        $this->assertCount(1, $this->sent);
        $sent = $this->sent[0];
        $this->assertSame('https://pay.example/connectors/prestashop/events/3', $sent['url']);
        $this->assertSame(array('event' => 'order.validated', 'id_order' => 42, 'id_cart' => 77), json_decode($sent['body'], true));
        $this->assertLessThanOrEqual(3, $sent['timeout']);
        $timestamp = self::header($sent['headers'], 'X-Paylink-Timestamp');
        $this->assertSame((string) self::NOW, $timestamp);
        $signature = self::header($sent['headers'], 'X-Paylink-Signature');
        $this->assertTrue(PaylinkSignature::verify(self::SECRET, $timestamp, $sent['body'], $signature, self::NOW));
        $this->assertMatchesRegularExpression('/^[0-9a-f]{32}$/', self::header($sent['headers'], 'X-Paylink-Event-Id'));
        $this->assertSame(self::NOW, Configuration::get('PAYLINK_LAST_SENT'));
    }

    public function testAnEventPaylinkDidNotTakeIsKeptAndResentWithItsId()
    {
        $this->connect();
        $this->answers = array(array(0, '', 'Connection timed out after 3001 milliseconds'));
        $this->assertFalse($this->events()->send(PaylinkEvents::orderEvent('order.status', 42, 77), self::NOW));
        $outbox = new PaylinkOutbox(Db::getInstance());
        $this->assertSame(1, $outbox->count());
        $this->assertStringContainsString('timed out', Configuration::get('PAYLINK_LAST_ERROR'));
        $firstId = self::header($this->sent[0]['headers'], 'X-Paylink-Event-Id');

        $this->assertSame(0, $this->events()->resend(self::NOW + 10), 'not due yet');
        $this->answers = array(array(503, '{"error":{"code":"unavailable","message":"down for maintenance"}}', ''));
        $this->assertSame(0, $this->events()->resend(self::NOW + 300));
        $this->assertSame(1, $outbox->count());
        $this->assertStringEndsWith('HTTP 503: down for maintenance', Configuration::get('PAYLINK_LAST_ERROR'));
        $this->assertSame(1, $this->events()->resend(self::NOW + 1000));
        $this->assertSame(0, $outbox->count());
        $last = end($this->sent);
        $this->assertSame($firstId, self::header($last['headers'], 'X-Paylink-Event-Id'));
        $this->assertSame((string) (self::NOW + 1000), self::header($last['headers'], 'X-Paylink-Timestamp'), 'signed again when resent');
        $this->assertSame($this->sent[0]['body'], $last['body']);
    }

    public function testAfterAFailureEventsGoStraightToTheOutboxForAMinute()
    {
        $this->connect();
        $this->answers = array(array(0, '', 'Operation timed out after 3000 milliseconds'));
        $this->events()->send(PaylinkEvents::orderEvent('order.validated', 42, 77), self::NOW);
        $this->events()->send(PaylinkEvents::orderEvent('order.validated', 43, 78), self::NOW + 30);
        $this->assertCount(1, $this->sent, 'no second customer waits for a Paylink that did not answer');
        $this->assertSame(2, (new PaylinkOutbox(Db::getInstance()))->count());
        $this->assertTrue($this->events()->send(PaylinkEvents::orderEvent('order.validated', 44, 79), self::NOW + 61));
        $this->assertSame(2, $this->events()->resend(self::NOW + 400));
        $this->assertSame(0, (new PaylinkOutbox(Db::getInstance()))->count());
    }

    private function cart()
    {
        Customer::$rows[5] = array('email' => 'marie@example.fr', 'firstname' => 'Marie', 'lastname' => 'Curie', 'secure_key' => 'sk');
        Address::$rows[8] = array('phone' => '', 'phone_mobile' => '06 12 34 56 78', 'id_country' => 8);
        Country::$iso = array(8 => 'FR');
        Currency::$rows[1] = array('iso_code' => 'EUR');
        Cart::$rows[77] = array(
            'id_customer' => 5, 'id_address_invoice' => 8, 'id_address_delivery' => 8, 'id_currency' => 1,
            'id_lang' => 1, 'date_upd' => '2026-03-02 10:21:45',
            'products' => array(array('name' => 'Bougie parfumée', 'cart_quantity' => 2, 'price_wt' => 18.0, 'price' => 15.0)),
            'shipping' => 4.9,
        );

        return new Cart(77);
    }

    public function testACartIsSentAsASnapshotPricedByPrestaShop()
    {
        date_default_timezone_set('Europe/Paris');
        $event = PaylinkEvents::cartEvent($this->cart());
        $this->assertSame('cart.saved', $event['event']);
        $snapshot = $event['cart'];
        $this->assertSame('2026-03-02T10:21:45+01:00', $snapshot['changed_at']);
        $this->assertSame('EUR', $snapshot['currency']);
        $this->assertSame('fr', $snapshot['language']);
        $this->assertSame(array('firstname' => 'Marie', 'lastname' => 'Curie', 'email' => 'marie@example.fr', 'phone' => '06 12 34 56 78', 'country' => 'FR'), $snapshot['customer']);
        $this->assertSame(array(array('name' => 'Bougie parfumée', 'quantity' => 2, 'unit_price_tax_incl' => '18.000000', 'unit_price_tax_excl' => '15.000000')), $snapshot['lines']);
        $this->assertSame('4.900000', $snapshot['shipping_tax_incl']);
        $this->assertSame('40.900000', $snapshot['total_tax_incl']);

        $anonymous = $this->cart();
        $anonymous->id_customer = 0;
        $this->assertNull(PaylinkEvents::cartEvent($anonymous));
    }

    private function recover(array $asked, $now = self::NOW, $secret = self::SECRET)
    {
        $module = new Paylink();
        Hook::$module = $module;
        $body = json_encode($asked);

        return array($module, (new PaylinkRecovery($module))->handle($body, (string) $now, PaylinkSignature::sign($secret, $now, $body), self::NOW));
    }

    public function testAPaidCartBecomesAPaidOrderOnceAndSendsNoEventOfItsOwn()
    {
        $this->connect();
        $this->cart();
        $asked = array('id_cart' => 77, 'amount' => '40.90', 'currency' => 'EUR', 'transaction_id' => 'pi_3Nq', 'invoice' => 'F-2026-0001');
        list($module, list($status, $answer)) = $this->recover($asked);
        $this->assertSame(200, $status);
        $this->assertFalse($answer['existing']);
        $this->assertSame($module->currentOrder, $answer['id_order']);
        list($idCart, $state, $amount, $method, , $extra, $currency, , $key) = $module->validated[0];
        $this->assertSame(array(77, 2, 40.9, 'Paylink', array('transaction_id' => 'pi_3Nq'), 1, 'sk'), array($idCart, $state, $amount, $method, $extra, $currency, $key));
        $this->assertFalse(PaylinkRecovery::$recovering);

        list($again, list($status, $answer)) = $this->recover($asked);
        $this->assertSame(200, $status);
        $this->assertTrue($answer['existing']);
        $this->assertSame(array(), $again->validated, 'never ordered twice');
    }

    public function testRecoveryRefusesForgedOldOrMismatchedRequests()
    {
        $this->connect();
        $this->cart();
        $asked = array('id_cart' => 77, 'amount' => '40.90', 'currency' => 'EUR', 'transaction_id' => 'pi_3Nq');
        $this->assertSame(401, $this->recover($asked, self::NOW, 'not-the-secret')[1][0]);
        $this->assertSame(401, $this->recover($asked, self::NOW - 600)[1][0]);
        $this->assertSame(409, $this->recover(array('currency' => 'USD') + $asked)[1][0]);
        $this->assertSame(404, $this->recover(array('id_cart' => 999) + $asked)[1][0]);
        $this->assertSame(400, $this->recover(array('id_cart' => 77))[1][0]);
        $this->assertSame(array(), Order::$rows);
    }

    public function testHooksSendOrderEventsButNotForTheModuleOwnRecoveries()
    {
        $module = new Paylink();
        $module->transport = $this->transport();
        Order::$rows[42] = array('id_cart' => 77, 'reference' => 'ABCDEFGHI');
        $module->hookActionValidateOrder(array('order' => new Order(42)));
        $this->assertSame(array(), $this->sent, 'not connected: nothing sent');
        $this->connect();
        PaylinkRecovery::$recovering = true;
        $module->hookActionValidateOrder(array('order' => new Order(42)));
        PaylinkRecovery::$recovering = false;
        $this->assertSame(array(), $this->sent, 'the module\'s own recovery sends nothing');
        $module->hookActionValidateOrder(array('order' => new Order(42)));
        $module->hookActionOrderStatusPostUpdate(array('id_order' => 42));
        $events = array_map(function ($sent) {
            return json_decode($sent['body'], true)['event'];
        }, $this->sent);
        $this->assertSame(array('order.validated', 'order.status'), $events);
        $this->assertSame(0, (new PaylinkOutbox(Db::getInstance()))->count());
    }

    public function testPairingMakesALimitedKeyThenKeepsTheSecretPaylinkGives()
    {
        $pairing = new PaylinkPairing(new PaylinkClient($this->transport()));
        $url = $pairing->start('https://pay.example/', 'https://boutique.example', 'https://boutique.example/admin-x/index.php?configure=paylink');
        $this->assertSame('https://pay.example/connectors/prestashop/install?shop_url=https%3A%2F%2Fboutique.example&return_url=https%3A%2F%2Fboutique.example%2Fadmin-x%2Findex.php%3Fconfigure%3Dpaylink', $url);
        $key = new WebserviceKey((int) Configuration::get('PAYLINK_WS_KEY_ID'));
        $this->assertSame(32, strlen($key->key));
        $this->assertTrue(ctype_alnum($key->key));
        $permissions = WebserviceKey::$permissions[$key->id];
        $this->assertSame(array('GET' => 1, 'HEAD' => 1), $permissions['orders']);
        $this->assertArrayNotHasKey('DELETE', $permissions['order_payments']);
        $this->assertArrayNotHasKey('products', $permissions);
        $this->assertSame(1, Configuration::get('PS_WEBSERVICE'));

        $this->answers = array(array(200, '{"signing_secret":"s3cr3t","events_url":"https://pay.example/connectors/prestashop/events/3","store_id":3}', ''));
        $this->assertSame('', $pairing->finish('signed-state', 'https://boutique.example', '1.0.0'));
        $this->assertSame('https://pay.example/connectors/prestashop/callback', $this->sent[0]['url']);
        $this->assertSame(array('state' => 'signed-state', 'shop_url' => 'https://boutique.example', 'webservice_key' => $key->key, 'module_version' => '1.0.0'), json_decode($this->sent[0]['body'], true));
        $this->assertSame('s3cr3t', Configuration::get('PAYLINK_SECRET'));
        $this->assertTrue((bool) PaylinkEvents::connected());

        $pairing->disconnect(self::NOW);
        $this->assertSame(array('event' => 'shop.disconnected'), json_decode(end($this->sent)['body'], true));
        $this->assertSame(array(), WebserviceKey::$rows);
        $this->assertFalse((bool) PaylinkEvents::connected());
    }

    public function testTheUpgradeTo110LetsThePairedKeyMakeVouchers()
    {
        require_once __DIR__ . '/../../../../connectors/prestashop/module/paylink/upgrade/upgrade-1.1.0.php';
        $key = new WebserviceKey();
        $key->add();
        WebserviceKey::setPermissionForAccount($key->id, array('orders' => array('GET' => 1, 'HEAD' => 1)));
        Configuration::updateValue('PAYLINK_WS_KEY_ID', (int) $key->id);
        $this->assertTrue(upgrade_module_1_1_0(null));
        $permissions = WebserviceKey::$permissions[$key->id];
        $this->assertSame(array('GET' => 1, 'HEAD' => 1, 'POST' => 1), $permissions['cart_rules']);
        $this->assertSame(array('GET' => 1, 'HEAD' => 1), $permissions['orders']);
        $this->assertArrayNotHasKey('DELETE', $permissions['cart_rules']);
        Configuration::updateValue('PAYLINK_WS_KEY_ID', 0);
        $this->assertTrue(upgrade_module_1_1_0(null)); // not paired: nothing to grant
    }

    public function testTheUpgradeTo120LetsThePairedKeyReadCustomerGroups()
    {
        require_once __DIR__ . '/../../../../connectors/prestashop/module/paylink/upgrade/upgrade-1.2.0.php';
        $key = new WebserviceKey();
        $key->add();
        WebserviceKey::setPermissionForAccount($key->id, array('orders' => array('GET' => 1, 'HEAD' => 1)));
        Configuration::updateValue('PAYLINK_WS_KEY_ID', (int) $key->id);
        $this->assertTrue(upgrade_module_1_2_0(null));
        $permissions = WebserviceKey::$permissions[$key->id];
        $this->assertSame(array('GET' => 1, 'HEAD' => 1), $permissions['groups']);
        $this->assertArrayNotHasKey('POST', $permissions['groups']);
        $this->assertSame(array('GET' => 1, 'HEAD' => 1, 'POST' => 1), $permissions['cart_rules']);
    }

    public function testPairingSaysWhyPaylinkRefused()
    {
        $pairing = new PaylinkPairing(new PaylinkClient($this->transport()));
        $pairing->start('https://pay.example', 'https://boutique.example', 'https://boutique.example/admin');
        $this->answers = array(array(401, '{"error":{"code":"unauthorized","message":"this approval was used already"}}', ''));
        $this->assertSame('Paylink refused the connection: this approval was used already', $pairing->finish('old', 'https://boutique.example', '1.0.0'));
        $this->answers = array(array(0, '', 'Could not resolve host: pay.example'));
        $this->assertSame('Paylink could not be reached: Could not resolve host: pay.example', $pairing->finish('old', 'https://boutique.example', '1.0.0'));
        $this->assertFalse(Configuration::get('PAYLINK_SECRET'));
        $this->expectException(InvalidArgumentException::class);
        $pairing->start('http://pay.example', 'https://boutique.example', 'https://boutique.example/admin');
    }

    public function testInstallRegistersTheHooksAndItsOwnOrderState()
    {
        $module = new Paylink();
        $this->assertTrue($module->install());
        $this->assertSame(Paylink::HOOKS, $module->hooks);
        $state = OrderState::$added[0];
        $this->assertSame($state->id, Configuration::get('PAYLINK_OS_AWAITING'));
        $this->assertSame(array(1 => 'En attente de paiement Paylink', 2 => 'Awaiting Paylink payment'), $state->name);
        $this->assertFalse($state->logable);
        $this->assertMatchesRegularExpression('/^[0-9a-f]{32}$/', Configuration::get('PAYLINK_CRON_TOKEN'));
    }

    public function testPayByLinkIsOfferedOnceConnected()
    {
        $module = new Paylink();
        $this->assertSame(array(), $module->hookPaymentOptions(array()));
        $this->connect();
        $options = $module->hookPaymentOptions(array());
        $this->assertSame('Pay by link (SMS or email)', $options[0]->values['callToActionText']);
        $this->assertSame('https://boutique.example/module/paylink/validation', $options[0]->values['action']);
    }
}
