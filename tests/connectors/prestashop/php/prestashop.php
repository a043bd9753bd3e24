<?php
/**
 * Small stand-ins for the PrestaShop classes the Paylink module touches, enough to run its
 * logic under php-cli: objects load their fields from in-memory rows (`Cart::$rows[7] = [...]`),
 * Configuration is an array, Db keeps the outbox table in memory, validateOrder records what
 * it was asked and makes an order. Their behaviour follows PrestaShop's where the module relies
 * on it (Cart::OrderExists, validateOrder's currentOrder/currentOrderReference, pSQL).
 */
namespace PrestaShop\PrestaShop\Core\Payment {
    class PaymentOption
    {
        public $values = array();

        public function __call($name, $arguments)
        {
            $this->values[lcfirst(substr($name, 3))] = $arguments[0];

            return $this;
        }
    }
}

namespace {
    define('_PS_VERSION_', '8.1.7');
    define('_DB_PREFIX_', 'ps_');
    define('_MYSQL_ENGINE_', 'InnoDB');

    function pSQL($value, $html = false)
    {
        return addslashes((string) $value);
    }

    class Configuration
    {
        public static $values = array();

        public static function get($name)
        {
            return isset(self::$values[$name]) ? self::$values[$name] : false;
        }

        public static function updateValue($name, $value)
        {
            self::$values[$name] = $value;

            return true;
        }

        public static function deleteByName($name)
        {
            unset(self::$values[$name]);

            return true;
        }
    }

    class Tools
    {
        public static $values = array();
        public static $redirected = null;

        public static function getValue($name, $default = false)
        {
            return isset(self::$values[$name]) ? self::$values[$name] : $default;
        }

        public static function isSubmit($name)
        {
            return isset(self::$values[$name]);
        }

        public static function redirect($url)
        {
            self::$redirected = $url;
        }

        public static function strtoupper($text)
        {
            return mb_strtoupper($text);
        }

        public static function substr($text, $start, $length)
        {
            return mb_substr($text, $start, $length);
        }

        public static function passwdGen($length, $flag)
        {
            return substr(bin2hex(random_bytes($length)), 0, $length);
        }

        public static function file_get_contents($path)
        {
            return file_get_contents($path);
        }

        public static function getAdminTokenLite($tab)
        {
            return 'token';
        }
    }

    class Validate
    {
        public static function isLoadedObject($object)
        {
            return is_object($object) && !empty($object->id);
        }
    }

    /** Rows by table, for the outbox. */
    class Db
    {
        const INSERT_IGNORE = 2;
        public static $instance;
        public $tables = array();

        public static function getInstance()
        {
            if (!self::$instance) {
                self::$instance = new Db();
            }

            return self::$instance;
        }

        public function execute($sql)
        {
            return true;
        }

        public function insert($table, $data, $nullValues = false, $useCache = true, $type = 1)
        {
            $key = stripslashes($data['id_event']);
            if (!isset($this->tables[$table][$key])) {
                $row = array();
                foreach ($data as $name => $value) {
                    $row[$name] = is_string($value) ? stripslashes($value) : $value;
                }
                $this->tables[$table][$key] = $row;
            }

            return true;
        }

        public function executeS($sql)
        {
            preg_match('/`next_try` <= (\d+).*LIMIT (\d+)/', $sql, $found);
            $rows = array_filter(
                isset($this->tables['paylink_outbox']) ? $this->tables['paylink_outbox'] : array(),
                function ($row) use ($found) {
                    return $row['next_try'] <= (int) $found[1];
                }
            );
            usort($rows, function ($a, $b) {
                return $a['next_try'] - $b['next_try'];
            });

            return array_slice($rows, 0, (int) $found[2]);
        }

        public function delete($table, $where)
        {
            preg_match("/= '(.*)'/", $where, $found);
            unset($this->tables[$table][stripslashes($found[1])]);

            return true;
        }

        public function update($table, $data, $where)
        {
            preg_match("/= '(.*)'/", $where, $found);
            foreach ($data as $name => $value) {
                $this->tables[$table][stripslashes($found[1])][$name] = is_string($value) ? stripslashes($value) : $value;
            }

            return true;
        }

        public function getValue($sql)
        {
            return isset($this->tables['paylink_outbox']) ? count($this->tables['paylink_outbox']) : 0;
        }
    }

    /** An object whose fields come from `static::$rows[id]`. */
    abstract class StandIn
    {
        public $id;

        public function __construct($id = null)
        {
            if ($id !== null && isset(static::$rows[$id])) {
                foreach (static::$rows[$id] as $name => $value) {
                    $this->$name = $value;
                }
                $this->id = $id;
            }
        }
    }

    class Customer extends StandIn
    {
        public static $rows = array();
        public $email;
        public $firstname;
        public $lastname;
        public $secure_key;
    }

    class Address extends StandIn
    {
        public static $rows = array();
        public $phone;
        public $phone_mobile;
        public $id_country;
    }

    class Currency extends StandIn
    {
        public static $rows = array();
        public $iso_code;
    }

    class Country
    {
        public static $iso = array();

        public static function getIsoById($id)
        {
            return isset(self::$iso[$id]) ? self::$iso[$id] : false;
        }
    }

    class Language
    {
        public static $iso = array(1 => 'fr', 2 => 'en');

        public static function getIsoById($id)
        {
            return isset(self::$iso[$id]) ? self::$iso[$id] : false;
        }

        public static function getLanguages($active = true)
        {
            $languages = array();
            foreach (self::$iso as $id => $iso) {
                $languages[] = array('id_lang' => $id, 'iso_code' => $iso);
            }

            return $languages;
        }
    }

    class Cart extends StandIn
    {
        const ONLY_PRODUCTS = 1;
        const ONLY_DISCOUNTS = 2;
        const BOTH = 3;
        const ONLY_SHIPPING = 5;
        public static $rows = array();
        public $id_customer;
        public $id_address_delivery;
        public $id_address_invoice;
        public $id_currency;
        public $id_lang;
        public $date_upd;
        public $products = array();
        public $shipping = 0.0;
        public $discounts = 0.0;

        public function getProducts()
        {
            return $this->products;
        }

        public function getOrderTotal($withTaxes, $type)
        {
            if ($type === self::ONLY_SHIPPING) {
                return $this->shipping;
            }
            if ($type === self::ONLY_DISCOUNTS) {
                return $this->discounts;
            }
            $products = 0.0;
            foreach ($this->products as $product) {
                $products += $product['price_wt'] * $product['cart_quantity'];
            }

            return $products + $this->shipping - $this->discounts;
        }

        public function OrderExists()
        {
            return Order::getIdByCartId($this->id) !== false;
        }
    }

    class Order extends StandIn
    {
        public static $rows = array();
        public $id_cart;
        public $reference;

        public static function getIdByCartId($idCart)
        {
            foreach (self::$rows as $id => $row) {
                if ((int) $row['id_cart'] === (int) $idCart) {
                    return $id;
                }
            }

            return false;
        }
    }

    class OrderState
    {
        public static $added = array();
        public $id;
        public $name;

        public function add()
        {
            $this->id = 100 + count(self::$added);
            self::$added[] = $this;

            return true;
        }
    }

    class WebserviceKey extends StandIn
    {
        public static $rows = array();
        public static $permissions = array();
        public $key;
        public $description;
        public $active;

        public function add()
        {
            $this->id = count(self::$rows) + 1;
            self::$rows[$this->id] = array('key' => $this->key, 'description' => $this->description, 'active' => $this->active);

            return true;
        }

        public function delete()
        {
            unset(self::$rows[$this->id]);

            return true;
        }

        public static function setPermissionForAccount($id, $permissions)
        {
            self::$permissions[$id] = $permissions;

            return true;
        }
    }

    class Link
    {
        public function getModuleLink($module, $controller, $params = array(), $ssl = null)
        {
            return 'https://boutique.example/module/' . $module . '/' . $controller . ($params ? '?' . http_build_query($params) : '');
        }

        public function getBaseLink()
        {
            return 'https://boutique.example/';
        }

        public function getAdminLink($controller, $token = true, $route = array(), $params = array())
        {
            return 'https://boutique.example/admin-x/index.php?controller=' . $controller . '&' . http_build_query($params);
        }
    }

    class Context
    {
        public static $instance;
        public $link;
        public $cart;

        public static function getContext()
        {
            if (!self::$instance) {
                self::$instance = new Context();
                self::$instance->link = new Link();
            }

            return self::$instance;
        }
    }

    class Module
    {
        public $name;
        public $active = true;
        public $context;
        public $table = 'module';
        public $displayName;
        public $hooks = array();

        public function __construct()
        {
            $this->context = Context::getContext();
        }

        public function l($text)
        {
            return $text;
        }

        public function install()
        {
            return true;
        }

        public function uninstall()
        {
            return true;
        }

        public function registerHook($hooks)
        {
            $this->hooks = array_merge($this->hooks, (array) $hooks);

            return true;
        }

        public function displayConfirmation($text)
        {
            return '<confirmation>' . $text . '</confirmation>';
        }

        public function displayError($text)
        {
            return '<error>' . $text . '</error>';
        }

        public function displayInformation($text)
        {
            return '<information>' . $text . '</information>';
        }
    }

    class PaymentModule extends Module
    {
        public $currentOrder;
        public $currentOrderReference;
        public $validated = array();

        public function validateOrder($idCart, $idOrderState, $amountPaid, $paymentMethod = 'Unknown', $message = null, $extraVars = array(), $currencySpecial = null, $dontTouchAmount = false, $secureKey = false)
        {
            $this->validated[] = func_get_args();
            $this->currentOrder = 500 + count(Order::$rows);
            $this->currentOrderReference = 'XKBKNABJK' . count(Order::$rows);
            Order::$rows[$this->currentOrder] = array('id_cart' => $idCart, 'reference' => $this->currentOrderReference);
            Hook::exec('actionValidateOrder', array('order' => new Order($this->currentOrder)));

            return true;
        }
    }

    /** The hooks the tests fire, to the module under test. */
    class Hook
    {
        public static $module;

        public static function exec($name, $params)
        {
            $method = 'hook' . ucfirst($name);
            if (self::$module && method_exists(self::$module, $method)) {
                self::$module->$method($params);
            }
        }
    }

    class HelperForm
    {
        public $fields_value = array();
        public $table;
        public $name_controller;
        public $token;
        public $currentIndex;
        public $submit_action;
        public $default_form_language;

        public function generateForm($forms)
        {
            return '<form>' . json_encode($forms) . '</form>';
        }
    }

    class AdminController
    {
        public static $currentIndex = 'index.php?controller=AdminModules';
    }

    class ModuleFrontController
    {
        public $module;
        public $context;
    }

    /** Resets every stand-in between tests. */
    function prestashop_reset()
    {
        Configuration::$values = array('PS_OS_PAYMENT' => 2, 'PS_LANG_DEFAULT' => 1);
        Tools::$values = array();
        Tools::$redirected = null;
        Db::$instance = null;
        foreach (array('Customer', 'Address', 'Currency', 'Cart', 'Order', 'WebserviceKey') as $class) {
            $class::$rows = array();
        }
        WebserviceKey::$permissions = array();
        OrderState::$added = array();
        Hook::$module = null;
    }
}
