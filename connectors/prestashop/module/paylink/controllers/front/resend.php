<?php
/**
 * The events Paylink did not receive, sent again: call it from the shop's cron every few
 * minutes (its address, with its token, is on the module's configuration page).
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class PaylinkResendModuleFrontController extends ModuleFrontController
{
    public function postProcess()
    {
        $token = (string) Configuration::get('PAYLINK_CRON_TOKEN');
        header('Content-Type: application/json');
        header('Cache-Control: no-store');
        if ($token === '' || !hash_equals($token, (string) Tools::getValue('token'))) {
            http_response_code(403);
            echo json_encode(array('error' => 'wrong token'));
            exit;
        }
        $sent = PaylinkEvents::connected() ? $this->module->events()->resend($this->module->now()) : 0;
        echo json_encode(array('sent' => $sent));
        exit;
    }
}
