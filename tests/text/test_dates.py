import datetime
import re

import numpy as np
import pytest

from glassbox.data import DataLoader
from glassbox.text import dates

NOVEMBER_25 = datetime.date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize("style, expected", [
    ("ordinal_of", "25th of November 2026"),
    ("short_weekday", "Wed, 25 Nov 26"),
    ("us_slash", "11/25/2026"),
    ("us_slash_short", "11/25/26"),
    ("us_long", "November 25, 2026"),
    ("european_dot", "25.11.2026"),
    ("weekday_long", "Wednesday 25 November 2026"),
    ("weekday_us", "Wednesday, November 25, 2026"),
    ("weekday_ordinal", "Wednesday, the 25th of November 2026"),
    ("day_mon_year", "25 Nov 2026"),
    ("mon_day_year", "Nov 25, 2026"),
    ("day_dash_mon", "25-Nov-2026"),
    ("lower_long", "25th november 2026"),
    ("iso", "2026-11-25"),
    ("words", "the twenty-fifth of November two thousand and twenty-six"),
    ("weekday_words", "Wednesday, the twenty-fifth of November, two thousand and twenty-six"),
])
def test_every_format_writes_the_date_as_documented(style, expected):
    assert dates.format_date(NOVEMBER_25, style) == expected
    assert dates.iso_date(NOVEMBER_25) == "2026-11-25"


def test_every_format_is_listed_in_the_test_above():
    assert len(dates.FORMATS) == 16


@pytest.mark.parametrize("day, expected", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
                                           (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (23, "23rd"),
                                           (30, "30th"), (31, "31st")])
def test_ordinal_suffixes(day, expected):
    assert dates.ordinal(day) == expected


@pytest.mark.parametrize("number, cardinal, ordinal", [
    (1, "one", "first"), (2, "two", "second"), (3, "three", "third"), (5, "five", "fifth"), (8, "eight", "eighth"),
    (9, "nine", "ninth"), (11, "eleven", "eleventh"), (12, "twelve", "twelfth"), (13, "thirteen", "thirteenth"),
    (20, "twenty", "twentieth"), (21, "twenty-one", "twenty-first"), (22, "twenty-two", "twenty-second"),
    (30, "thirty", "thirtieth"), (31, "thirty-one", "thirty-first"), (45, "forty-five", "forty-fifth"),
    (99, "ninety-nine", "ninety-ninth")])
def test_numbers_in_words(number, cardinal, ordinal):
    assert dates.number_in_words(number) == cardinal
    assert dates.ordinal_in_words(number) == ordinal


@pytest.mark.parametrize("year, words", [(1950, "nineteen fifty"), (1953, "nineteen fifty-three"),
                                         (1999, "nineteen ninety-nine"), (1900, "nineteen hundred"),
                                         (1905, "nineteen oh five"), (2000, "two thousand"),
                                         (2001, "two thousand and one"), (2049, "two thousand and forty-nine")])
def test_years_in_words(year, words):
    assert dates.year_in_words(year) == words


WORDS_TO_NUMBERS = {dates.ordinal_in_words(n): n for n in range(1, 32)}
YEARS_IN_WORDS = {dates.year_in_words(year): year for year in range(1950, 2050)}


def parse_words(text: str) -> datetime.date:
    match = re.fullmatch(r"(?:(\w+), )?the ([\w-]+) of (\w+),? (.+)", text)
    weekday, day, month, year = match.groups()
    date = datetime.date(YEARS_IN_WORDS[year], dates.MONTHS.index(month) + 1, WORDS_TO_NUMBERS[day])
    assert weekday in (None, date.strftime("%A")), text
    return date


def parse_back(text: str) -> datetime.date:
    """An independent reading of every format: the weekday is checked, a two-digit year is 1950-2049."""
    if " the " in f" {text}" and "-" in text or text.startswith("the ") or "thousand" in text or "nineteen" in text:
        return parse_words(text)
    cleaned = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1", text).replace(", the ", " ").replace(" of ", " ")
    for pattern in ("%d %B %Y", "%a, %d %b %y", "%m/%d/%Y", "%m/%d/%y", "%B %d, %Y", "%d.%m.%Y", "%A %d %B %Y",
                    "%A, %B %d, %Y", "%A %d %B %Y", "%d %b %Y", "%b %d, %Y", "%d-%b-%Y", "%Y-%m-%d"):
        try:
            parsed = datetime.datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        year = parsed.year
        if "%y" in pattern:
            year = 1900 + year % 100 if year % 100 >= 50 else 2000 + year % 100
        date = parsed.date().replace(year=year)
        for directive in ("%a", "%A"):
            if directive in pattern:  # strptime ignores the weekday: check that the one written is the date's
                assert text.split(",")[0].split()[0] == date.strftime(directive), text
        return date
    raise AssertionError(f"no format reads {text!r}")


def test_every_generated_source_means_its_target():
    train, validation, test = dates.date_splits(2000, 200, 200, seed=3)
    for dataset in (train, validation, test):
        for source, target in dataset.pairs:
            assert parse_back(source).isoformat() == target


def test_several_dates_per_example_are_joined_and_stay_in_their_split():
    train, _, test = dates.date_splits(1000, 0, 300, seed=6, dates_per_example=(1, 3))
    counts = {len(target.split(" ")) for _, target in train.pairs}
    assert counts == {1, 2, 3}
    test_dates = {date for _, target in test.pairs for date in target.split(" ")}
    train_dates = {date for _, target in train.pairs for date in target.split(" ")}
    assert not test_dates & train_dates
    for source, target in train.pairs + test.pairs:
        parts = source.split("; ")
        assert [parse_back(part).isoformat() for part in parts] == target.split(" ")
    longest = max(train.source_lengths)
    single = dates.date_splits(1000, 0, 0, seed=6)[0]
    assert longest > 2 * max(single.source_lengths)
    with pytest.raises(ValueError, match="dates_per_example"):
        dates.date_splits(10, 0, 0, dates_per_example=(2, 1))


def test_dates_are_drawn_in_range_and_two_digit_years_are_not_ambiguous():
    drawn = dates.random_dates(5000, seed=1)
    assert min(drawn) >= dates.FIRST_DATE and max(drawn) <= dates.LAST_DATE
    assert len(set(drawn)) == 5000
    assert dates.format_date(datetime.date(1950, 1, 1), "us_slash_short") == "1/1/50"
    assert dates.format_date(datetime.date(2049, 3, 4), "short_weekday") == "Thu, 4 Mar 49"
    assert parse_back("Thu, 4 Mar 49") == datetime.date(2049, 3, 4)
    assert parse_back("Sun, 1 Jan 50") == datetime.date(1950, 1, 1)


def test_splits_are_disjoint_seeded_and_use_every_format():
    train, validation, test = dates.date_splits(3000, 300, 300, seed=0)
    assert (len(train), len(validation), len(test)) == (3000, 300, 300)
    target_sets = [{target for _, target in split.pairs} for split in (train, validation, test)]
    assert not target_sets[0] & target_sets[1] and not target_sets[0] & target_sets[2]
    assert not target_sets[1] & target_sets[2]
    again = dates.date_splits(3000, 300, 300, seed=0)
    assert [split.pairs for split in again] == [split.pairs for split in (train, validation, test)]
    other = dates.date_splits(3000, 300, 300, seed=1)
    assert other[0].pairs != train.pairs
    styles_seen = {style for style in dates.FORMATS for source, target in train.pairs
                   if dates.format_date(datetime.date.fromisoformat(target), style) == source}
    assert styles_seen == set(dates.FORMATS)


def test_vocabularies_are_fixed_and_cover_every_format():
    source_vocab, target_vocab = dates.source_vocabulary(), dates.target_vocabulary()
    assert source_vocab.get_itos()[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert (source_vocab.pad_index, source_vocab.bos_index, source_vocab.eos_index) == (0, 2, 3)
    assert target_vocab.get_itos()[4:] == list("0123456789- ")
    every_character = {c for date in dates.random_dates(400, seed=5) for style in dates.FORMATS
                       for c in dates.format_date(date, style)}
    assert every_character <= set(source_vocab.get_itos())
    assert dates.date_splits(10, 0, 0, seed=0)[0].source_vocab == dates.date_splits(10, 0, 0, seed=9)[0].source_vocab


def test_items_and_batches_are_padded_index_tensors_with_lengths():
    train = dates.date_splits(64, 0, 0, seed=2)[0]
    item = train[5]
    source_text, target_text = train.pairs[5]
    assert item.source.dtype == np.int64 and item.source.shape == (len(source_text),)
    assert item.source_lengths == len(source_text) and item.target_lengths == 11
    assert item.target.numpy()[-1] == train.target_vocab.eos_index
    assert train.decode_source(item.source) == source_text and train.decode_target(item.target) == target_text

    batches = list(DataLoader(train, batch_size=16, shuffle=True, generator=0))
    assert len(batches) == 4
    for batch in batches:
        assert isinstance(batch, dates.DateBatch)
        source, lengths = batch.source.numpy(), batch.source_lengths.numpy()
        assert source.shape == (16, lengths.max()) and source.dtype == np.int64
        for row, length in zip(source, lengths, strict=True):
            assert (row[length:] == 0).all() and (row[:length] != 0).all()
        assert batch.target.shape == (16, 11) and (batch.target_lengths.numpy() == 11).all()
        assert (batch.target.numpy()[:, -1] == train.target_vocab.eos_index).all()
    decoded = sorted(train.decode_source(row) for batch in batches for row in batch.source.numpy())
    assert decoded == sorted(source for source, _ in train.pairs)


def test_collate_equals_the_batch_fast_path():
    train = dates.date_splits(40, 0, 0, seed=4)[0]
    indices = [3, 17, 0, 39, 8]
    fast = train.get_batch(indices)
    slow = train.collate([train[i] for i in indices])
    loader_batch = next(iter(DataLoader(train, batch_size=5, sampler=indices, collate_fn=train.collate)))
    for batch in (slow, loader_batch):
        for ours, reference in zip(batch, fast, strict=True):
            np.testing.assert_array_equal(ours.numpy(), reference.numpy())


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match="unknown style 'klingon'"):
        dates.format_date(NOVEMBER_25, "klingon")
    with pytest.raises(ValueError, match="cannot draw 40000 distinct dates"):
        dates.random_dates(40000, seed=0)
    with pytest.raises(ValueError, match="train must be a non-negative integer"):
        dates.date_splits(-1)
    with pytest.raises(ValueError, match="unknown or no styles"):
        dates.date_pairs([NOVEMBER_25], seed=0, styles=["iso", "klingon"])
    with pytest.raises(ValueError, match="outside the source vocabulary"):
        dates.DateDataset([("25 Nov 2026 ☃", "2026-11-25")])
