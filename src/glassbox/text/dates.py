"""An offline translation task: human-readable dates → ISO 8601.

The notes' encoder-decoder reads a sentence in one language and writes it in another. Dates make a
small language pair that needs no download and that a laptop learns in minutes, yet has what makes
translation hard: the source comes in many forms and lengths, words must be reordered (month before
day, or after), numbers are spelled out, and some of the input (the weekday) carries nothing the
output needs:

    "25th of November 2026"                       → "2026-11-25"
    "Wed, 25 Nov 26"                              → "2026-11-25"
    "11/25/2026"                                  → "2026-11-25"   (slashes: month first, as in the US)
    "25.11.2026"                                  → "2026-11-25"   (dots: day first, as in Europe)
    "the twenty-fifth of November two thousand and twenty-six"  → "2026-11-25"

Dates are drawn between 1950-01-01 and 2049-12-31, so that a two-digit year is never ambiguous
(50…99 → 19xx, 00…49 → 20xx). With ``dates_per_example=(1, 3)`` an example lists one to three dates,
"A; B" → "A' B'": then a longer input has more to translate, as a longer sentence does.

Both sides are read character by character: the source vocabulary is a fixed alphabet (ASCII letters,
digits, " ,./-;"; the same for every seed), the target one the digits, "-" and the space, each with
glassbox.text.Vocabulary's specials <pad>, <unk>, <bos>, <eos> at indices 0…3.

``date_splits(seed=…)`` draws distinct dates and splits them into train, validation and test sets,
so that no date of the test set is ever seen in training (only its format is); every split is a
``DateDataset`` for ``glassbox.data.DataLoader``, whose batches are ``DateBatch(source,
source_lengths, target, target_lengths)``: int64 index tensors padded with <pad> to the batch's
longest sequence, the target ending with <eos>.
"""

from __future__ import annotations

import datetime
import string
from collections import namedtuple

import numpy

from glassbox.data.dataset import Dataset
from glassbox.tensor import Tensor
from glassbox.text.vocabulary import Vocabulary

FIRST_DATE = datetime.date(1950, 1, 1)
LAST_DATE = datetime.date(2049, 12, 31)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def ordinal(day: int) -> str:
    """1 → "1st", 2 → "2nd", 3 → "3rd", 11 → "11th", 22 → "22nd"."""
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"


_ONES = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
                  "nine": "ninth", "twelve": "twelfth"}


def number_in_words(number: int) -> str:
    """0 < number < 100 in words: 7 → "seven", 25 → "twenty-five", 40 → "forty"."""
    if number < 20:
        return _ONES[number]
    tens, ones = divmod(number, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def ordinal_in_words(number: int) -> str:
    """0 < number < 100 as an ordinal in words: 1 → "first", 25 → "twenty-fifth", 30 → "thirtieth"."""
    words = number_in_words(number)
    head, _, last = words.rpartition("-")
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}-{last}" if head else last


def year_in_words(year: int) -> str:
    """1953 → "nineteen fifty-three", 1900 → "nineteen hundred", 2000 → "two thousand",
    2026 → "two thousand and twenty-six" (the years 1950-2049 of the task, and any from 1100 to 2099)."""
    century, rest = divmod(year, 100)
    if century == 20:
        return "two thousand" + (f" and {number_in_words(rest)}" if rest else "")
    return f"{number_in_words(century)} " + (number_in_words(rest) if rest >= 10 else
                                                 f"oh {_ONES[rest]}" if rest else "hundred")


def _parts(date: datetime.date) -> dict:
    month, weekday = MONTHS[date.month - 1], WEEKDAYS[date.weekday()]
    return {"d": date.day, "dd": f"{date.day:02d}", "m": date.month, "mm": f"{date.month:02d}", "yyyy": date.year,
            "yy": f"{date.year % 100:02d}", "month": month, "mon": month[:3], "weekday": weekday, "wkd": weekday[:3],
            "th": ordinal(date.day), "month_lower": month.lower(), "day_words": ordinal_in_words(date.day),
            "year_words": year_in_words(date.year)}


# Each format as a str.format pattern over the fields of ``_parts``; the names say what they look like.
FORMATS = {
    "ordinal_of": "{th} of {month} {yyyy}",                       # 25th of November 2026
    "short_weekday": "{wkd}, {d} {mon} {yy}",                     # Wed, 25 Nov 26
    "us_slash": "{mm}/{dd}/{yyyy}",                               # 11/25/2026
    "us_slash_short": "{m}/{d}/{yy}",                             # 11/25/26
    "us_long": "{month} {d}, {yyyy}",                             # November 25, 2026
    "european_dot": "{dd}.{mm}.{yyyy}",                           # 25.11.2026
    "weekday_long": "{weekday} {d} {month} {yyyy}",               # Wednesday 25 November 2026
    "weekday_us": "{weekday}, {month} {d}, {yyyy}",               # Wednesday, November 25, 2026
    "weekday_ordinal": "{weekday}, the {th} of {month} {yyyy}",   # Wednesday, the 25th of November 2026
    "day_mon_year": "{d} {mon} {yyyy}",                           # 25 Nov 2026
    "mon_day_year": "{mon} {d}, {yyyy}",                          # Nov 25, 2026
    "day_dash_mon": "{dd}-{mon}-{yyyy}",                          # 25-Nov-2026
    "lower_long": "{th} {month_lower} {yyyy}",                    # 25th november 2026
    "iso": "{yyyy}-{mm}-{dd}",                                    # 2026-11-25
    # the twenty-fifth of November two thousand and twenty-six
    "words": "the {day_words} of {month} {year_words}",
    # Wednesday, the twenty-fifth of November, two thousand and twenty-six
    "weekday_words": "{weekday}, the {day_words} of {month}, {year_words}",
}

SOURCE_ALPHABET = sorted(string.ascii_letters + string.digits + " ,./-;")
TARGET_ALPHABET = list("0123456789- ")


def format_date(date: datetime.date, style: str) -> str:
    """``date`` written in the format ``style`` (a key of ``FORMATS``)."""
    if style not in FORMATS:
        raise ValueError(f"format_date: unknown style {style!r}, expected one of {sorted(FORMATS)}")
    return FORMATS[style].format(**_parts(date))


def iso_date(date: datetime.date) -> str:
    """The ISO 8601 form, the translation's target: "2026-11-25"."""
    return date.isoformat()


def random_dates(count: int, seed: int, first: datetime.date = FIRST_DATE, last: datetime.date = LAST_DATE,
                 distinct: bool = True) -> list:
    """``count`` dates between ``first`` and ``last`` (inclusive) from a generator seeded with ``seed``."""
    span = (last - first).days + 1
    if count < 0 or (distinct and count > span):
        raise ValueError(f"random_dates: cannot draw {count} {'distinct ' if distinct else ''}dates from the "
                         f"{span} days between {first} and {last}")
    rng = numpy.random.default_rng(seed)
    offsets = rng.choice(span, size=count, replace=False) if distinct else rng.integers(0, span, size=count)
    return [first + datetime.timedelta(days=int(offset)) for offset in offsets]


def date_pairs(dates, seed: int, styles=None, dates_per_example: int | tuple = 1) -> list:
    """(human-readable, ISO) pairs, each date in a format drawn uniformly from ``styles`` (default: all).

    ``dates_per_example=(1, 3)``: each example lists 1 to 3 dates (the first is ``dates[i]``, the others
    drawn from ``dates``), "A; B; C" → "A' B' C'" in ISO form: longer inputs carry more to translate.
    """
    styles = sorted(FORMATS) if styles is None else list(styles)
    unknown = [style for style in styles if style not in FORMATS]
    if unknown or not styles:
        raise ValueError(f"date_pairs: unknown or no styles {unknown}, expected some of {sorted(FORMATS)}")
    fewest, most = (dates_per_example, dates_per_example) if isinstance(dates_per_example, int) else dates_per_example
    if not 1 <= fewest <= most:
        raise ValueError(f"date_pairs: dates_per_example must be a count >= 1 or a range (fewest, most), got "
                         f"{dates_per_example!r}")
    rng = numpy.random.default_rng(seed)
    pairs = []
    for date in dates:
        listed = [date] + [dates[int(k)] for k in rng.integers(0, len(dates), size=rng.integers(fewest, most + 1) - 1)]
        chosen = rng.integers(0, len(styles), size=len(listed))
        pairs.append(("; ".join(format_date(day, styles[int(k)]) for day, k in zip(listed, chosen, strict=True)),
                      " ".join(iso_date(day) for day in listed)))
    return pairs


def source_vocabulary() -> Vocabulary:
    """Every character a format can write, after the four specials (the same for every seed)."""
    return Vocabulary(["<pad>", "<unk>", "<bos>", "<eos>"] + SOURCE_ALPHABET)


def target_vocabulary() -> Vocabulary:
    """The digits, "-" and the space between dates, after the four specials."""
    return Vocabulary(["<pad>", "<unk>", "<bos>", "<eos>"] + TARGET_ALPHABET)


DateBatch = namedtuple("DateBatch", ["source", "source_lengths", "target", "target_lengths"])


class DateDataset(Dataset):
    """(human-readable date, ISO date) pairs as character indices.

    ``dataset[i]`` is a ``DateBatch`` of one sample: the source ids (S_i,), its length, the target ids
    followed by <eos> (T_i,) and its length. A ``DataLoader`` with the default collate asks
    ``get_batch`` for whole batches: (N, S) and (N, T) int64 tensors padded with <pad> (index 0) to the
    batch's longest sequence, and the (N,) lengths.
    """

    def __init__(self, pairs, source_vocab: Vocabulary | None = None, target_vocab: Vocabulary | None = None):
        self.pairs = list(pairs)
        self.source_vocab = source_vocab or source_vocabulary()
        self.target_vocab = target_vocab or target_vocabulary()
        self.sources = [numpy.asarray(self.source_vocab.encode(list(text)), dtype=numpy.int64)
                        for text, _ in self.pairs]
        self.targets = [numpy.asarray(self.target_vocab.encode(list(text), add_eos=True), dtype=numpy.int64)
                        for _, text in self.pairs]
        unknown = self.source_vocab.unk_index
        for text, ids in zip(self.pairs, self.sources, strict=True):
            if unknown is not None and (ids == unknown).any():
                raise ValueError(f"DateDataset: {text[0]!r} has characters outside the source vocabulary")
        self.source_lengths = numpy.asarray([len(ids) for ids in self.sources], dtype=numpy.int64)
        self.target_lengths = numpy.asarray([len(ids) for ids in self.targets], dtype=numpy.int64)

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index) -> DateBatch:
        return DateBatch(Tensor._wrap(self.sources[index]), int(self.source_lengths[index]),
                         Tensor._wrap(self.targets[index]), int(self.target_lengths[index]))

    def get_batch(self, indices) -> DateBatch:
        indices = numpy.asarray(indices, dtype=numpy.int64).reshape(-1)
        return DateBatch(_pad([self.sources[i] for i in indices], self.source_vocab.pad_index),
                         Tensor._wrap(self.source_lengths[indices]),
                         _pad([self.targets[i] for i in indices], self.target_vocab.pad_index),
                         Tensor._wrap(self.target_lengths[indices]))

    def collate(self, samples) -> DateBatch:
        """A list of ``dataset[i]`` samples → one padded batch (what ``get_batch`` gives), for a
        ``DataLoader(collate_fn=dataset.collate)`` over a sampler of your own."""
        return DateBatch(_pad([sample.source.data for sample in samples], self.source_vocab.pad_index),
                         Tensor._wrap(numpy.asarray([sample.source_lengths for sample in samples], dtype=numpy.int64)),
                         _pad([sample.target.data for sample in samples], self.target_vocab.pad_index),
                         Tensor._wrap(numpy.asarray([sample.target_lengths for sample in samples], dtype=numpy.int64)))

    def decode_target(self, ids) -> str:
        """Target ids (a row of a batch or a model's output) → text, stopping at the first <eos>."""
        return _decode(self.target_vocab, ids)

    def decode_source(self, ids) -> str:
        return _decode(self.source_vocab, ids)


def _decode(vocab: Vocabulary, ids) -> str:
    ids = ids.numpy() if isinstance(ids, Tensor) else numpy.asarray(ids)
    text = []
    for index in ids.reshape(-1).tolist():
        if index == vocab.eos_index:
            break
        if index not in (vocab.pad_index, vocab.bos_index):
            text.append(vocab.lookup_token(index))
    return "".join(text)


def _pad(rows, pad_index: int) -> Tensor:
    width = max((len(row) for row in rows), default=0)
    batch = numpy.full((len(rows), width), pad_index, dtype=numpy.int64)  # (N, longest)
    for position, row in enumerate(rows):
        batch[position, :len(row)] = row
    return Tensor._wrap(batch)


def date_splits(train: int = 10_000, validation: int = 1_000, test: int = 1_000, seed: int = 0, styles=None,
                dates_per_example: int | tuple = 1):
    """(train, validation, test) ``DateDataset``s of distinct dates: no date is in two splits (with several
    dates per example, the others come from the same split)."""
    for name, size in (("train", train), ("validation", validation), ("test", test)):
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"date_splits: {name} must be a non-negative integer, got {size!r}")
    dates = random_dates(train + validation + test, seed)
    bounds = (0, train, train + validation, train + validation + test)
    source_vocab, target_vocab = source_vocabulary(), target_vocabulary()
    return tuple(DateDataset(date_pairs(dates[bounds[k]:bounds[k + 1]], seed + 1 + k, styles, dates_per_example),
                             source_vocab, target_vocab) for k in range(3))
