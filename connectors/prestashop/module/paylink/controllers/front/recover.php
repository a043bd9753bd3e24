<?php
/**
 * Paylink's signed request to turn a paid abandoned cart into an order (PaylinkRecovery).
 * Answers JSON; never a page.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class PaylinkRecoverModuleFrontController extends ModuleFrontController
{
    public $ssl = true;

    public function postProcess()
    {
        list($status, $answer) = (new PaylinkRecovery($this->module))->handle(
            (string) Tools::file_get_contents('php://input'),
            isset($_SERVER['HTTP_X_PAYLINK_TIMESTAMP']) ? $_SERVER['HTTP_X_PAYLINK_TIMESTAMP'] : '',
            isset($_SERVER['HTTP_X_PAYLINK_SIGNATURE']) ? $_SERVER['HTTP_X_PAYLINK_SIGNATURE'] : '',
            $this->module->now()
        );
        http_response_code($status);
        header('Content-Type: application/json');
        header('Cache-Control: no-store');
        echo json_encode($answer);
        exit;
    }
}
