"""Starting texts of the legal pages, in French (the law they follow is French). The admin
adapts them to the commune; they describe what the hub really does with personal data."""

DEFAULT_LEGAL_NOTICE = """\
## Éditeur

Cette plateforme de participation est éditée par la commune, dont le nom et l'adresse de contact
figurent en pied de page.

**Directeur ou directrice de la publication :** le maire ou la maire de la commune.

## Hébergement

À compléter : nom, adresse et téléphone de l'hébergeur de la plateforme.

## Logiciel

La plateforme utilise un logiciel libre de participation citoyenne, publié sous licence
AGPL-3.0-or-later. Les contenus publiés par les habitants restent sous leur responsabilité et
sont modérés selon la charte de modération.
"""

DEFAULT_TERMS = """\
## Objet

Ces conditions d'utilisation encadrent l'usage de la plateforme de participation de la commune :
suivre les projets, y contribuer, signer des pétitions et des interpellations, s'inscrire aux
ateliers et participer aux autres démarches ouvertes.

## Compte

Un compte est personnel. Certaines démarches (signer, voter) sont réservées aux habitants dont
la résidence est vérifiée ; une personne ne peut avoir qu'un seul compte vérifié.

## Contributions

Chacun s'exprime dans le respect des personnes et de la loi : pas de propos injurieux,
diffamatoires ou discriminatoires, pas de données personnelles d'autrui. Les contributions
contraires à ces règles peuvent être masquées, avec un motif public ; leur auteur peut
contester la décision.

## Ce que devient votre contribution

Chaque démarche publie, avant d'ouvrir la participation, ce qui est ouvert à la discussion,
qui décide et comment les contributions seront utilisées. Chaque contribution reçoit un statut
et, à la fin, un avis argumenté de la commune.
"""

DEFAULT_PRIVACY = """\
## Responsable du traitement

La commune, dont le nom et l'adresse de contact figurent en pied de page.

## Finalités et base légale

Les données sont traitées pour permettre la participation des habitants à la vie locale
(mission d'intérêt public, article 6.1.e du RGPD) : gérer les comptes, vérifier la résidence
lorsque la démarche l'exige, recueillir les contributions, signatures et votes, inscrire aux
séances et informer les participants des suites données.

## Données traitées

Adresse électronique, nom affiché, et si vous les donnez : nom complet, date de naissance,
quartier ; vos contributions, signatures, inscriptions et abonnements ; l'adresse IP des
signatures et des connexions, pour lutter contre la fraude.

## Durées de conservation

- Compte : jusqu'à sa suppression par vous-même, depuis votre espace ;
- Signatures : les données personnelles des signataires sont effacées quelques mois après la
  clôture de la collecte (le nombre de signatures reste publié) ;
- Inscriptions aux séances : effacées quelques mois après la séance ;
- Journal d'audit des actions des agents : conservé pour la traçabilité des décisions.

## Destinataires

Les agents et les élus habilités de la commune, dans la limite de leurs missions. Aucune donnée
n'est vendue ni transmise à des fins commerciales ; la plateforme n'utilise ni traceur ni
service tiers.

## Vos droits

Vous pouvez accéder à vos données et les télécharger depuis votre espace (« Télécharger mes
données »), les rectifier, supprimer votre compte, et vous opposer à un traitement ou en
demander la limitation en écrivant au délégué à la protection des données. Si vous estimez que
vos droits ne sont pas respectés, vous pouvez adresser une réclamation à la CNIL
(www.cnil.fr).
"""
