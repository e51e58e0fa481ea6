"""The words people write for a profile's values and a roster's columns: one table for every way in.

Profile files, the JSON API, the roster CSV and the interview all read enumerations
(sex, goal, background, circuit, race result, yes/no) and CSV headers through this
module, so ``Mujer``, ``DNF``, ``Golden Trail Series`` or a column headed ``D+ (m)``
mean the same thing wherever they are written. Words are compared folded: case,
accents, hyphens, underscores and repeated spaces do not matter. The lists hold the
canonical names, the questionnaire's labels, common abbreviations and the Spanish and
Basque words a club in the Basque Country writes; ``tests/test_vocabulary.py`` checks
that every questionnaire label is here.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable


def fold(text: object) -> str:
    """``" Cross-Country "``, ``cross_country`` and ``CROSS COUNTRY`` fold to ``cross country``."""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.lower().replace("’", "'").replace("‘", "'")
    s = re.sub(r"[\s_\-/]+", " ", s)
    return s.strip(" .")


#: Values of each enumerated field: canonical value -> the words that mean it.
ENUMS: dict[str, dict[str, tuple[str, ...]]] = {
    "sex": {
        "F": ("f", "female", "woman", "women", "women's", "womens", "w", "mujer", "mujeres", "femenino",
              "femenina", "fem", "dama", "emakumea", "emakume", "emakumezkoa", "femme"),
        "M": ("m", "male", "man", "men", "men's", "mens", "hombre", "hombres", "varon", "masculino",
              "masculina", "masc", "h", "gizona", "gizon", "gizonezkoa", "homme"),
        "X": ("x", "neither", "neither / prefer not to say", "prefer not to say", "non binary", "nonbinary",
              "other", "otro", "otra", "bestelakoa"),
    },
    "goal": {
        "finish": ("finish", "finisher", "finish: through every barrier, inside 8 h", "terminar", "acabar",
                   "finalizar", "llegar", "amaitu", "bukatu", "helmugaratu"),
        "compete": ("compete", "competitive", "compete: among the first quarter of my sex", "competir",
                    "competitivo", "competitiva", "lehiatu", "lehiakorra"),
        "podium": ("podium", "podium: the first three of my sex", "podio", "podioa", "top 3", "top three"),
    },
    "background": {
        "cross_country": ("cross country", "cross", "xc", "campo a traves", "cross country running", "kros",
                          "krosa"),
        "skimo": ("skimo", "ski mountaineering", "ski mo", "ski alpinism", "esqui de montana", "skimo racing",
                  "esqui alpinismo", "eskialpinismoa", "mendi eskia"),
        "road": ("road", "road running", "asfalto", "carretera", "ruta"),
        "road_vertical": ("road vertical", "road running plus vertical races", "road + vertical",
                          "road and vertical", "asfalto y verticales", "carretera y verticales"),
        "short_mountain": ("short mountain", "short mountain races", "short mountain races (up to about 45 km)",
                           "mountain running", "carreras de montana", "carreras de montana cortas",
                           "carreras por montana", "trail corto", "mendi lasterketak"),
        "ultra_only": ("ultra only", "ultras only", "ultra", "ultras", "solo ultras", "ultra trail"),
        "track": ("track", "pista", "atletismo en pista", "track and field"),
        "other": ("other", "something else", "otro", "otros", "otra", "bestelakoa"),
    },
    "circuit": {
        "golden_trail_series": ("golden trail series", "golden trail world series", "golden trail", "gtws",
                                "gts", "golden"),
        "skyrunner_world_series": ("skyrunner world series", "skyrunning world series", "sws", "skyrunner",
                                   "skyrunning"),
        "national_championship": ("national championship", "national", "nationals", "campeonato nacional",
                                  "campeonato de espana", "nacional", "estatal"),
        "other": ("other", "none", "none of these", "ninguno", "ninguna", "otro", "otra", "bat ere ez"),
    },
    "status": {
        "finished": ("finished", "finish", "finisher", "ok", "terminado", "terminada", "acabado", "acabada",
                     "finalizado", "finalizada", "llegado", "amaitua", "helmugaratua"),
        "dnf": ("dnf", "did not finish", "abandono", "abandonado", "abandonada", "retirado", "retirada",
                "retired", "abandon", "erretiratua", "ez amaitua"),
        "dns": ("dns", "did not start", "no salio", "no presentado", "no presentada", "ez atera"),
    },
    "yes_no": {
        "yes": ("yes", "y", "true", "t", "1", "si", "s", "bai", "oui", "o", "ja", "x", "on"),
        "no": ("no", "n", "false", "f", "0", "ez", "non", "nein", "off"),
    },
}
#: Profile and race fields read through :data:`ENUMS` (``background`` is a list of them).
ENUM_FIELDS = {"sex": "sex", "goal": "goal", "background": "background", "circuit": "circuit",
               "status": "status"}

_INDEX: dict[str, dict[str, str]] = {
    field: {fold(w): value for value, words in table.items() for w in (value, *words)}
    for field, table in ENUMS.items()
}
#: Values a one-letter word means in Spanish against English: ``M`` is *men* in an English file
#: and *mujer* in a file that writes ``H`` for *hombre*.
SEX_LETTERS_ES = {"h": "M", "m": "F", "f": "F", "x": "X"}


class AmbiguousValue(ValueError):
    """A value with two readings: the interview asks which, the batch and files flag it."""

    def __init__(self, message: str, readings: Iterable[object] = ()):
        super().__init__(message)
        self.readings = tuple(readings)


def canonical(field: str, text: object, *, sex_convention: str | None = None) -> str:
    """The canonical value for ``text`` in ``field``, or ValueError naming the accepted words.

    ``sex_convention="es"`` reads one-letter sexes the Spanish way (``H`` hombre, ``M`` mujer),
    as a roster column that also holds ``H`` does.
    """
    if text in ENUMS[field] and not (field == "sex" and sex_convention):
        return text  # already canonical (most values from files and programs): no folding
    key = fold(text)
    if field == "sex" and sex_convention == "es" and key in SEX_LETTERS_ES:
        return SEX_LETTERS_ES[key]
    table = _INDEX[field]
    if key in table:
        return table[key]
    words = ", ".join(ENUMS[field])
    raise ValueError(f"{str(text).strip()!r} is not a {field.replace('_', '/')} this tool knows: use one of {words}"
                     + _suggest(field, key))


def by_prefix(field: str, text: object, extra: dict[str, str] | None = None) -> list[str]:
    """The values one of whose words starts with ``text`` (for the interview's completion)."""
    key = fold(text)
    if not key:
        return []
    words = dict(_INDEX[field])
    for w, v in (extra or {}).items():
        words[fold(w)] = v
    if key in words:
        return [words[key]]
    hits = []
    for w, v in words.items():
        if (w.startswith(key) or any(part.startswith(key) for part in w.split())) and v not in hits:
            hits.append(v)
    return hits


def _suggest(field: str, key: str) -> str:
    if len(key) < 2:
        return ""
    hits = by_prefix(field, key)
    return f" (did you mean {' or '.join(hits)}?)" if 0 < len(hits) <= 2 else ""


def parse_yes_no(text: object) -> bool:
    """Yes/no in English, Spanish, Basque, French and German words, or 1/0, or a bool."""
    if isinstance(text, bool):
        return text
    if isinstance(text, int) and text in (0, 1):
        return bool(text)
    key = fold(text)
    value = _INDEX["yes_no"].get(key)
    if value is None:
        raise ValueError(f"expected yes or no, got {str(text).strip()!r}")
    return value == "yes"


# =========================================================================== CSV headers

#: Column headers: canonical field -> other headers for it (English and Spanish at least).
#: Headers are folded and stripped of a unit in brackets or a trailing unit word first.
HEADERS: dict[str, tuple[str, ...]] = {
    "runner_id": ("id", "runner", "runner id", "athlete id", "profile id", "id corredor", "corredor id",
                  "codigo", "dorsal id"),
    "name": ("runner name", "athlete", "full name", "nombre", "nombre y apellidos", "corredor", "corredora",
             "izena"),
    "sex": ("sexo", "gender", "genero", "sexua", "reference values", "categoria sexo"),
    "age": ("edad", "adina", "years"),
    "body_mass_kg": ("body mass", "weight", "mass", "peso", "masa corporal", "pisua"),
    "goal": ("objetivo", "helburua", "target"),
    "goal_time": ("goal time", "target time", "tiempo objetivo", "objetivo de tiempo"),
    "background": ("disciplina", "disciplinas", "procedencia", "origen deportivo", "sport background"),
    "vk_time": ("vk", "vertical km", "vertical kilometre", "vertical kilometer", "vertical km time", "km vertical",
                "kilometro vertical", "tiempo vk", "vk time"),
    "uphill_test_vam": ("uphill test", "uphill vam", "vam", "test vam", "uphill test climbing rate",
                        "test de subida", "velocidad ascensional"),
    "flat_10k_time": ("10k", "10 km", "10k time", "10 km time", "flat 10k", "flat 10k time", "tiempo 10k",
                      "10k llano", "marca 10k"),
    "max_hr": ("max hr", "maximum heart rate", "hr max", "fc max", "fcmax", "frecuencia cardiaca maxima"),
    "threshold_hr": ("threshold hr", "threshold heart rate", "lthr", "fc umbral", "umbral"),
    "aet_hr": ("aet", "aet hr", "aerobic threshold hr", "aerobic threshold heart rate", "fc aerobica",
               "umbral aerobico"),
    "squat_1rm_kg": ("squat", "squat 1rm", "back squat", "back squat 1rm", "sentadilla", "sentadilla 1rm"),
    "single_leg_calf_raises": ("calf raises", "heel raises", "single leg heel raises", "single leg calf raises",
                               "elevaciones de gemelo"),
    "cmj_cm": ("cmj", "countermovement jump", "salto cmj", "salto con contramovimiento"),
    "downhill_confidence": ("downhill confidence", "confianza bajando", "confianza en bajada"),
    "weekly_km": ("weekly km", "weekly distance", "km week", "km per week", "km/week", "km semana",
                  "km semanales", "kilometros semanales", "volumen semanal"),
    "weekly_dplus_m": ("weekly d+", "weekly dplus", "weekly climbing", "weekly elevation", "weekly elevation gain",
                       "d+ week", "d+ per week", "d+ semanal", "desnivel semanal", "desnivel positivo semanal"),
    "strength_sessions_per_week": ("strength sessions", "strength sessions per week", "sesiones de fuerza",
                                   "fuerza por semana"),
    "uphill_sessions_per_week": ("uphill sessions", "uphill sessions per week", "sesiones de subida",
                                 "cuestas por semana"),
    "downhill_sessions_per_week": ("downhill sessions", "downhill sessions per week", "sesiones de bajada"),
    "longest_climb_m": ("longest climb", "subida mas larga", "mayor subida"),
    "longest_run_time": ("longest run", "longest run time", "tirada mas larga", "salida mas larga"),
    "uses_poles": ("poles", "uses poles", "bastones", "usa bastones", "makilak"),
    "crowd_composure": ("composure in a crowd", "crowd composure", "calma en grupo"),
    "pacing_discipline": ("pacing discipline", "pacing", "gestion del ritmo"),
    "bad_weather_comfort": ("bad weather", "bad weather comfort", "mal tiempo"),
    "national_selection": ("national team", "national selection", "seleccion nacional", "seleccion"),
    "elite_invite": ("elite invitation", "elite invite", "invitacion elite", "invitacion"),
    "sponsor_entry": ("sponsor entry", "sponsor", "patrocinador", "dorsal de patrocinador"),
    "zegama_finishes": ("zegama finishes", "finishes at zegama", "zegamas terminadas", "veces terminada zegama"),
    "every_edition_finisher": ("every edition", "every edition finisher", "todas las ediciones"),
    "zegama_resident": ("resident of zegama", "zegama resident", "resident", "vecino de zegama", "empadronado"),
    "unsuccessful_draws": ("earlier draws", "unsuccessful draws", "sorteos sin plaza", "sorteos anteriores"),
    "itra_index": ("itra", "itra index", "itra score", "indice itra"),
    "utmb_index": ("utmb", "utmb index", "indice utmb", "performance index"),
    # race-history columns
    "race": ("race name", "event", "carrera", "prueba", "nombre carrera", "lasterketa"),
    "date": ("race date", "fecha", "data", "eguna"),
    "distance_km": ("distance", "distancia", "km", "kms", "race distance", "distantzia"),
    "dplus_m": ("d+", "dplus", "d plus", "climb", "climbing", "ascent", "elevation gain", "elevation",
                "total ascent", "desnivel", "desnivel positivo", "desnivel +", "denivele", "desnibela"),
    "circuit": ("circuito", "series", "serie", "circuitua"),
    "position": ("overall position", "place", "rank", "pos", "posicion", "puesto", "clasificacion", "postua"),
    "finishers": ("finishers overall", "finishers", "classified", "llegados", "clasificados", "finalizados"),
    "position_sex": ("position in your sex", "sex position", "gender position", "category position",
                     "posicion sexo", "puesto sexo", "posicion categoria"),
    "finishers_sex": ("finishers of your sex", "sex finishers", "gender finishers", "llegados sexo",
                      "clasificados sexo"),
    "time": ("finish time", "race time", "result time", "tiempo", "tiempo final", "marca", "denbora"),
    "winner_time": ("winner's time", "winners time", "winning time", "winner time", "tiempo ganador",
                    "tiempo del ganador", "irabazlearen denbora"),
    "status": ("result", "resultado", "estado", "finish status", "egoera"),
}
_UNIT_WORDS = ("m", "km", "kg", "min", "bpm", "h", "cm", "reps", "m/h", "metres", "meters", "metros", "years",
               "anos", "hh:mm:ss", "h:mm:ss", "mm:ss")


def header_key(name: str) -> str:
    """A header as it is matched: folded, without a unit in brackets or a trailing unit word."""
    s = fold(name.replace("\ufeff", ""))
    s = re.sub(r"\s*[\(\[][^\)\]]*[\)\]]\s*", " ", s).strip()
    for unit in _UNIT_WORDS:
        if s.endswith(" " + unit) and not s[: -len(unit) - 1].strip().isdigit():
            s = s[: -len(unit) - 1].strip()
            break
    return s


def header_field(name: str, columns: Iterable[str], mapping: dict[str, str] | None = None) -> str | None:
    """The field a header names among ``columns``: ``mapping`` first (``--columns``), then the
    canonical names and :data:`HEADERS`; ``None`` when nothing matches."""
    allowed = set(columns)
    if mapping:
        for raw, target in mapping.items():
            if header_key(raw) == header_key(name) and target in allowed:
                return target
    key = header_key(name)
    for field in allowed:
        if key == header_key(field) or key == fold(field):
            return field
    for field in allowed:
        if any(key == header_key(h) for h in HEADERS.get(field, ())):
            return field
    return None
