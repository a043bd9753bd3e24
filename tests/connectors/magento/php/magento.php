<?php
/**
 * Stand-ins for the Magento classes the Paylink module touches, enough to run its logic under
 * php-cli: configuration values, the integration and its consumer, the store's base URL, and a
 * Curl client that really POSTs (with PHP's cURL) or hands the request to a test.
 */
namespace Psr\Log {
    interface LoggerInterface
    {
    }
}

namespace Magento\Framework\App\Config {
    interface ScopeConfigInterface
    {
    }
}

namespace Magento\Integration\Api {
    interface IntegrationServiceInterface
    {
    }

    interface OauthServiceInterface
    {
    }
}

namespace Magento\Store\Model {
    interface StoreManagerInterface
    {
    }
}

namespace Magento\Framework\Event {
    class Observer
    {
        private $event;

        public function __construct($event)
        {
            $this->event = $event;
        }

        public function getEvent()
        {
            return $this->event;
        }
    }

    interface ObserverInterface
    {
        public function execute(Observer $observer);
    }
}

namespace Magento\Payment\Model\Method {
    class AbstractMethod
    {
    }
}

namespace Magento\Framework\HTTP\Client {
    /** The framework's Curl client: headers as an array, post(), getStatus(). */
    class Curl
    {
        public $timeout;
        public $headers = array();
        public $sent = array();
        /** @var callable|null (url, headers, body) => status; null: a real POST */
        public $transport;
        private $status = 0;

        public function setTimeout($seconds)
        {
            $this->timeout = $seconds;
        }

        public function setHeaders($headers)
        {
            $this->headers = $headers;
        }

        public function post($url, $body)
        {
            $this->sent[] = array('url' => $url, 'headers' => $this->headers, 'body' => $body);
            if ($this->transport) {
                $this->status = call_user_func($this->transport, $url, $this->headers, $body);

                return;
            }
            $lines = array();
            foreach ($this->headers as $name => $value) {
                $lines[] = $name . ': ' . $value;
            }
            $handle = curl_init($url);
            curl_setopt_array($handle, array(
                CURLOPT_POST => true,
                CURLOPT_POSTFIELDS => $body,
                CURLOPT_HTTPHEADER => $lines,
                CURLOPT_RETURNTRANSFER => true,
                CURLOPT_TIMEOUT => $this->timeout,
            ));
            curl_exec($handle);
            $this->status = (int) curl_getinfo($handle, CURLINFO_HTTP_CODE);
            curl_close($handle);
        }

        public function getStatus()
        {
            return $this->status;
        }
    }
}

namespace {
    /** Plain objects answering getX() from their fields, for config, integrations, stores. */
    class MagentoFake implements
        Psr\Log\LoggerInterface,
        Magento\Framework\App\Config\ScopeConfigInterface,
        Magento\Integration\Api\IntegrationServiceInterface,
        Magento\Integration\Api\OauthServiceInterface,
        Magento\Store\Model\StoreManagerInterface
    {
        public $values;
        public $warnings = array();

        public function __construct(array $values)
        {
            $this->values = $values;
        }

        public function getValue($path)
        {
            return isset($this->values['config'][$path]) ? $this->values['config'][$path] : null;
        }

        public function findByName($name)
        {
            return isset($this->values['integrations'][$name]) ? new MagentoFake($this->values['integrations'][$name]) : null;
        }

        public function loadConsumer($id)
        {
            return new MagentoFake($this->values['consumers'][$id]);
        }

        public function getStore()
        {
            return new MagentoFake(array('base_url' => $this->values['base_url']));
        }

        public function warning($message)
        {
            $this->warnings[] = $message;
        }

        public function __call($name, $arguments)
        {
            $field = strtolower(preg_replace('/(?<!^)[A-Z]/', '_$0', substr($name, 3)));

            return isset($this->values[$field]) ? $this->values[$field] : null;
        }
    }
}
