<?php
/**
 * Events Paylink did not receive (down, slow, unreachable), kept in a small table and resent by
 * the cron-able front controller (controllers/front/resend.php) with their own event ids, so
 * Paylink keeps each once. Paylink also reads the shop's orders on its own schedule and catches
 * what stays here too long.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class PaylinkOutbox
{
    const TABLE = 'paylink_outbox';
    /** A resent event waits this long times its attempts (capped at a day). */
    const BACKOFF = 300;

    public static function installSql($prefix, $engine)
    {
        return 'CREATE TABLE IF NOT EXISTS `' . $prefix . self::TABLE . '` (
            `id_event` VARCHAR(64) NOT NULL,
            `body` MEDIUMTEXT NOT NULL,
            `attempts` INT UNSIGNED NOT NULL DEFAULT 1,
            `last_error` VARCHAR(255) NOT NULL DEFAULT \'\',
            `next_try` INT UNSIGNED NOT NULL,
            PRIMARY KEY (`id_event`)
        ) ENGINE=' . $engine . ' DEFAULT CHARSET=utf8mb4';
    }

    public static function uninstallSql($prefix)
    {
        return 'DROP TABLE IF EXISTS `' . $prefix . self::TABLE . '`';
    }

    /** @var Db */
    private $db;

    public function __construct($db)
    {
        $this->db = $db;
    }

    public function keep($eventId, $body, $error, $now)
    {
        return $this->db->insert(self::TABLE, array(
            'id_event' => pSQL($eventId),
            'body' => pSQL($body, true),
            'attempts' => 1,
            'last_error' => pSQL(Tools::substr((string) $error, 0, 255)),
            'next_try' => (int) $now + self::BACKOFF,
        ), false, true, Db::INSERT_IGNORE);
    }

    public function due($now, $limit)
    {
        $rows = $this->db->executeS(
            'SELECT `id_event`, `body`, `attempts` FROM `' . _DB_PREFIX_ . self::TABLE . '`'
            . ' WHERE `next_try` <= ' . (int) $now . ' ORDER BY `next_try` LIMIT ' . (int) $limit
        );

        return is_array($rows) ? $rows : array();
    }

    public function sent($eventId)
    {
        return $this->db->delete(self::TABLE, '`id_event` = \'' . pSQL($eventId) . '\'');
    }

    public function failed($eventId, $attempts, $error, $now)
    {
        $wait = min(86400, self::BACKOFF * (int) $attempts);

        return $this->db->update(self::TABLE, array(
            'attempts' => (int) $attempts + 1,
            'last_error' => pSQL(Tools::substr((string) $error, 0, 255)),
            'next_try' => (int) $now + $wait,
        ), '`id_event` = \'' . pSQL($eventId) . '\'');
    }

    public function count()
    {
        return (int) $this->db->getValue('SELECT COUNT(*) FROM `' . _DB_PREFIX_ . self::TABLE . '`');
    }
}
