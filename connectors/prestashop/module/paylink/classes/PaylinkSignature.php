<?php
/**
 * The signature Paylink and the module put on what they send each other: HMAC-SHA256 (hex,
 * prefixed "sha256=") over "<timestamp>.<raw body>" with the shop's secret. The timestamp is
 * signed, so an old message cannot be replayed under a new one, and one older than five
 * minutes is refused. Paylink's side is connectors/signed_events.py: both are checked
 * against the same vectors.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class PaylinkSignature
{
    const TOLERANCE = 300;
    const SIGNATURE_HEADER = 'X-Paylink-Signature';
    const TIMESTAMP_HEADER = 'X-Paylink-Timestamp';
    const EVENT_HEADER = 'X-Paylink-Event-Id';

    public static function sign($secret, $timestamp, $body)
    {
        return 'sha256=' . hash_hmac('sha256', (string) $timestamp . '.' . $body, (string) $secret);
    }

    /**
     * Whether a message is signed with the secret, at most TOLERANCE seconds from now.
     */
    public static function verify($secret, $timestamp, $body, $signature, $now)
    {
        $timestamp = (string) $timestamp;
        if ((string) $secret === '' || !ctype_digit($timestamp)) {
            return false;
        }
        if (abs((int) $now - (int) $timestamp) > self::TOLERANCE) {
            return false;
        }

        return hash_equals(self::sign($secret, $timestamp, $body), (string) $signature);
    }

    /**
     * The headers of a signed JSON message, as an array of "Name: value" lines.
     */
    public static function headers($secret, $eventId, $body, $now)
    {
        $lines = array(
            'Content-Type: application/json',
            self::TIMESTAMP_HEADER . ': ' . (int) $now,
            self::SIGNATURE_HEADER . ': ' . self::sign($secret, (int) $now, $body),
        );
        if ($eventId !== null) {
            $lines[] = self::EVENT_HEADER . ': ' . $eventId;
        }

        return $lines;
    }
}
