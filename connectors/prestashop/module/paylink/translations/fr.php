<?php

global $_MODULE;
$_MODULE = array();
$_MODULE['<{paylink}prestashop>paylink_3eaff3c287e6499106b1015f4be12f42'] = 'Paylink';
$_MODULE['<{paylink}prestashop>paylink_3dd84e0b31d01fe77bd4514e23267ba4'] = 'Liens de paiement par SMS et e-mail pour les commandes impayées et les paniers abandonnés, avec relances.';
$_MODULE['<{paylink}prestashop>paylink_eb46ad5bed0cdf51035893674918b9c7'] = 'Les commandes et les paniers n\'arriveront plus à Paylink. Désinstaller ?';
$_MODULE['<{paylink}prestashop>paylink_479ea6fdabe35a67a4f0f97564c7959e'] = 'Payer par lien (SMS ou e-mail)';
$_MODULE['<{paylink}prestashop>paylink_fba78aa7842faccdb1526605c5379dac'] = 'Validez la commande : vous recevrez un lien sécurisé pour payer par carte, PayPal ou virement, maintenant ou plus tard.';
$_MODULE['<{paylink}prestashop>paylink_7346b6f903e4efc7081dce6d12e9bd7f'] = 'Connecté à Paylink.';
$_MODULE['<{paylink}prestashop>paylink_79d907531c33497d2dd0abe8180ed6e6'] = 'L\'adresse de Paylink commence par https://';
$_MODULE['<{paylink}prestashop>paylink_aeb8435e42ea4e03c02e101faeb83856'] = 'Déconnecté de Paylink.';
$_MODULE['<{paylink}prestashop>paylink_6673dc7cdb4114c75de9d6a8aea50087'] = 'Connecté à %s.';
$_MODULE['<{paylink}prestashop>paylink_260da0a6c21183b096f79d7e5dfa432e'] = 'Dernier événement envoyé : %s.';
$_MODULE['<{paylink}prestashop>paylink_ed2a02d09c791bcbc12608ab90829592'] = 'Aucun événement envoyé pour l\'instant.';
$_MODULE['<{paylink}prestashop>paylink_8472068c18b435d1ed5c10a572132fc4'] = 'Événements en attente de renvoi : %d.';
$_MODULE['<{paylink}prestashop>paylink_8ddd03222538ae88c4dcc8652f5e3089'] = 'Dernière erreur : %s';
$_MODULE['<{paylink}prestashop>paylink_0cf1283e1ef011a5d52e7e3e5b482f7e'] = 'Adresse de renvoi pour votre tâche cron (toutes les 5 minutes) : %s';
$_MODULE['<{paylink}prestashop>paylink_2ad409370e3f7d4dd136d58ebe882c42'] = 'Adresse de Paylink';
$_MODULE['<{paylink}prestashop>paylink_9f8d542558b6db3b07900682d01efb05'] = 'L\'adresse de votre Paylink, par exemple https://pay.example.com';
$_MODULE['<{paylink}prestashop>paylink_42ae25231906c83927831e0ef7c317ac'] = 'Déconnecter';
$_MODULE['<{paylink}prestashop>paylink_49ab28040dfa07f53544970c6d147e1e'] = 'Connecter';
