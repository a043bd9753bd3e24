<?php
/**
 * Paylink for Magento 2.4: payment links by SMS and email for unpaid orders and abandoned carts.
 */
use Magento\Framework\Component\ComponentRegistrar;

ComponentRegistrar::register(ComponentRegistrar::MODULE, 'Paylink_Connector', __DIR__);
