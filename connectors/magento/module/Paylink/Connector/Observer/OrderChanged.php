<?php
/**
 * An order was placed (checkout_submit_all_after) or changed (sales_order_save_commit_after),
 * its transaction committed: Paylink is told which, and reads the order itself.
 */
namespace Paylink\Connector\Observer;

use Magento\Framework\Event\Observer;
use Magento\Framework\Event\ObserverInterface;
use Paylink\Connector\Model\EventSender;

class OrderChanged implements ObserverInterface
{
    /** The Magento event each Paylink event comes from. */
    const EVENTS = array(
        'checkout_submit_all_after' => 'order.placed',
        'sales_order_save_commit_after' => 'order.saved',
    );

    private $sender;

    public function __construct(EventSender $sender)
    {
        $this->sender = $sender;
    }

    public function execute(Observer $observer)
    {
        $event = $observer->getEvent();
        $order = $event->getOrder();
        if (isset(self::EVENTS[$event->getName()]) && $order && $order->getId()) {
            $this->sender->send(self::EVENTS[$event->getName()], $order->getId());
        }
    }
}
