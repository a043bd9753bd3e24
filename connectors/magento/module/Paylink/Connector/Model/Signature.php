<?php
/**
 * The signature on the module's events: HMAC-SHA256 (hex, "sha256=" first) over
 * "<timestamp>.<raw body>" with the integration's consumer secret, which Magento gave Paylink
 * too when the integration was activated. Paylink refuses one more than five minutes old. The
 * same bytes as Paylink's connectors/signed_events.py, checked against shared vectors.
 */
namespace Paylink\Connector\Model;

class Signature
{
    const TOLERANCE = 300;

    public function sign($secret, $timestamp, $body)
    {
        return 'sha256=' . hash_hmac('sha256', (string) $timestamp . '.' . $body, (string) $secret);
    }

    public function verify($secret, $timestamp, $body, $signature, $now)
    {
        $timestamp = (string) $timestamp;
        if ((string) $secret === '' || !ctype_digit($timestamp) || abs((int) $now - (int) $timestamp) > self::TOLERANCE) {
            return false;
        }

        return hash_equals($this->sign($secret, $timestamp, $body), (string) $signature);
    }
}
