"""Reference data shipped under data/reference: authorities, statistical neighbours, population.

The files are copies of real published data and keep their quirks (byte-order marks, stray
spaces, reorganised ONS codes); everything is cleaned here, on load, never in the files.
"""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
REFERENCE_DIR = DATA_DIR / "reference"

# ONS county codes that published files still carry for authorities reorganised since;
# the DfE 3-digit code did not change, which is why everything joins on it.
RETIRED_ONS_CODES = {"E10000002": "825", "E10000023": "815", "E10000027": "933"}

CLOSENESS_LABELS = ("Extremely close", "Very close", "Close", "Somewhat close", "Not close")


@dataclass(frozen=True)
class Authority:
    code: str
    ons_code: str
    name: str
    region_code: str
    region_name: str


def _read_csv(name: str) -> pd.DataFrame:
    frame = pd.read_csv(REFERENCE_DIR / name, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    frame.columns = [column.strip() for column in frame.columns]
    return frame.apply(lambda column: column.str.strip())


def _name_key(text: str) -> str:
    """Names compare without case, repeated spaces or the '&'/'and' difference."""
    return " ".join(re.sub(r"&", " and ", str(text)).lower().split())


@cache
def authorities() -> dict[str, Authority]:
    """The 153 English authorities keyed by DfE 3-digit code, in name order."""
    frame = _read_csv("local_authorities.csv").sort_values("la_name")
    return {
        row.old_la_code: Authority(
            row.old_la_code, row.la_code, row.la_name, row.region_code, row.region_name
        )
        for row in frame.itertuples()
    }


@cache
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for authority in authorities().values():
        table[authority.code] = authority.code
        table[authority.ons_code.upper()] = authority.code
        table[_name_key(authority.name)] = authority.code
    table.update(RETIRED_ONS_CODES)
    return table


def resolve_authority(text: object) -> str | None:
    """The 3-digit code for a 3-digit code, a 9-character ONS code or an exact name."""
    cleaned = " ".join(str(text).split())
    if re.fullmatch(r"\d{3}(\.0+)?", cleaned):
        cleaned = cleaned[:3]
    lookup = _lookup()
    return lookup.get(cleaned.upper()) or lookup.get(_name_key(cleaned))


# How councils write their own names around the name DfE lists ("London Borough of Lewisham", "Durham County
# Council", "LB Lewisham"): taken off before a near-miss name is matched, never when resolving exactly.
_COUNCIL_PREFIXES = re.compile(r"^(the |london borough of |royal borough of |metropolitan borough of |borough of "
                               r"|city and county of |county of |city of |council of the |lb |rb |lbo )+")
_COUNCIL_SUFFIXES = re.compile(r"( metropolitan borough council| metropolitan district council| borough council"
                               r"| district council| county council| city council| council| unitary authority)+$")


def _plain_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", str(text).lower().replace("&", " and ")).split())


def suggest_authorities(text: str, most: int = 3) -> list[str]:
    """Authority names a near-miss may mean: names it starts or whose words it holds ('Richmond' ->
    'Richmond upon Thames'), also once a council's own wording is taken off ('Durham County Council' ->
    'County Durham', 'LB Lewisham' -> 'Lewisham'), else names close in spelling ('Camdn' -> 'Camden')."""
    written = _plain_key(text)
    if not written:
        return []
    names = [authority.name for authority in authorities().values()]
    keys = {name: _plain_key(name) for name in names}
    for key in dict.fromkeys([written, _COUNCIL_SUFFIXES.sub("", _COUNCIL_PREFIXES.sub("", written)).strip()]):
        words = set(key.split())
        containing = [name for name in names
                      if key and (keys[name].startswith(key) or (len(key) >= 4 and words <= set(keys[name].split())))]
        if containing:
            return sorted(containing, key=len)[:most]
    close = difflib.get_close_matches(written, list(keys.values()), n=most, cutoff=0.75)
    return [name for value in close for name in names if keys[name] == value][:most]


def not_an_authority(text: str) -> str:
    """The one-line reason for a name that is no English authority, with a "did you mean" where one is near."""
    suggestions = [f"'{name}'" for name in suggest_authorities(text)]
    hint = f" (did you mean {' or '.join(suggestions)}?)" if suggestions else ""
    return f"'{text}' is not an English authority{hint}"


def authority_name(code: str) -> str:
    return authorities()[code].name


def region_members(region_code: str) -> list[str]:
    return [a.code for a in authorities().values() if a.region_code == region_code]


@cache
def statistical_neighbours() -> dict[str, list[tuple[str, str]]]:
    """For each authority, its 10 DfE statistical neighbours (code, closeness), nearest first."""
    frame = _read_csv("statistical_neighbours_2025.csv")
    labels = {label.lower(): label for label in CLOSENESS_LABELS}
    neighbours: dict[str, list[tuple[str, str]]] = {}
    for row in frame.to_dict("records"):
        neighbours[row["old_la_code"]] = [
            (row[f"SN_{i}"], labels.get(_name_key(row[f"SN_{i}P"]), row[f"SN_{i}P"]))
            for i in range(1, 11)
            if row.get(f"SN_{i}")
        ]
    return neighbours


@cache
def population_0_17() -> pd.DataFrame:
    """ONS mid-year estimates of children aged 0-17: columns la_code, year, population."""
    frame = _read_csv("population_0_17.csv")
    frame = frame[frame["geographic_level"] == "Local authority"]
    codes = frame["old_la_code"].where(frame["old_la_code"] != "", frame["new_la_code"].map(resolve_authority))
    return pd.DataFrame(
        {
            "la_code": codes,
            "year": frame["time_period"].astype(int),
            "population": pd.to_numeric(frame["population_estimate"].str.replace(",", ""), errors="coerce"),
        }
    ).dropna().reset_index(drop=True)


@cache
def _population_by_authority() -> dict[str, list[tuple[int, int]]]:
    table: dict[str, list[tuple[int, int]]] = {}
    for row in population_0_17().sort_values("year").itertuples():
        table.setdefault(row.la_code, []).append((row.year, int(row.population)))
    return table


def population_for(la_code: str, year: int) -> int | None:
    """Children aged 0-17 in the latest mid-year estimate not after `year` (else the earliest)."""
    estimates = _population_by_authority().get(la_code)
    if not estimates:
        return None
    position = bisect.bisect_right(estimates, (year, float("inf")))
    return estimates[max(position - 1, 0)][1]


@cache
def pupils_by_ethnicity() -> pd.DataFrame:
    """School census headcount of pupils by ethnicity (DfE's 19 categories with Unclassified, no Total) for each
    authority: columns la_code, census_year (the January of the census: 2022 for 2021/22), ethnicity, headcount.
    Pupils are counted where their school is, not where they live."""
    # Four columns of a 3 MB file: read only those, and clean only them.
    frame = pd.read_csv(DATA_DIR / "published" / PUPILS_BY_ETHNICITY_FILE, dtype=str, encoding="utf-8-sig",
                        keep_default_na=False,
                        usecols=["time_period", "geographic_level", "old_la_code", "ethnicity", "headcount"])
    frame = frame.apply(lambda column: column.str.strip())
    frame = frame[(frame["geographic_level"] == "Local authority") & (frame["ethnicity"] != "Total")]
    return pd.DataFrame({
        "la_code": frame["old_la_code"].to_numpy(),
        "census_year": frame["time_period"].str[:4].astype(int).to_numpy() + 1,
        "ethnicity": frame["ethnicity"].to_numpy(),
        "headcount": pd.to_numeric(frame["headcount"], errors="coerce").to_numpy(),
    }).reset_index(drop=True)


PUPILS_BY_ETHNICITY_FILE = "spc_pupils_ethnicity_la_totals_201516_to_202122.csv"


@cache
def _population_by_area() -> dict[str, list[tuple[int, int]]]:
    """Children aged 0-17 for England ('England'), each region (region code) and each authority."""
    frame = _read_csv("population_0_17.csv")
    codes = frame["old_la_code"].where(frame["old_la_code"] != "", frame["new_la_code"].map(resolve_authority))
    codes = codes.where(frame["geographic_level"] == "Local authority", frame["region_code"])
    codes = codes.where(frame["geographic_level"] != "National", "England")
    table: dict[str, list[tuple[int, int]]] = {}
    numbers = pd.to_numeric(frame["population_estimate"].str.replace(",", ""), errors="coerce")
    for code, year, population in sorted(zip(codes, frame["time_period"].astype(int), numbers, strict=True)):
        if code and population == population:
            table.setdefault(code, []).append((year, int(population)))
    return table


def area_population(code: str, year: int) -> int | None:
    """As `population_for`, for an authority (3-digit code), a region (ONS region code) or 'England'."""
    estimates = _population_by_area().get(code)
    if not estimates:
        return None
    position = bisect.bisect_right(estimates, (year, float("inf")))
    return estimates[max(position - 1, 0)][1]
