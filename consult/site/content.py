"""The fields of the privacy notice and the accessibility statement, and the text a fresh
installation shows until an administrator edits it.

The default text is Swedish (the region's own content, like its drafts); square brackets mark
what only the region can fill in. The parts the law fixes or the product knows (retention
periods, cookies, the supervisory authorities) are not fields: the pages generate them.
"""

from __future__ import annotations

PRIVACY = "privacy"
ACCESSIBILITY = "accessibility"

# Short fields are one line; the others are Markdown.
SHORT_FIELDS = frozenset({"controller_name", "org_number", "organisation", "status"})
MAX_SHORT = 200
MAX_LONG = 10_000

PRIVACY_FIELDS = (
    "controller_name",
    "org_number",
    "controller_contact",
    "dpo_contact",
    "purposes",
    "legal_basis",
    "stored_data",
    "recipients",
    "retention_note",
    "rights",
)
ACCESSIBILITY_FIELDS = ("organisation", "status", "gaps", "report", "assessment")
FIELDS = {PRIVACY: PRIVACY_FIELDS, ACCESSIBILITY: ACCESSIBILITY_FIELDS}

# Conformance with WCAG 2.1 AA, as the statement must say it.
STATUSES = ("full", "partial", "none")

PRIVACY_DEFAULTS = {
    "controller_name": "[Regionens namn]",
    "org_number": "[organisationsnummer]",
    "controller_contact": "[Postadress]  \n[E-postadress och telefonnummer till regionen]",
    "dpo_contact": "Regionens dataskyddsombud nås på [e-postadress till dataskyddsombudet].",
    "purposes": (
        "Vi behandlar personuppgifter för att kunna genomföra samråd om regionens "
        "utvecklingsstrategi:\n\n"
        "- för att du ska kunna skapa ett konto och logga in,\n"
        "- för att visa och sammanställa de synpunkter du lämnar, med ditt namn på det sätt "
        "du har valt, din organisation och din intressentkategori,\n"
        "- för att skicka notiser och e-post som gäller dina synpunkter och de samråd du följer,\n"
        "- för att granska synpunkter och förhindra missbruk av tjänsten,\n"
        "- för att registrera och bevara inkomna synpunkter så som lagen kräver av en myndighet."
    ),
    "legal_basis": (
        "Behandlingen är nödvändig för att utföra en uppgift av allmänt intresse och som ett "
        "led i regionens myndighetsutövning (artikel 6.1 e i dataskyddsförordningen, GDPR). "
        "Uppgiften följer av regionens ansvar för det regionala utvecklingsarbetet enligt "
        "lagen (2010:630) om regionalt utvecklingsansvar."
    ),
    "stored_data": (
        "- Ditt namn, din e-postadress och ditt lösenord (som bara sparas som ett hashvärde "
        "som inte går att läsa tillbaka).\n"
        "- Din intressentkategori, den organisation du svarar för och, om du har angett den, "
        "din kommun.\n"
        "- De synpunkter, frågor och ändringsförslag du skriver, med tidigare versioner, och "
        "vilka synpunkter du instämmer i.\n"
        "- Anmälningar du gör av andras synpunkter.\n"
        "- Vilka samråd du följer, dina notiser och den e-post som skickats till dig.\n"
        "- Ditt språkval och om du vill ha e-post.\n"
        "- En logg över vad handläggare och administratörer har gjort, till exempel beslut "
        "om granskning.\n\n"
        "Din IP-adress används en kort stund för att begränsa antalet inloggningsförsök. Den "
        "sparas inte i databasen."
    ),
    "recipients": (
        "Publicerade synpunkter visas för alla besökare och ingår i öppna data, men aldrig "
        "din e-postadress. Regionens handläggare och administratörer ser de uppgifter de "
        "behöver för sitt arbete.\n\n"
        "Inkomna synpunkter är allmänna handlingar. De kan lämnas ut till den som begär det "
        "enligt offentlighetsprincipen, efter en sekretessprövning.\n\n"
        "[Ange de personuppgiftsbiträden som behandlar uppgifter för regionens räkning, till "
        "exempel driftleverantör och e-posttjänst, och om uppgifter förs över till ett land "
        "utanför EU/EES.]"
    ),
    "retention_note": (
        "Synpunkter som lämnats i ett samråd är allmänna handlingar. De bevaras eller gallras "
        "enligt arkivlagen (1990:782) och regionens dokumenthanteringsplan, även om du "
        "avslutar ditt konto. Dina kontouppgifter sparas så länge du har ett konto."
    ),
    "rights": (
        "Du har rätt att:\n\n"
        "- få veta vilka personuppgifter vi behandlar om dig och få en kopia av dem,\n"
        "- få felaktiga uppgifter rättade,\n"
        "- få uppgifter raderade när de inte längre behövs och inte måste bevaras enligt "
        "arkivlagen,\n"
        "- begära att behandlingen begränsas,\n"
        "- invända mot behandlingen,\n"
        "- få ut de uppgifter du själv har lämnat i ett maskinläsbart format "
        "(dataportabilitet).\n\n"
        "Kontakta dataskyddsombudet om du vill använda någon av dina rättigheter."
    ),
}

ACCESSIBILITY_DEFAULTS = {
    "organisation": "[Regionens namn]",
    "status": "partial",
    "gaps": (
        "- Innehåll som regionen själv laddar upp, till exempel utkast i Word-format, "
        "kontrolleras inte automatiskt. Rubriknivåer, tabeller och länktexter blir lika "
        "tillgängliga som i originalet.\n"
        "- Ändringsförslag visas som borttagna och tillagda ord. Hur markeringarna läses upp "
        "beror på skärmläsaren.\n"
        "- Handläggarnas verktyg för analys och sammanställning har inte prövats med "
        "skärmläsare lika noga som de sidor som alla besökare når.\n"
        "- Webbplatsen har inte granskats av någon extern part."
    ),
    "report": (
        "Om du upptäcker problem som inte beskrivs på den här sidan, eller om du behöver "
        "innehåll i ett annat format, kontakta [e-postadress och telefonnummer]. Vi svarar "
        "inom [antal] arbetsdagar."
    ),
    "assessment": (
        "Redogörelsen bygger på den granskning som gjorts av Consult, den plattform som "
        "webbplatsen använder: automatiska kontroller med verktyget axe på de sidor som "
        "besökare når, test med enbart tangentbord och kontroll av att sidorna fungerar i "
        "390 pixlars bredd. [Beskriv regionens egen granskning och när den gjordes.]"
    ),
}
DEFAULTS = {PRIVACY: PRIVACY_DEFAULTS, ACCESSIBILITY: ACCESSIBILITY_DEFAULTS}
