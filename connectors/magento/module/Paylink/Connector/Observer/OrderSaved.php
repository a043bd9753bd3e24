<?php
/**
 * sales_order_save_commit_after: an order changed (paid, cancelled, invoiced in the admin).
 */
namespace Paylink\Connector\Observer;

use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Paylink\Connector\Model\EventSender;

class OrderSaved implements ObserverInterface
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
            $this->sender->send('order.saved', $order->getId());
        }
    }
}
