<?php
/**
 * The customer chose "Pay by link": the order is made in the "Awaiting Paylink payment" state
 * (not paid), Paylink turns it into an invoice and sends the link.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class PaylinkValidationModuleFrontController extends ModuleFrontController
{
    public function postProcess()
    {
        $cart = $this->context->cart;
        if (!$cart->id_customer || !$cart->id_address_delivery || !$cart->id_address_invoice || !$this->module->active) {
            Tools::redirect('index.php?controller=order&step=1');
        }
        $customer = new Customer((int) $cart->id_customer);
        if (!Validate::isLoadedObject($customer)) {
            Tools::redirect('index.php?controller=order&step=1');
        }
        $this->module->validateOrder(
            (int) $cart->id,
            (int) Configuration::get('PAYLINK_OS_AWAITING'),
            (float) $cart->getOrderTotal(true, Cart::BOTH),
            $this->module->displayName,
            null,
            array(),
            (int) $cart->id_currency,
            false,
            $customer->secure_key
        );
        Tools::redirect('index.php?controller=order-confirmation&' . http_build_query(array(
            'id_cart' => (int) $cart->id,
            'id_module' => (int) $this->module->id,
            'id_order' => (int) $this->module->currentOrder,
            'key' => $customer->secure_key,
        )));
    }
}
