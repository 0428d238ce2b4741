"""The same first name in Belarusian, Russian, Ukrainian and Polish: Вольга is Ольга, Мікіта
is Никита.

Transliteration folding (names.skeleton) already equates spellings of one form (Вольга, Volha;
Святлана, Светлана, Світлана, Swietłana), but not the forms each language gives the name: a
Russian story calls Volha "Ольга". No library at hand maps given names across these languages
(morfeusz2 and pymorphy3 inflect a name but do not translate it; CLDR has no given names), so
this is a small hand-written table of the names whose forms differ in their consonants or first
letter, limited to exact equivalents. Not listed: diminutives (Алесь, Саша), and names whose
other-language partner is itself a distinct name (Belarusian Алена is Russian Елена or Алёна).
"""

from __future__ import annotations

import functools

from ngo.campaigns.safety.words import skeleton

# Each line: one name in Belarusian, Russian, Ukrainian, Polish (where they differ).
_EQUIVALENTS = (
    ("Вольга", "Ольга", "Olga", "Olha"),
    ("Мікіта", "Никита", "Микита", "Nikita"),
    ("Мікалай", "Николай", "Микола", "Mikołaj"),
    ("Мацвей", "Матвей", "Матвій", "Mateusz"),
    ("Алеся", "Олеся"),
    ("Алег", "Олег"),
    ("Аляксандр", "Александр", "Олександр", "Aleksander"),
    ("Аляксей", "Алексей", "Олексій", "Aleksy"),
    ("Андрэй", "Андрей", "Андрій", "Andrzej"),
    ("Кацярына", "Екатерина", "Катерина", "Katarzyna"),
    ("Дзмітрый", "Дмитрий", "Дмитро"),
    ("Уладзімір", "Владимир", "Володимир", "Włodzimierz"),
    ("Яўгенія", "Евгения", "Євгенія", "Eugenia"),
    ("Яўген", "Евгений", "Євген", "Eugeniusz"),
    ("Ганна", "Анна", "Hanna"),
    ("Юрый", "Юрий", "Юрій", "Jerzy"),
    ("Язэп", "Иосиф", "Йосип", "Józef"),
    ("Ягор", "Егор", "Єгор"),
)


@functools.cache
def _by_skeleton() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    for names in _EQUIVALENTS:
        for name in names:
            table.setdefault(skeleton(name), names)
    return table


def equivalents(name: str) -> tuple[str, ...]:
    """The other-language forms of a first name (without the name itself), or ()."""
    names = _by_skeleton().get(skeleton(name), ())
    own = skeleton(name)
    return tuple(n for n in names if skeleton(n) != own)
