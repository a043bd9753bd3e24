<?php
/**
 * checkout_submit_all_after: the order is placed and committed.
 */
namespace Paylink\Connector\Observer;

use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Paylink\Connector\Model\EventSender;

class OrderPlaced implements ObserverInterface
{
    private $sender;

    public function __construct(EventSender $sender)
    {
        $this->sender = $sender;
    }

    public function execute(Observer $observer)
    {
        $order = $observer->getEvent()->getOrder();
        if ($order && $order->getId()) {
            $this->sender->send('order.placed', $order->getId());
        }
    }
}
