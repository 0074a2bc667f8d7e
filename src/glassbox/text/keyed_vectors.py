"""Words and their vectors with gensim's ``KeyedVectors`` interface: similarity, nearest neighbours,
analogies, and the word2vec text and binary file formats (which gensim reads and writes)."""

from __future__ import annotations

import numpy


class KeyedVectors:
    """Words and their vectors, with gensim's ``KeyedVectors`` interface (the ``wv`` of a Word2Vec).

    ``vectors`` (V, d) float32; ``index_to_key`` the words in row order; ``key_to_index`` the reverse.
    Similarities are cosines. ``save_word2vec_format`` / ``load_word2vec_format`` use the original
    word2vec file formats, which gensim reads and writes: a header line "V d", then one word per
    line followed by its d values as text, or (binary) by d little-endian float32s.
    """

    def __init__(self, keys, vectors, counts=None):
        self.index_to_key = list(keys)
        self.vectors = numpy.asarray(vectors)
        if self.vectors.ndim != 2 or len(self.vectors) != len(self.index_to_key):
            raise ValueError(f"KeyedVectors: {len(self.index_to_key)} keys need vectors of shape "
                             f"({len(self.index_to_key)}, d), got {self.vectors.shape}")
        self.key_to_index = {key: i for i, key in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            raise ValueError("KeyedVectors: the keys are not unique")
        self.counts = None if counts is None else numpy.asarray(counts)
        self._unit_vectors = None

    @property
    def vector_size(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key) -> bool:
        return key in self.key_to_index

    def get_index(self, key) -> int:
        try:
            return self.key_to_index[key]
        except (KeyError, TypeError):
            raise KeyError(f"Key {key!r} not present in the vocabulary of {len(self)} words") from None

    def get_vector(self, key, norm: bool = False) -> numpy.ndarray:
        index = self.get_index(key)
        return self.unit_vectors()[index] if norm else self.vectors[index]

    def __getitem__(self, keys):
        if isinstance(keys, str):
            return self.get_vector(keys)
        return numpy.stack([self.get_vector(key) for key in keys])

    def vectors_changed(self) -> None:
        """Forget the cached unit vectors (after the vectors were trained further)."""
        self._unit_vectors = None

    def unit_vectors(self) -> numpy.ndarray:
        """Every vector divided by its length (a zero vector stays zero)."""
        if self._unit_vectors is None:
            lengths = numpy.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._unit_vectors = self.vectors / numpy.maximum(lengths, numpy.finfo(self.vectors.dtype).tiny)
        return self._unit_vectors

    def similarity(self, first, second) -> float:
        """cos(v_first, v_second)."""
        return float(self.get_vector(first, norm=True) @ self.get_vector(second, norm=True))

    def most_similar(self, positive=None, negative=None, topn: int | None = 10):
        """The ``topn`` words closest by cosine to the mean of the unit vectors of ``positive`` minus ``negative``.

        most_similar(positive=["king", "woman"], negative=["man"]) is the analogy man : king = woman : ?
        The query words themselves are left out, as in gensim; with ``topn=None`` all similarities come back.
        """
        positive = [positive] if isinstance(positive, str) else list(positive or [])
        negative = [negative] if isinstance(negative, str) else list(negative or [])
        if not positive and not negative:
            raise ValueError("most_similar: give at least one positive or negative word")
        parts, query = [], set()
        for sign, items in ((1.0, positive), (-1.0, negative)):
            for item in items:
                if isinstance(item, str):
                    query.add(self.get_index(item))
                    parts.append(sign * self.get_vector(item, norm=True))
                else:
                    parts.append(sign * numpy.asarray(item, dtype=self.vectors.dtype))
        mean = numpy.mean(parts, axis=0)
        mean = mean / max(float(numpy.linalg.norm(mean)), 1e-30)
        similarities = self.unit_vectors() @ mean  # (V,)
        if topn is None:
            return similarities
        best = numpy.argsort(-similarities, kind="stable")[: topn + len(query)]
        return [(self.index_to_key[i], float(similarities[i])) for i in best if i not in query][:topn]

    def doesnt_match(self, words) -> str:
        """The word farthest (by cosine) from the mean of the unit vectors of ``words``."""
        words = list(words)
        if not words:
            raise ValueError("doesnt_match: no words given")
        unit = numpy.stack([self.get_vector(word, norm=True) for word in words])
        mean = unit.mean(axis=0)
        return words[int(numpy.argmin(unit @ (mean / max(float(numpy.linalg.norm(mean)), 1e-30))))]

    def document_vector(self, tokens) -> numpy.ndarray:
        """The mean of the vectors of the known ``tokens`` (average word2vec); zeros when none is known."""
        rows = [self.key_to_index[token] for token in tokens if token in self.key_to_index]
        if not rows:
            return numpy.zeros(self.vector_size, dtype=self.vectors.dtype)
        return self.vectors[rows].mean(axis=0)

    def save_word2vec_format(self, path, binary: bool = False) -> None:
        """Write the word2vec text or binary format (written to a temporary file, then renamed)."""
        import os

        for key in self.index_to_key:
            if not isinstance(key, str) or not key or any(c.isspace() for c in key):
                raise ValueError(f"save_word2vec_format: the key {key!r} cannot be written (empty or holds a space)")
        vectors = numpy.ascontiguousarray(self.vectors, dtype="<f4")
        temporary = f"{path}.tmp{os.getpid()}"
        with open(temporary, "wb") as out:
            out.write(f"{len(self)} {self.vector_size}\n".encode())
            if binary:
                for key, row in zip(self.index_to_key, vectors, strict=True):
                    out.write(key.encode() + b" " + row.tobytes() + b"\n")
            else:
                values = " ".join(["%.9g"] * self.vector_size)  # 9 digits: every float32 reads back exactly
                out.write("".join(f"{key} {values % tuple(row)}\n"
                                  for key, row in zip(self.index_to_key, vectors.tolist(), strict=True)).encode())
        os.replace(temporary, path)

    @classmethod
    def load_word2vec_format(cls, path, binary: bool = False) -> KeyedVectors:
        """Read a file in the word2vec text or binary format (as written by word2vec, gensim or glassbox)."""
        data = open(path, "rb").read()
        header, _, body = data.partition(b"\n")
        try:
            count, size = (int(x) for x in header.split())
        except ValueError:
            raise ValueError(f"load_word2vec_format: {path} does not start with a 'count dimension' header, "
                             f"got {header[:60]!r}") from None
        keys, vectors = [], numpy.empty((count, size), dtype=numpy.float32)
        if binary:
            position, width = 0, 4 * size
            for row in range(count):
                space = body.index(b" ", position)
                keys.append(body[position:space].lstrip(b"\n").decode())
                vectors[row] = numpy.frombuffer(body, dtype="<f4", count=size, offset=space + 1)
                position = space + 1 + width
                if len(body) < position:
                    raise ValueError(f"load_word2vec_format: {path} ends inside the vector of word {row}")
        else:
            lines = body.decode().splitlines()
            if len(lines) < count:
                raise ValueError(f"load_word2vec_format: {path} announces {count} words but holds {len(lines)}")
            for row, line in enumerate(lines[:count]):
                key, *values = line.rstrip().split(" ")
                if len(values) != size:
                    raise ValueError(f"load_word2vec_format: line {row + 2} of {path} has {len(values)} values, "
                                     f"expected {size}")
                keys.append(key)
                vectors[row] = numpy.asarray(values, dtype=numpy.float32)
        return cls(keys, vectors)


# ---- the fused negative-sampling loss -----------------------------------------------------------------
