<?php
/**
 * "Pay by link": an offline method. The order is placed unpaid (status pending); Paylink turns it
 * into an invoice and texts or emails the customer a link to pay by card, PayPal or transfer.
 */
namespace Paylink\Connector\Model;

use Magento\Payment\Model\Method\AbstractMethod;

class PayByLink extends AbstractMethod
{
    const CODE = 'paylink';

    protected $_code = self::CODE;
    protected $_isOffline = true;
}
