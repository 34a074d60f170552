"""Issue 17, item 1, replayed: anonymous sharing holds against another member of the network.

A member (another borough's DSCO) holds everything the dashboard shows them: the named authorities'
exact counts, public populations and the network's membership. Each attack first succeeds on a
deliberately naive output (what the dashboard showed before: the kept control), then finds nothing
in what the member is shown now.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from support import return_csv

from benchmark import service
from benchmark.access import rights
from benchmark.access.rights import User
from benchmark.analysis import discussion, engine, summary
from benchmark.db import Database, close_database, open_database
from benchmark.definitions.metrics import METRICS
from benchmark.definitions.standard import columns
from benchmark.outputs import exports, packs
from benchmark.periods import Period

PERIOD = Period.parse("2025-26 Q1")
HIDDEN = frozenset({"203", "206", "208"})  # Greenwich, Islington, Lambeth share anonymously
ADVICE = {  # la_code: (returned, within 6 weeks); Lewisham (209) has not returned advice
    "205": (50, 45), "202": (50, 44), "207": (50, 43), "210": (50, 42), "211": (50, 41), "203": (46, 37),
    "204": (50, 39), "208": (50, 38), "212": (50, 37), "213": (50, 36), "206": (200, 10),
}
WAITING = {"202": 12, "203": 30, "204": 7, "205": 9, "206": 41, "207": 15, "208": 22, "209": 11, "210": 14,
           "211": 8, "212": 19, "213": 10}
NAMED_OUTLIER = {"213": {"adv_audited": 48}}  # Wandsworth audits nearly all its advice: a named item
COUNT = re.compile(r"\((?:count (\d[\d,]*)|(\d[\d,]*) of (\d[\d,]*))\)")


@dataclass(frozen=True)
class Network:
    db: Database
    member: User  # Hackney's DSCO
    letters: dict[str, str]  # code -> letter, as the member sees them


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    path = tmp_path_factory.mktemp("member_attacks") / "network.duckdb"
    db = open_database(path)
    operator = rights.local_operator("test")
    advice = [{**_row("advice", code), "adv_requests": returned + 5, "adv_returned": returned,
               "adv_returned_6wk": within, "adv_late_exception": 0, **NAMED_OUTLIER.get(code, {})}
              for code, (returned, within) in ADVICE.items()]
    breaks = [{**_row("short_breaks", code), "sb_children_waiting": waiting} for code, waiting in WAITING.items()]
    for theme, rows in (("advice", advice), ("short_breaks", breaks)):
        assert service.store(db, operator, f"{theme}.csv", return_csv(theme, rows),
                             today=PERIOD.end.replace(year=PERIOD.end.year + 1)).stored
    chair = rights.add_member(db, operator, "chair@london.gov.uk", "chair", None)
    member = rights.add_member(db, chair, "dsco@hackney.gov.uk", "dsco", "204")
    for code in HIDDEN:
        rights.set_sharing(db, chair, code, "anonymous")
    yield Network(db, member, service.letters_for(db, member, str(PERIOD)))
    close_database(path)


def _row(theme: str, code: str) -> dict:
    return {**{spec.name: spec.example for spec in columns(theme)}, "la_code": code, "period": PERIOD.label}


# --------------------------------------------------------------------------- the attacks


def counts_in_sentences(frame: pd.DataFrame, letters: set[str]) -> dict[str, set[tuple[int, ...]]]:
    """Counts the sentences about a lettered authority quote: "(count 25)" or "(10 of 200)"."""
    found: dict[str, set[tuple[int, ...]]] = {}
    for name, sentence in zip(frame["la_name"], frame["sentence"], strict=True):
        match = COUNT.search(sentence) if name in letters else None
        if match:
            found.setdefault(name, set()).add(tuple(int(group.replace(",", "")) for group in match.groups() if group))
    return found


def median_attack(table: pd.DataFrame, letters: set[str]) -> dict[str, float]:
    """A network median is some authority's value: with an odd number reporting, the letter holding the
    middle rank alone has the median as its exact value."""
    values = table[table["value"].notna()]
    median = pd.to_numeric(values["network_median"], errors="coerce").dropna()
    if len(values) % 2 == 0 or median.empty:
        return {}
    middle = values[values["rank"] == (len(values) + 1) / 2]
    if len(middle) != 1 or middle["la_name"].iloc[0] not in letters:
        return {}
    return {middle["la_name"].iloc[0]: float(median.iloc[0])}


def mean_attack(table: pd.DataFrame, letters: set[str]) -> float | None:
    """n x the network mean minus the named values: the sum of the hidden values."""
    mean = pd.to_numeric(table["network_mean"], errors="coerce").dropna()
    values = table[table["value"].notna()]
    if mean.empty:
        return None
    named = values.loc[~values["la_name"].isin(letters), "value"].astype(float).sum()
    return float(mean.iloc[0]) * len(values) - named


def exact(code: str) -> float:
    returned, within = ADVICE[code]
    return within / returned * 100


# --------------------------------------------------------------------------- discussion list and summary


def test_discussion_sentences_quote_a_lettered_authoritys_counts_in_the_naive_list(network: Network) -> None:
    items = discussion.find_items(network.db, PERIOD, names=network.letters)
    naive = discussion.as_frame(items)  # the member's list before: figures for everyone
    found = counts_in_sentences(naive, set(network.letters.values()))
    # Its child count (with the public population, its name) and its advice denominator.
    assert (WAITING["206"],) in found[network.letters["206"]]
    assert any(count[-1] == ADVICE["206"][0] for count in found[network.letters["206"]])
    # A named authority's sentence quotes the network rate, pooled over the letters' counts too.
    named = naive[~naive["la_name"].isin(set(network.letters.values()))]
    assert named["sentence"].str.contains("against a network rate").any()


def test_members_discussion_list_quotes_no_figures_or_strength_for_a_letter(network: Network) -> None:
    pack = service.discussion(network.db, network.member, packs.PackRequest(PERIOD))
    letters = set(network.letters.values())
    everything = pack.discussion_all
    lettered = everything[everything["la_name"].isin(letters)]
    assert len(lettered), "the outlier sharing anonymously is still an item, named by its letter"
    assert counts_in_sentences(everything, letters) == {}
    assert not lettered["sentence"].str.contains("against a|p [=<]", regex=True).any()  # no value, no rate
    assert lettered["strength"].isna().all()
    named = everything[~everything["la_name"].isin(letters)]
    assert len(named) and named["strength"].notna().all()  # named authorities keep theirs
    assert not named["sentence"].str.contains("against a network").any()  # no pooled rate holding a letter


def test_naive_summary_quotes_a_lettered_authoritys_count(network: Network) -> None:
    naive = summary.network_summary(network.db, PERIOD, names=network.letters)
    sentences = [text for theme in naive.themes for text in theme.items]
    frame = pd.DataFrame({"la_name": [text.split(":")[0] for text in sentences], "sentence": sentences})
    assert counts_in_sentences(frame, set(network.letters.values()))


def test_members_summary_quotes_no_letter_figures_and_pools_only_named_authorities(network: Network) -> None:
    overview = service.network_summary(network.db, network.member, PERIOD)
    letters = set(network.letters.values())
    for theme in overview.themes:
        for text in theme.items:
            if text.split(":")[0] in letters:
                assert not re.search(r"against a|\(count|\d of \d", text), text
    waiting = next(entry for theme in overview.themes for entry in theme.metrics
                   if entry.metric.id == "sb_waiting_per_10k")
    named = [code for code in WAITING if code not in HIDDEN]
    rows = engine.compare(network.db, PERIOD, "sb_waiting_per_10k")
    rows = rows[rows["la_code"].isin(named)]
    assert waiting.left_out == len(HIDDEN)
    assert waiting.value == pytest.approx(rows["numerator"].sum() / rows["denominator"].sum() * 10_000)
    table = overview.table()
    reported = table[~table["This quarter"].str.contains(r"\(0 of")]  # transitions: nobody returned them
    assert len(reported) == 4 and reported["This quarter"].str.contains("3 sharing anonymously left out").all()


# --------------------------------------------------------------------------- mean and median


def naive_member_table(network: Network, metric_id: str) -> pd.DataFrame:
    """The member's comparison before: letters' rows rounded, but network averages and exact ranks kept
    whenever two or more letters reported."""
    table = engine.compare(network.db, PERIOD, metric_id)
    lettered = table["la_code"].isin(HIDDEN).to_numpy()
    table = exports.mask_lettered(table, METRICS[metric_id], lettered)
    return table.assign(la_name=table["la_code"].map(network.letters).fillna(table["la_name"]))


def test_median_and_mean_solve_hidden_values_in_the_naive_table(network: Network) -> None:
    letters = set(network.letters.values())
    naive = naive_member_table(network, "adv_6wk_pct")
    solved = median_attack(naive, letters)
    assert solved == {network.letters["203"]: pytest.approx(exact("203"))}
    shown = naive.loc[naive["la_name"] == network.letters["203"], "value"].iloc[0]
    assert shown != pytest.approx(exact("203"))  # the attack learns more than the rounded value
    assert mean_attack(naive, letters) == pytest.approx(sum(exact(code) for code in HIDDEN))


def test_members_table_gives_no_mean_median_or_exact_place(network: Network) -> None:
    letters = set(network.letters.values())
    table = service.compare(network.db, network.member, PERIOD, "adv_6wk_pct")
    assert set(table["la_name"]) & letters == {network.letters[code] for code in HIDDEN}
    assert median_attack(table, letters) == {}
    assert mean_attack(table, letters) is None
    assert table[["network_median", "network_mean", "diff_from_median"]].isna().all().all()
    # Positions among the values as shown: no letter is placed inside a tie with a named value.
    shown = pd.to_numeric(table["value"], errors="coerce")
    for value, rank in zip(shown, table["rank"], strict=True):
        if value == value:
            assert rank == 1 + int((shown > value).sum())
    card = service.scorecard(network.db, network.member, "204", PERIOD)
    assert (card.loc[card["metric_id"] == "adv_6wk_pct", "Network median"] == "-").all()
    pack = service.build_pack(network.db, network.member, packs.PackRequest(PERIOD, authority_pages=("204",)))
    page = pack.authority_pages[0][1]
    assert (page.loc[page["Metric"] == METRICS["adv_6wk_pct"].name, "Network median"] == "-").all()
    series = service.series(network.db, network.member, "adv_6wk_pct", "204", PERIOD)
    assert series.loc[series["period_index"] == PERIOD.index, "network_median"].isna().all()


def test_the_same_letters_reach_no_hidden_value_across_metrics(network: Network) -> None:
    """Every member table of the quarter, set side by side, gives no average holding a hidden value."""
    for metric_id in METRICS:
        table = service.compare(network.db, network.member, PERIOD, metric_id)
        if table["value"].notna().any():
            assert np.isnan(pd.to_numeric(table["network_mean"], errors="coerce")).all(), metric_id
