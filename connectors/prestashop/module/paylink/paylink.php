<?php
/**
 * Paylink for PrestaShop 1.7.8, 8 and 9 (PHP 7.2 to 8.3).
 *
 * Tells Paylink about orders and carts (signed events, never slowing a checkout), offers
 * "Pay by link" at checkout (the order waits in its own state while Paylink sends the customer
 * a payment link), and turns a paid abandoned cart into an order when Paylink asks.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

require_once __DIR__ . '/classes/PaylinkSignature.php';
require_once __DIR__ . '/classes/PaylinkClient.php';
require_once __DIR__ . '/classes/PaylinkOutbox.php';
require_once __DIR__ . '/classes/PaylinkEvents.php';
require_once __DIR__ . '/classes/PaylinkPairing.php';
require_once __DIR__ . '/classes/PaylinkRecovery.php';

use PrestaShop\PrestaShop\Core\Payment\PaymentOption;

class Paylink extends PaymentModule
{
    const HOOKS = array(
        'paymentOptions',
        'actionValidateOrder',
        'actionOrderStatusPostUpdate',
        'actionCartSave',
    );

    public function __construct()
    {
        $this->name = 'paylink';
        $this->tab = 'payments_gateways';
        $this->version = '1.2.0';
        $this->author = 'Paylink';
        $this->need_instance = 0;
        $this->ps_versions_compliancy = array('min' => '1.7.8.0', 'max' => '9.99.99');
        $this->bootstrap = true;
        $this->currencies = true;
        $this->currencies_mode = 'checkbox';
        $this->controllers = array('validation', 'recover', 'resend');
        parent::__construct();
        $this->displayName = $this->l('Paylink');
        $this->description = $this->l('Payment links by SMS and email for unpaid orders and abandoned carts, with reminders.');
        $this->confirmUninstall = $this->l('Orders and carts will no longer reach Paylink. Uninstall?');
    }

    public function install()
    {
        return parent::install()
            && $this->registerHook(self::HOOKS)
            && Db::getInstance()->execute(PaylinkOutbox::installSql(_DB_PREFIX_, _MYSQL_ENGINE_))
            && $this->installOrderState()
            && Configuration::updateValue('PAYLINK_CRON_TOKEN', bin2hex(random_bytes(16)));
    }

    public function uninstall()
    {
        (new PaylinkPairing(new PaylinkClient($this->transport)))->disconnect($this->now());
        Configuration::deleteByName('PAYLINK_URL');
        Configuration::deleteByName('PAYLINK_CRON_TOKEN');

        // The order state stays: orders made with it keep pointing at it.
        return Db::getInstance()->execute(PaylinkOutbox::uninstallSql(_DB_PREFIX_))
            && parent::uninstall();
    }

    /**
     * "Awaiting Paylink payment": not paid, not logable, so Paylink makes the invoice.
     */
    private function installOrderState()
    {
        if ((int) Configuration::get('PAYLINK_OS_AWAITING')) {
            return true;
        }
        $state = new OrderState();
        $state->module_name = $this->name;
        $state->color = '#1f6feb';
        $state->send_email = false;
        $state->logable = false;
        $state->paid = false;
        $state->invoice = false;
        $state->hidden = false;
        $state->name = array();
        foreach (Language::getLanguages(false) as $language) {
            $french = $language['iso_code'] === 'fr';
            $state->name[(int) $language['id_lang']] = $french ? 'En attente de paiement Paylink' : 'Awaiting Paylink payment';
        }

        return $state->add() && Configuration::updateValue('PAYLINK_OS_AWAITING', (int) $state->id);
    }

    /** @var callable|null how to reach Paylink (null: cURL); the module's tests stand in */
    public $transport = null;
    /** @var callable|null the time, in Unix seconds (null: the system's); tests stand in */
    public $clock = null;

    public function now()
    {
        return $this->clock ? (int) call_user_func($this->clock) : time();
    }

    public function events()
    {
        return new PaylinkEvents(new PaylinkClient($this->transport), new PaylinkOutbox(Db::getInstance()));
    }

    // Checkout -------------------------------------------------------------------------------

    public function hookPaymentOptions($params)
    {
        if (!$this->active || !PaylinkEvents::connected()) {
            return array();
        }
        $option = new PaymentOption();
        $option->setModuleName($this->name)
            ->setCallToActionText($this->l('Pay by link (SMS or email)'))
            ->setAction($this->context->link->getModuleLink($this->name, 'validation', array(), true))
            ->setAdditionalInformation($this->l('Confirm the order: you will get a secure link to pay by card, PayPal or transfer, now or later.'));

        return array($option);
    }

    // Events ---------------------------------------------------------------------------------

    public function hookActionValidateOrder($params)
    {
        if (PaylinkRecovery::$recovering || !PaylinkEvents::connected() || empty($params['order'])) {
            return;
        }
        $order = $params['order'];
        $this->events()->send(PaylinkEvents::orderEvent('order.validated', $order->id, $order->id_cart), $this->now());
    }

    public function hookActionOrderStatusPostUpdate($params)
    {
        if (!PaylinkEvents::connected() || empty($params['id_order'])) {
            return;
        }
        $order = new Order((int) $params['id_order']);
        $this->events()->send(PaylinkEvents::orderEvent('order.status', $order->id, $order->id_cart), $this->now());
    }

    public function hookActionCartSave($params)
    {
        if (!PaylinkEvents::connected() || empty($params['cart']) || !Validate::isLoadedObject($params['cart'])) {
            return;
        }
        $event = PaylinkEvents::cartEvent($params['cart']);
        if ($event !== null) {
            $this->events()->send($event, $this->now());
        }
    }

    // Configuration page ---------------------------------------------------------------------

    public function getContent()
    {
        $output = '';
        $pairing = new PaylinkPairing(new PaylinkClient($this->transport));
        if (Tools::getValue('paylink_state')) {
            $error = $pairing->finish(Tools::getValue('paylink_state'), $this->shopUrl(), $this->version);
            $output .= $error === '' ? $this->displayConfirmation($this->l('Connected to Paylink.')) : $this->displayError($error);
        } elseif (Tools::isSubmit('submitPaylinkConnect')) {
            try {
                Tools::redirect($pairing->start(Tools::getValue('PAYLINK_URL'), $this->shopUrl(), $this->configurationUrl()));
            } catch (InvalidArgumentException $error) {
                $output .= $this->displayError($this->l('Paylink\'s address starts with https://'));
            }
        } elseif (Tools::isSubmit('submitPaylinkDisconnect')) {
            $pairing->disconnect($this->now());
            $output .= $this->displayConfirmation($this->l('Disconnected from Paylink.'));
        }

        return $output . $this->renderHealth() . $this->renderForm();
    }

    private function shopUrl()
    {
        return rtrim($this->context->link->getBaseLink(), '/');
    }

    private function configurationUrl()
    {
        return $this->context->link->getAdminLink('AdminModules', true, array(), array('configure' => $this->name));
    }

    private function renderHealth()
    {
        if (!PaylinkEvents::connected()) {
            return '';
        }
        $lastSent = (int) Configuration::get('PAYLINK_LAST_SENT');
        $waiting = (new PaylinkOutbox(Db::getInstance()))->count();
        $lines = array(
            sprintf($this->l('Connected to %s.'), Configuration::get('PAYLINK_URL')),
            $lastSent ? sprintf($this->l('Last event sent: %s.'), date('Y-m-d H:i', $lastSent)) : $this->l('No event sent yet.'),
            sprintf($this->l('Events waiting to be resent: %d.'), $waiting),
        );
        if (Configuration::get('PAYLINK_LAST_ERROR')) {
            $lines[] = sprintf($this->l('Last error: %s'), Configuration::get('PAYLINK_LAST_ERROR'));
        }
        $lines[] = sprintf(
            $this->l('Resend address for your cron (every 5 minutes): %s'),
            $this->context->link->getModuleLink($this->name, 'resend', array('token' => Configuration::get('PAYLINK_CRON_TOKEN')), true)
        );

        return $this->displayInformation(implode('<br>', array_map('htmlspecialchars', $lines)));
    }

    private function renderForm()
    {
        $connected = PaylinkEvents::connected();
        $form = array('form' => array(
            'legend' => array('title' => $this->l('Paylink'), 'icon' => 'icon-link'),
            'input' => array(array(
                'type' => 'text',
                'label' => $this->l('Paylink address'),
                'name' => 'PAYLINK_URL',
                'required' => true,
                'desc' => $this->l('The address of your Paylink, for example https://pay.example.com'),
            )),
            'submit' => array(
                'title' => $connected ? $this->l('Disconnect') : $this->l('Connect'),
                'name' => $connected ? 'submitPaylinkDisconnect' : 'submitPaylinkConnect',
            ),
        ));
        $helper = new HelperForm();
        $helper->table = $this->table;
        $helper->name_controller = $this->name;
        $helper->token = Tools::getAdminTokenLite('AdminModules');
        $helper->currentIndex = AdminController::$currentIndex . '&' . http_build_query(array('configure' => $this->name));
        $helper->submit_action = $connected ? 'submitPaylinkDisconnect' : 'submitPaylinkConnect';
        $helper->default_form_language = (int) Configuration::get('PS_LANG_DEFAULT');
        $helper->fields_value['PAYLINK_URL'] = Tools::getValue('PAYLINK_URL', Configuration::get('PAYLINK_URL'));

        return $helper->generateForm(array($form));
    }
}
