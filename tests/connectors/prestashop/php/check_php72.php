<?php
/**
 * Refuses syntax newer than PHP 7.2 in the files named (the module runs on shops still on
 * PHP 7.2): php -l on a newer PHP accepts it. Token-level, so strings and comments never count.
 * Prints one line per finding and exits 1 when there is any.
 */
$newer = array(
    'T_FN' => 'arrow function (7.4)',
    'T_COALESCE_EQUAL' => '??= (7.4)',
    'T_NULLSAFE_OBJECT_OPERATOR' => '?-> (8.0)',
    'T_MATCH' => 'match (8.0)',
    'T_ATTRIBUTE' => '#[attribute] (8.0)',
    'T_ENUM' => 'enum (8.1)',
    'T_READONLY' => 'readonly (8.1)',
);
$functions = array('str_contains', 'str_starts_with', 'str_ends_with', 'array_is_list', 'get_debug_type');
$found = 0;
foreach (array_slice($argv, 1) as $file) {
    $tokens = token_get_all(file_get_contents($file));
    $count = count($tokens);
    for ($i = 0; $i < $count; ++$i) {
        $token = $tokens[$i];
        if (!is_array($token)) {
            continue;
        }
        $name = token_name($token[0]);
        $where = $file . ':' . $token[2];
        if (isset($newer[$name])) {
            echo $where . ': ' . $newer[$name] . PHP_EOL;
            ++$found;
        } elseif ($name === 'T_LNUMBER' && strpos($token[1], '_') !== false) {
            echo $where . ': numeric separator (7.4)' . PHP_EOL;
            ++$found;
        } elseif ($name === 'T_STRING' && in_array(strtolower($token[1]), $functions, true)) {
            echo $where . ': ' . $token[1] . '() (8.0)' . PHP_EOL;
            ++$found;
        } elseif (in_array($name, array('T_PUBLIC', 'T_PROTECTED', 'T_PRIVATE', 'T_VAR'), true)) {
            // A typed property (7.4): a visibility, maybe static, then a type, then $name.
            $j = $i + 1;
            while ($j < $count && is_array($tokens[$j]) && in_array(token_name($tokens[$j][0]), array('T_WHITESPACE', 'T_STATIC'), true)) {
                ++$j;
            }
            $next = $tokens[$j];
            $type = $next === '?' || (is_array($next) && in_array(token_name($next[0]), array('T_STRING', 'T_ARRAY', 'T_NAME_QUALIFIED', 'T_NAME_FULLY_QUALIFIED'), true));
            if ($type) {
                $k = $j + 1;
                while ($k < $count && (is_array($tokens[$k]) && token_name($tokens[$k][0]) !== 'T_VARIABLE' || $tokens[$k] === '?' || $tokens[$k] === '|')) {
                    if (is_array($tokens[$k]) && in_array(token_name($tokens[$k][0]), array('T_FUNCTION', 'T_CONST'), true)) {
                        break;
                    }
                    ++$k;
                }
                if ($k < $count && is_array($tokens[$k]) && token_name($tokens[$k][0]) === 'T_VARIABLE') {
                    echo $where . ': typed property (7.4)' . PHP_EOL;
                    ++$found;
                }
            }
        }
    }
}
exit($found ? 1 : 0);
