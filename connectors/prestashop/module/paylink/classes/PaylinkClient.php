<?php
/**
 * Talking to Paylink from the shop, with a short timeout: a checkout must never wait long, or
 * break, because Paylink is slow or down. The transport is a callable so the module's tests can
 * stand in for the network; in a shop it is cURL.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class PaylinkClient
{
    const TIMEOUT = 3;
    const CONNECT_TIMEOUT = 2;

    /** @var callable (url, header lines, body, timeout) => array(status, body, error) */
    private $transport;

    public function __construct($transport = null)
    {
        $this->transport = $transport ? $transport : array($this, 'curl');
    }

    /**
     * POST a JSON body; returns array(status, decoded answer or null, error text or '').
     */
    public function post($url, array $headers, $body, $timeout = self::TIMEOUT)
    {
        list($status, $answer, $error) = call_user_func($this->transport, $url, $headers, $body, $timeout);
        $decoded = json_decode((string) $answer, true);

        return array((int) $status, is_array($decoded) ? $decoded : null, (string) $error);
    }

    public function curl($url, array $headers, $body, $timeout)
    {
        $handle = curl_init($url);
        curl_setopt_array($handle, array(
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_CONNECTTIMEOUT => self::CONNECT_TIMEOUT,
            CURLOPT_TIMEOUT => $timeout,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTPS | CURLPROTO_HTTP,
        ));
        $answer = curl_exec($handle);
        $status = (int) curl_getinfo($handle, CURLINFO_HTTP_CODE);
        $error = $answer === false ? curl_error($handle) : '';
        curl_close($handle);

        return array($status, $answer === false ? '' : $answer, $error);
    }
}
