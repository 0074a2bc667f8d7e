"""Vocabulary: the table between tokens and the integer ids that a model sees.

The notes' bag of words starts from "a vocabulary of known words", and word2vec from "Take most frequent
words ... with all the unique words". A ``Vocabulary`` numbers the tokens of a corpus:

    index:  0      1      2      3      4     5    6
    token:  <pad>  <unk>  <bos>  <eos>  good  boy  girl        most frequent first

- special tokens come first, at fixed indices: <pad> fills short sequences up to the batch's length
  (``nn.Embedding(len(vocabulary), dim, padding_idx=vocabulary.pad_index)`` keeps its row at zero),
  <unk> stands for every token that is not in the vocabulary, <bos>/<eos> mark a sequence's start and end;
- the corpus tokens follow by descending frequency, ties in alphabetical order (torchtext's
  ``build_vocab_from_iterator`` order), keeping those seen at least ``min_freq`` times and at most
  ``max_size`` entries in all, specials included.

``encode_batch`` turns token lists into an int64 glassbox Tensor of shape (batch, longest), padded with
the pad index, ready for ``nn.Embedding``. ``save`` / ``load`` write and read JSON.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

FORMAT = "glassbox.text.Vocabulary"
SPECIAL_ROLES = ("pad", "unk", "bos", "eos")


def _check_token_list(tokens, position, caller: str) -> list[str]:
    if isinstance(tokens, str) or not isinstance(tokens, Iterable):
        raise TypeError(f"{caller}: sequence {position} is a {type(tokens).__name__}; expected a list of str tokens "
                        "(tokenize each text first)")
    tokens = list(tokens)
    for token in tokens:
        if not isinstance(token, str):
            raise TypeError(f"{caller}: sequence {position} holds {token!r} ({type(token).__name__}); "
                            "tokens must be str")
    return tokens


class Vocabulary:
    """An ordered set of tokens with their indices. ``tokens`` is the full index → token list; each
    special token given (``pad_token`` …) must be in it. ``Vocabulary.build`` makes one from a corpus."""

    def __init__(self, tokens: Sequence[str], *, pad_token: str | None = "<pad>", unk_token: str | None = "<unk>",
                 bos_token: str | None = "<bos>", eos_token: str | None = "<eos>",
                 frequencies: dict[str, int] | None = None):
        tokens = _check_token_list(tokens, 0, "Vocabulary")
        self._itos = tokens
        self._stoi = {token: index for index, token in enumerate(tokens)}
        if len(self._stoi) != len(tokens):
            duplicates = sorted(token for token, count in Counter(tokens).items() if count > 1)
            raise ValueError(f"Vocabulary: duplicate tokens {duplicates[:10]}")
        self.special_tokens = {"pad": pad_token, "unk": unk_token, "bos": bos_token, "eos": eos_token}
        for role, token in self.special_tokens.items():
            if token is not None and token not in self._stoi:
                raise ValueError(f"Vocabulary: {role}_token {token!r} is not among the tokens; "
                                 f"add it or pass {role}_token=None")
        self.frequencies = dict(frequencies or {})

    @classmethod
    def build(cls, token_lists: Iterable[Sequence[str]], *, min_freq: int = 1, max_size: int | None = None,
              pad_token: str | None = "<pad>", unk_token: str | None = "<unk>", bos_token: str | None = "<bos>",
              eos_token: str | None = "<eos>", extra_specials: Sequence[str] = ()) -> Vocabulary:
        """The vocabulary of a tokenized corpus: specials (pad, unk, bos, eos, then ``extra_specials``)
        at indices 0, 1, …, then the tokens seen at least ``min_freq`` times, most frequent first (ties
        alphabetical), ``max_size`` entries at most in all."""
        if isinstance(min_freq, bool) or not isinstance(min_freq, int) or min_freq < 1:
            raise ValueError(f"Vocabulary.build: min_freq must be an integer >= 1, got {min_freq!r}")
        specials = [token for token in (pad_token, unk_token, bos_token, eos_token) if token is not None]
        specials += [token for token in extra_specials if token not in specials]
        if max_size is not None and (isinstance(max_size, bool) or not isinstance(max_size, int)
                                     or max_size < len(specials)):
            raise ValueError(f"Vocabulary.build: max_size must be an integer >= the {len(specials)} special "
                             f"tokens, got {max_size!r}")
        if isinstance(token_lists, str):
            raise TypeError("Vocabulary.build: expected a list of token lists, got a str")
        counts = Counter()
        for position, tokens in enumerate(token_lists):
            counts.update(_check_token_list(tokens, position, "Vocabulary.build"))
        for special in specials:  # a special token keeps its fixed index even if the corpus contains it
            counts.pop(special, None)
        ranked = sorted((item for item in counts.items() if item[1] >= min_freq), key=lambda item: (-item[1], item[0]))
        if max_size is not None:
            ranked = ranked[:max_size - len(specials)]
        return cls(specials + [token for token, _ in ranked], pad_token=pad_token, unk_token=unk_token,
                   bos_token=bos_token, eos_token=eos_token, frequencies=dict(ranked))

    # --- lookups -------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token) -> bool:
        return token in self._stoi

    def __iter__(self):
        return iter(self._itos)

    def __getitem__(self, token: str) -> int:
        """The index of ``token``; the unknown token's index for a token not in the vocabulary."""
        index = self._stoi.get(token)
        if index is not None:
            return index
        if not isinstance(token, str):
            raise TypeError(f"Vocabulary: tokens are str, got {token!r} ({type(token).__name__})")
        if self.unk_index is None:
            raise KeyError(f"Vocabulary: {token!r} is not in the vocabulary, which has no unknown token "
                           "(build it with unk_token='<unk>' to map unseen tokens to it)")
        return self.unk_index

    def __eq__(self, other) -> bool:
        return (isinstance(other, Vocabulary) and self._itos == other._itos
                and self.special_tokens == other.special_tokens)

    def __repr__(self) -> str:
        shown = ", ".join(repr(token) for token in self._itos[:8])
        return f"Vocabulary(size={len(self)}, tokens=[{shown}{', …' if len(self) > 8 else ''}])"

    def _special_index(self, role: str) -> int | None:
        token = self.special_tokens[role]
        return None if token is None else self._stoi[token]

    @property
    def pad_index(self) -> int | None:
        return self._special_index("pad")

    @property
    def unk_index(self) -> int | None:
        return self._special_index("unk")

    @property
    def bos_index(self) -> int | None:
        return self._special_index("bos")

    @property
    def eos_index(self) -> int | None:
        return self._special_index("eos")

    def get_itos(self) -> list[str]:
        """The tokens in index order (index → token)."""
        return list(self._itos)

    def get_stoi(self) -> dict[str, int]:
        """The token → index mapping."""
        return dict(self._stoi)

    def lookup_token(self, index: int) -> str:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(self):
            raise IndexError(f"Vocabulary: index {index!r} is outside 0..{len(self) - 1}")
        return self._itos[index]

    def lookup_indices(self, tokens: Sequence[str]) -> list[int]:
        return [self[token] for token in _check_token_list(tokens, 0, "Vocabulary.lookup_indices")]

    def lookup_tokens(self, indices) -> list[str]:
        return [self.lookup_token(index) for index in _as_index_list(indices)]

    # --- encoding ------------------------------------------------------------------------------------------

    def _with_markers(self, indices: list[int], add_bos: bool, add_eos: bool) -> list[int]:
        for wanted, role in ((add_bos, "bos"), (add_eos, "eos")):
            if wanted and self.special_tokens[role] is None:
                raise ValueError(f"Vocabulary: add_{role}=True but the vocabulary has no {role}_token")
        return ([self.bos_index] if add_bos else []) + indices + ([self.eos_index] if add_eos else [])

    def encode(self, tokens: Sequence[str], add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """The indices of ``tokens`` (unknown tokens → the unknown index), framed by <bos>/<eos> if asked."""
        return self._with_markers(self.lookup_indices(tokens), add_bos, add_eos)

    def decode(self, indices, skip_special: bool = False) -> list[str]:
        """The tokens of ``indices`` (a list, a NumPy array or a 1-D Tensor); ``skip_special`` drops
        <pad>, <bos>, <eos> (and <unk>)."""
        tokens = self.lookup_tokens(indices)
        if skip_special:
            specials = {token for token in self.special_tokens.values() if token is not None}
            tokens = [token for token in tokens if token not in specials]
        return tokens

    def encode_batch(self, token_lists: Iterable[Sequence[str]], *, add_bos: bool = False, add_eos: bool = False,
                     max_length: int | None = None, padding_side: str = "right", return_lengths: bool = False):
        """An int64 Tensor (batch, length) of the encoded sequences padded with ``pad_index``.

        ``length`` is the longest sequence's, or ``max_length``: longer sequences are cut to their first
        ``max_length`` ids (their <eos>, if added, kept last). ``padding_side="left"`` puts the padding
        first. With ``return_lengths`` also returns the unpadded lengths as an int64 Tensor (batch,).
        """
        from glassbox.creation import from_numpy

        if self.pad_index is None:
            raise ValueError("Vocabulary.encode_batch: the vocabulary has no pad_token to pad with")
        if padding_side not in ("right", "left"):
            raise ValueError(f"Vocabulary.encode_batch: padding_side must be 'right' or 'left', got {padding_side!r}")
        if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int)
                                       or max_length < 1 + add_bos + add_eos):
            raise ValueError(f"Vocabulary.encode_batch: max_length must be an integer >= {1 + add_bos + add_eos}, "
                             f"got {max_length!r}")
        if isinstance(token_lists, str):
            raise TypeError("Vocabulary.encode_batch: expected a list of token lists, got a str")
        rows = []
        for position, tokens in enumerate(token_lists):
            indices = self.lookup_indices(_check_token_list(tokens, position, "Vocabulary.encode_batch"))
            if max_length is not None:
                indices = indices[:max_length - add_bos - add_eos]
            rows.append(self._with_markers(indices, add_bos, add_eos))
        lengths = np.array([len(row) for row in rows], dtype=np.int64)
        width = max_length if max_length is not None else int(lengths.max(initial=0))
        batch = np.full((len(rows), width), self.pad_index, dtype=np.int64)  # (batch, length)
        for row_index, row in enumerate(rows):
            if padding_side == "right":
                batch[row_index, :len(row)] = row
            elif row:
                batch[row_index, -len(row):] = row
        return (from_numpy(batch), from_numpy(lengths)) if return_lengths else from_numpy(batch)

    def decode_batch(self, batch, skip_special: bool = True) -> list[list[str]]:
        """The token lists of a (batch, length) array or Tensor of indices, padding dropped by default."""
        array = np.asarray(batch.numpy() if hasattr(batch, "numpy") else batch)
        if array.ndim != 2:
            raise ValueError(f"Vocabulary.decode_batch: expected a (batch, length) array, got shape {array.shape}")
        return [self.decode(row, skip_special=skip_special) for row in array]

    # --- saving --------------------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": 1, "tokens": list(self._itos),
                **{f"{role}_token": token for role, token in self.special_tokens.items()},
                "frequencies": self.frequencies}

    @classmethod
    def from_dict(cls, state: dict) -> Vocabulary:
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            raise ValueError(f"Vocabulary.load: not a saved Vocabulary (expected format {FORMAT!r})")
        if state.get("version") != 1:
            raise ValueError(f"Vocabulary.load: unsupported version {state.get('version')!r}; this glassbox reads 1")
        return cls(state["tokens"], frequencies=state.get("frequencies"),
                   **{f"{role}_token": state.get(f"{role}_token") for role in SPECIAL_ROLES})

    def save(self, path) -> None:
        """Write the vocabulary as JSON (UTF-8, atomically: the file is whole or untouched)."""
        from glassbox.serialization import atomic_write

        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1)
        atomic_write(path, lambda file: file.write(text.encode("utf-8")))

    @classmethod
    def load(cls, path) -> Vocabulary:
        with open(path, encoding="utf-8") as file:
            try:
                state = json.load(file)
            except json.JSONDecodeError as error:
                raise ValueError(f"Vocabulary.load: {path} is not valid JSON ({error})") from None
        return cls.from_dict(state)


def _as_index_list(indices) -> list:
    """A flat list of Python ints from a list, a NumPy array or a Tensor of integer ids."""
    if hasattr(indices, "numpy") and not isinstance(indices, np.ndarray):
        indices = indices.numpy()
    array = np.asarray(indices)
    if array.ndim != 1:
        raise ValueError(f"Vocabulary: expected a 1-D sequence of indices, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"Vocabulary: indices must be integers, got dtype {array.dtype}")
    return array.tolist()
