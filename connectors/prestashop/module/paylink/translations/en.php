<?php

global $_MODULE;
$_MODULE = array();
$_MODULE['<{paylink}prestashop>paylink_3eaff3c287e6499106b1015f4be12f42'] = 'Paylink';
$_MODULE['<{paylink}prestashop>paylink_3dd84e0b31d01fe77bd4514e23267ba4'] = 'Payment links by SMS and email for unpaid orders and abandoned carts, with reminders.';
$_MODULE['<{paylink}prestashop>paylink_eb46ad5bed0cdf51035893674918b9c7'] = 'Orders and carts will no longer reach Paylink. Uninstall?';
$_MODULE['<{paylink}prestashop>paylink_479ea6fdabe35a67a4f0f97564c7959e'] = 'Pay by link (SMS or email)';
$_MODULE['<{paylink}prestashop>paylink_fba78aa7842faccdb1526605c5379dac'] = 'Confirm the order: you will get a secure link to pay by card, PayPal or transfer, now or later.';
$_MODULE['<{paylink}prestashop>paylink_7346b6f903e4efc7081dce6d12e9bd7f'] = 'Connected to Paylink.';
$_MODULE['<{paylink}prestashop>paylink_79d907531c33497d2dd0abe8180ed6e6'] = 'Paylink\'s address starts with https://';
$_MODULE['<{paylink}prestashop>paylink_aeb8435e42ea4e03c02e101faeb83856'] = 'Disconnected from Paylink.';
$_MODULE['<{paylink}prestashop>paylink_6673dc7cdb4114c75de9d6a8aea50087'] = 'Connected to %s.';
$_MODULE['<{paylink}prestashop>paylink_260da0a6c21183b096f79d7e5dfa432e'] = 'Last event sent: %s.';
$_MODULE['<{paylink}prestashop>paylink_ed2a02d09c791bcbc12608ab90829592'] = 'No event sent yet.';
$_MODULE['<{paylink}prestashop>paylink_8472068c18b435d1ed5c10a572132fc4'] = 'Events waiting to be resent: %d.';
$_MODULE['<{paylink}prestashop>paylink_8ddd03222538ae88c4dcc8652f5e3089'] = 'Last error: %s';
$_MODULE['<{paylink}prestashop>paylink_0cf1283e1ef011a5d52e7e3e5b482f7e'] = 'Resend address for your cron (every 5 minutes): %s';
$_MODULE['<{paylink}prestashop>paylink_2ad409370e3f7d4dd136d58ebe882c42'] = 'Paylink address';
$_MODULE['<{paylink}prestashop>paylink_9f8d542558b6db3b07900682d01efb05'] = 'The address of your Paylink, for example https://pay.example.com';
$_MODULE['<{paylink}prestashop>paylink_42ae25231906c83927831e0ef7c317ac'] = 'Disconnect';
$_MODULE['<{paylink}prestashop>paylink_49ab28040dfa07f53544970c6d147e1e'] = 'Connect';
