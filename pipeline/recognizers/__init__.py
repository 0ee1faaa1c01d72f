"""chatguard's own recognizers, for the fast detection path (and usable in a Presidio AnalyzerEngine).

Entities, one recognizer per module:

=================  ======================  ====================================================
entity             module                  what
=================  ======================  ====================================================
PL_PESEL           pl_pesel                Polish national ID number (checksum + birth date)
PL_NIP             pl_nip                  Polish tax ID (checksum), optional "PL" prefix
PL_REGON           pl_regon                Polish business number, 9 or 14 digits (checksum)
PL_ID_CARD         pl_id_card              Polish identity card number, "ABA300000" (checksum)
PHONE_NUMBER       pl_phone                Polish phone numbers, +48 optional, context-scored
PHONE_NUMBER       phone_with_context      any country's shape, with a phone word before or after
PHONE_NUMBER       phone_international     +CC numbers, NANP and UK shapes, no numbering-plan check
IBAN_CODE          iban                    IBAN of any country (mod 97), Polish 26-digit NRB
CRYPTO             crypto_bech32           bech32/bech32m Bitcoin addresses, either case (checksum)
STREET_ADDRESS     street_address_pl       "ul. Długa 5/4, 00-950 Warszawa", postcode + city
STREET_ADDRESS     street_address_en       "221B Baker Street", "12 Oak St. Apt 4, ..., DC 20500"
STREET_ADDRESS     street_address_intl     "Koskikatu 25", "6750 Koskikatu 25 Apt. 864 / city / Uruguay 64677", P.O. boxes
URL_PII            url_query               a whole URL whose query or profile path carries PII
CREDIT_CARD        payment_card            any scheme, 12-19 digits, Luhn (12 only with a card word)
EMAIL_ADDRESS      email_any_domain        any dotted domain ("jan@firma.local"), not only public suffixes
PERSON             chat_names              names in chat phrasing: "my name is", "nazywam się"
PERSON             name_gazetteer          a listed first name (any Polish case) + a surname
=================  ======================  ====================================================

Every recognizer:

* is a presidio ``PatternRecognizer`` with class-level ``PATTERNS``, ``CONTEXT`` and
  ``PREFILTER`` (a cheap compiled regex; when it does not ``search()`` the text the
  recognizer cannot match, and the engine may skip it);
* works without ``nlp_artifacts``: ``recognizer.analyze(text, entities=[...], nlp_artifacts=None)``
  for any language; context words are checked by the recognizer itself;
* verifies checksums in ``validate_result`` where the format has one.

Obfuscated e-mail addresses ("anna dot kowalska at wp dot pl") are rewritten by normalisation
before detection; Presidio's e-mail recognizer and ``email_any_domain`` find the result.
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from pipeline.recognizers.chat_names import ChatNameRecognizer
from pipeline.recognizers.crypto_bech32 import CryptoBech32Recognizer
from pipeline.recognizers.email_any_domain import AnyDomainEmailRecognizer
from pipeline.recognizers.iban import IbanRecognizer
from pipeline.recognizers.name_gazetteer import NameGazetteerRecognizer
from pipeline.recognizers.payment_card import PaymentCardRecognizer
from pipeline.recognizers.phone_international import InternationalPhoneRecognizer
from pipeline.recognizers.phone_with_context import ContextPhoneRecognizer
from pipeline.recognizers.pl_id_card import PlIdCardRecognizer
from pipeline.recognizers.pl_nip import PlNipRecognizer
from pipeline.recognizers.pl_pesel import PlPeselRecognizer
from pipeline.recognizers.pl_phone import PlPhoneRecognizer
from pipeline.recognizers.pl_regon import PlRegonRecognizer
from pipeline.recognizers.street_address_en import EnStreetAddressRecognizer
from pipeline.recognizers.street_address_intl import IntlStreetAddressRecognizer
from pipeline.recognizers.street_address_pl import PlStreetAddressRecognizer
from pipeline.recognizers.url_query import UrlQueryRecognizer

__all__ = [
    "AnyDomainEmailRecognizer",
    "ChatNameRecognizer",
    "ContextPhoneRecognizer",
    "CryptoBech32Recognizer",
    "EnStreetAddressRecognizer",
    "IbanRecognizer",
    "IntlStreetAddressRecognizer",
    "InternationalPhoneRecognizer",
    "NameGazetteerRecognizer",
    "PaymentCardRecognizer",
    "PlIdCardRecognizer",
    "PlNipRecognizer",
    "PlPeselRecognizer",
    "PlPhoneRecognizer",
    "PlRegonRecognizer",
    "PlStreetAddressRecognizer",
    "UrlQueryRecognizer",
    "chatguard_recognizers",
]


def chatguard_recognizers(language: str = "en") -> list[EntityRecognizer]:
    """A new instance of every chatguard recognizer, tagged with ``language``.

    Explicit on purpose: adding a module here is the only way to add a recognizer.
    """
    return [
        PlPeselRecognizer(supported_language=language),
        PlNipRecognizer(supported_language=language),
        PlRegonRecognizer(supported_language=language),
        PlIdCardRecognizer(supported_language=language),
        PlPhoneRecognizer(supported_language=language),
        InternationalPhoneRecognizer(supported_language=language),
        ContextPhoneRecognizer(supported_language=language),
        IbanRecognizer(supported_language=language),
        PaymentCardRecognizer(supported_language=language),
        CryptoBech32Recognizer(supported_language=language),
        PlStreetAddressRecognizer(supported_language=language),
        EnStreetAddressRecognizer(supported_language=language),
        IntlStreetAddressRecognizer(supported_language=language),
        UrlQueryRecognizer(supported_language=language),
        AnyDomainEmailRecognizer(supported_language=language),
        ChatNameRecognizer(supported_language=language),
        NameGazetteerRecognizer(supported_language=language),
    ]
