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


@lru_cache(maxsize=65536)
def is_first_name(word: str) -> bool:
    word = word.removesuffix("'s").removesuffix("’s")
    if len(word) < 2 or not word.isalpha():
        return False
    return _detector().get_gender(word) != "unknown"
