<?php
/**
 * The Paylink Magento module's logic under php-cli, on stand-ins (magento.php): the signature
 * against the vectors Paylink's tests use too, an order event signed with the integration's
 * consumer secret, and nothing sent (nor thrown) when the module is not set up or Paylink fails.
 */
use Magento\Framework\Event\Observer;
use Magento\Framework\HTTP\Client\Curl;
use Paylink\Connector\Model\EventSender;
use Paylink\Connector\Model\Signature;
use Paylink\Connector\Observer\OrderChanged;
use PHPUnit\Framework\TestCase;

final class ModuleTest extends TestCase
{
    const NOW = 1772443800;
    const SECRET = 'c0nsum3rs3cr3tc0nsum3rs3cr3tab12';

    private function setUpStore(array $config, $status = 200)
    {
        $fake = new MagentoFake(array(
            'config' => $config,
            'integrations' => array('Paylink' => array('consumer_id' => 7)),
            'consumers' => array(7 => array('secret' => self::SECRET)),
            'base_url' => 'https://Boutique.example/',
        ));
        $curl = new Curl();
        $curl->transport = function () use ($status) {
            return $status;
        };
        $sender = new EventSender($fake, $fake, $fake, $fake, $curl, new Signature(), $fake, function () {
            return ModuleTest::NOW;
        });

        return array($sender, $curl, $fake);
    }

    public function testSignaturesMatchTheSharedVectors()
    {
        $signature = new Signature();
        $vectors = json_decode(file_get_contents(__DIR__ . '/../../signature_vectors.json'), true);
        foreach ($vectors['vectors'] as $vector) {
            $this->assertSame($vector['signature'], $signature->sign($vector['secret'], $vector['timestamp'], $vector['body']));
            $this->assertTrue($signature->verify($vector['secret'], $vector['timestamp'], $vector['body'], $vector['signature'], $vector['timestamp']));
            $this->assertFalse($signature->verify($vector['secret'], $vector['timestamp'], $vector['body'], $vector['signature'], $vector['timestamp'] + 301));
        }
    }

    public function testAPlacedOrderIsAnnouncedSignedWithTheIntegrationSecret()
    {
        list($sender, $curl) = $this->setUpStore(array('paylink/general/url' => 'https://pay.example/'));
        $order = new MagentoFake(array('id' => 42));
        (new OrderChanged($sender))->execute(new Observer(new MagentoFake(array('name' => 'checkout_submit_all_after', 'order' => $order))));
        $this->assertCount(1, $curl->sent);
        $sent = $curl->sent[0];
        $this->assertSame('https://pay.example/connectors/magento/events', $sent['url']);
        $this->assertSame(array('event' => 'order.placed', 'order_id' => 42), json_decode($sent['body'], true));
        $this->assertSame('boutique.example', $sent['headers']['X-Paylink-Store']);
        $this->assertSame((string) self::NOW, $sent['headers']['X-Paylink-Timestamp']);
        $this->assertTrue((new Signature())->verify(self::SECRET, self::NOW, $sent['body'], $sent['headers']['X-Paylink-Signature'], self::NOW));
        $this->assertMatchesRegularExpression('/^[0-9a-f]{32}$/', $sent['headers']['X-Paylink-Event-Id']);
        $this->assertLessThanOrEqual(2, $curl->timeout);
    }

    public function testNothingIsSentOrThrownWhenNotSetUpOrWhenPaylinkFails()
    {
        list($sender, $curl) = $this->setUpStore(array());
        $this->assertFalse($sender->send('order.placed', 42));
        $this->assertSame(array(), $curl->sent, 'no Paylink address: nothing sent');

        list($sender, $curl, $logger) = $this->setUpStore(array('paylink/general/url' => 'https://pay.example'), 503);
        $this->assertFalse($sender->send('order.saved', 42));
        $this->assertSame(array('Paylink did not take the order.saved event: HTTP 503'), $logger->warnings);

        list($sender, $curl, $logger) = $this->setUpStore(array('paylink/general/url' => 'https://pay.example'));
        $curl->transport = function () {
            throw new RuntimeException('Connection timed out after 2001 milliseconds');
        };
        $this->assertFalse($sender->send('order.saved', 42));
        $this->assertStringContainsString('timed out', $logger->warnings[0]);
    }
}
