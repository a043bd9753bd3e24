<?php
/**
 * Tells Paylink an order was placed or changed: a small signed JSON POSTed with a two-second
 * timeout. Never throws and never waits long: a checkout is not slowed or broken by Paylink
 * being down, and Paylink's poll of the store catches any event lost here.
 */
namespace Paylink\Connector\Model;

use Magento\Framework\App\Config\ScopeConfigInterface;
use Magento\Framework\HTTP\Client\Curl;
use Magento\Integration\Api\IntegrationServiceInterface;
use Magento\Integration\Api\OauthServiceInterface;
use Magento\Store\Model\StoreManagerInterface;
use Psr\Log\LoggerInterface;

class EventSender
{
    const TIMEOUT = 2;

    private $config;
    private $integrations;
    private $oauth;
    private $stores;
    private $curl;
    private $signature;
    private $logger;
    /** @var callable|null the time in Unix seconds (null: the system's) */
    private $clock;

    public function __construct(
        ScopeConfigInterface $config,
        IntegrationServiceInterface $integrations,
        OauthServiceInterface $oauth,
        StoreManagerInterface $stores,
        Curl $curl,
        Signature $signature,
        LoggerInterface $logger,
        $clock = null
    ) {
        $this->config = $config;
        $this->integrations = $integrations;
        $this->oauth = $oauth;
        $this->stores = $stores;
        $this->curl = $curl;
        $this->signature = $signature;
        $this->logger = $logger;
        $this->clock = $clock;
    }

    /**
     * The store's name in Paylink: its base URL without the scheme or the last slash.
     */
    public function storeDomain()
    {
        $base = rtrim((string) $this->stores->getStore()->getBaseUrl(), '/');

        return strtolower(preg_replace('#^https?://#', '', $base));
    }

    private function secret()
    {
        $name = (string) $this->config->getValue('paylink/general/integration');
        $integration = $this->integrations->findByName($name !== '' ? $name : 'Paylink');
        if (!$integration || !$integration->getConsumerId()) {
            return '';
        }

        return (string) $this->oauth->loadConsumer($integration->getConsumerId())->getSecret();
    }

    /**
     * Whether Paylink took the event; false (logged) for anything else.
     */
    public function send($event, $orderId)
    {
        try {
            $url = rtrim((string) $this->config->getValue('paylink/general/url'), '/');
            $secret = $this->secret();
            if ($url === '' || $secret === '') {
                return false;
            }
            $now = $this->clock ? (int) call_user_func($this->clock) : time();
            $body = json_encode(array('event' => $event, 'order_id' => (int) $orderId));
            $this->curl->setTimeout(self::TIMEOUT);
            $this->curl->setHeaders(array(
                'Content-Type' => 'application/json',
                'X-Paylink-Store' => $this->storeDomain(),
                'X-Paylink-Event-Id' => bin2hex(random_bytes(16)),
                'X-Paylink-Timestamp' => (string) $now,
                'X-Paylink-Signature' => $this->signature->sign($secret, $now, $body),
            ));
            $this->curl->post($url . '/connectors/magento/events', $body);
            $status = (int) $this->curl->getStatus();
            if ($status >= 200 && $status < 300) {
                return true;
            }
            $this->logger->warning('Paylink did not take the ' . $event . ' event: HTTP ' . $status);
        } catch (\Throwable $error) {
            $this->logger->warning('Paylink could not be told of an order: ' . $error->getMessage());
        }

        return false;
    }
}
