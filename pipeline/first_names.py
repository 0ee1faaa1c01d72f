"""Is a word a known first name? From gender-guesser's name dictionary (Jörg Michael's ``nam_dict``:
about 45,000 first names from 54 countries, spelled as those countries do), a public list
nobody on this project wrote. Used to tell a person NER mislabelled as an organisation or a
place ("Please forward this to Cornelius Thornbury") from a company or a city."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _detector():
    import gender_guesser.detector as gender

    return gender.Detector(case_sensitive=False)


# In the dictionary as someone's name somewhere, but in English text an ordinary word or a
# title: "The Princess Royal" is neither first name nor surname.
NOT_FIRST_NAMES = frozenset(
    """the a an and or but so in on at to of for by my no yes will may can june april august
    prince princess king queen lord lady sir dame saint st general major captain doctor judge
    bishop pope royal baby love honey sugar sunny happy lucky young major page guy""".split()
)


@lru_cache(maxsize=65536)
def is_first_name(word: str) -> bool:
    word = word.removesuffix("'s").removesuffix("’s")
    if len(word) < 2 or not word.isalpha() or word.lower() in NOT_FIRST_NAMES:
        return False
    return _detector().get_gender(word) != "unknown"
