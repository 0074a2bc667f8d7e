import random
from collections import Counter, defaultdict

import pytest

from glassbox.text import pos

# A small English grammar whose ambiguous words (book, watch, run …) are nouns after a determiner or
# adjective and verbs after a pronoun or "to": a tagger must read the context to tag them.
LEXICON = {
    "DET": ["the", "a", "this", "every", "that"],
    "ADJ": ["big", "small", "red", "old", "happy", "quiet"],
    "NOUN": ["dog", "cat", "man", "house", "car", "idea", "teacher", "river"],
    "VERB": ["sees", "likes", "eats", "wants", "finds"],
    "PRON": ["they", "we", "you", "i"],
    "ADP": ["in", "on", "near", "with"],
    "ADV": ["quickly", "often", "slowly"],
}
AMBIGUOUS = ["book", "watch", "run", "walk", "fly", "plan"]


def noun_phrase(rng):
    phrase = [(rng.choice(LEXICON["DET"]), "DET")]
    if rng.random() < 0.5:
        phrase.append((rng.choice(LEXICON["ADJ"]), "ADJ"))
    noun = rng.choice(LEXICON["NOUN"] + AMBIGUOUS)
    return phrase + [(noun, "NOUN")]


def sentence(rng):
    kind = rng.random()
    if kind < 0.4:  # the old book finds a cat near the river .
        words = noun_phrase(rng) + [(rng.choice(LEXICON["VERB"]), "VERB")] + noun_phrase(rng)
    elif kind < 0.8:  # they book a house quickly .
        words = [(rng.choice(LEXICON["PRON"]), "PRON"), (rng.choice(AMBIGUOUS + LEXICON["VERB"]), "VERB")]
        words += noun_phrase(rng)
    else:  # we want to run .
        words = [(rng.choice(LEXICON["PRON"]), "PRON"), ("want", "VERB"), ("to", "PART")]
        words.append((rng.choice(AMBIGUOUS), "VERB"))
    if rng.random() < 0.3:
        words += [(rng.choice(LEXICON["ADP"]), "ADP")] + noun_phrase(rng)
    if rng.random() < 0.3:
        words.append((rng.choice(LEXICON["ADV"]), "ADV"))
    if rng.random() < 0.2:
        words[0] = (words[0][0].capitalize(), words[0][1])
    return words + [(".", "PUNCT")]


def corpus(count, seed):
    rng = random.Random(seed)
    return [sentence(rng) for _ in range(count)]


def unigram_accuracy_on_ambiguous(train, test):
    counts = defaultdict(Counter)
    for s in train:
        for word, tag in s:
            counts[word][tag] += 1
    pairs = [(word, tag) for s in test for word, tag in s if word in AMBIGUOUS]
    return sum(counts[word].most_common(1)[0][0] == tag for word, tag in pairs) / len(pairs)


def ambiguous_accuracy(tagger, test):
    right = total = 0
    for s in test:
        words, gold = zip(*s, strict=True)
        for (word, predicted), tag in zip(tagger.tag(list(words)), gold, strict=True):
            if word in AMBIGUOUS:
                right, total = right + (predicted == tag), total + 1
    return right / total


def test_the_averaged_perceptron_tags_held_out_sentences_and_reads_context():
    train, test = corpus(400, seed=0), corpus(150, seed=1)
    tagger = pos.AveragedPerceptronTagger().train(train, epochs=5, seed=0)
    assert pos.accuracy(tagger, test) >= 0.98
    # the ambiguous words: a most-frequent-tag baseline gets barely more than half right, context nearly all
    assert unigram_accuracy_on_ambiguous(train, test) < 0.75
    assert ambiguous_accuracy(tagger, test) >= 0.95
    assert tagger.tag(["they", "book", "a", "book", "."]) == [
        ("they", "PRON"), ("book", "VERB"), ("a", "DET"), ("book", "NOUN"), (".", "PUNCT")]
    # an unseen noun after a determiner and adjective
    assert tagger.tag(["the", "big", "zebra", "eats", "a", "cat", "."])[2] == ("zebra", "NOUN")


def test_the_perceptron_is_reproducible_and_its_weights_are_averaged():
    train = corpus(120, seed=2)
    first = pos.AveragedPerceptronTagger().train(train, epochs=3, seed=7)
    second = pos.AveragedPerceptronTagger().train(train, epochs=3, seed=7)
    assert (first.weights == second.weights).all() and first.feature_index == second.feature_index
    assert first.weights.shape == (len(first.feature_index), len(first.tags))
    # averaged weights are multiples of 1/steps, not the integers of the last step
    assert not (first.weights == first.weights.round()).all()
    assert first.tag_dictionary.get("the") == "DET"  # frequent and never ambiguous: looked up, not scored


def test_the_perceptron_refuses_bad_input():
    with pytest.raises(ValueError, match="no tagged sentences"):
        pos.AveragedPerceptronTagger().train([])
    with pytest.raises(TypeError, match=r"sentence 1 holds 'dog'; expected \(word, tag\) pairs"):
        pos.AveragedPerceptronTagger().train([[("a", "DET")], ["dog"]])
    with pytest.raises(RuntimeError, match="train the tagger first"):
        pos.AveragedPerceptronTagger().tag(["a"])
    tagger = pos.AveragedPerceptronTagger().train(corpus(20, seed=3), epochs=1)
    with pytest.raises(TypeError, match="got a str"):
        tagger.tag("the dog")
    assert tagger.tag([]) == []


def test_the_bilstm_tagger_learns_the_grammar():
    train, test = corpus(240, seed=4), corpus(60, seed=5)
    tagger = pos.train_bilstm_tagger(train, epochs=6, batch_size=24, learning_rate=0.02, embedding_dim=16,
                                     hidden_size=16, seed=0)
    assert pos.accuracy(tagger, test) >= 0.95
    assert ambiguous_accuracy(tagger, test) >= 0.85
    model = tagger.model
    assert isinstance(model, pos.BiLSTMTagger) and model.lstm.bidirectional
    assert tagger.tag([]) == []


CONLLU = """# sent_id = 1
# text = The dog's bone.
1\tThe\tthe\tDET\tDT\t_\t2\tdet\t_\t_
2-3\tdog's\t_\t_\t_\t_\t_\t_\t_\t_
2\tdog\tdog\tNOUN\tNN\t_\t4\tnmod:poss\t_\t_
3\t's\t's\tPART\tPOS\t_\t2\tcase\t_\t_
4\tbone\tbone\tNOUN\tNN\t_\t0\troot\t_\t_
4.1\tate\teat\tVERB\tVBD\t_\t_\t_\t_\t_
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

1\tRun\trun\tVERB\tVB\t_\t0\troot\t_\t_
"""


def test_conllu_files_give_words_with_their_universal_or_treebank_tags(tmp_path):
    path = tmp_path / "tiny.conllu"
    path.write_text(CONLLU)
    assert pos.read_conllu(path) == [
        [("The", "DET"), ("dog", "NOUN"), ("'s", "PART"), ("bone", "NOUN"), (".", "PUNCT")], [("Run", "VERB")]]
    assert pos.read_conllu(path, tag_column="xpos")[0][1] == ("dog", "NN")
    with pytest.raises(ValueError, match="'upos' or 'xpos'"):
        pos.read_conllu(path, tag_column="lemma")
    path.write_text("1\tThe\tthe\tDET\n")
    with pytest.raises(ValueError, match="line 1 .* has 4 tab-separated fields"):
        pos.read_conllu(path)


def test_word_slash_tag_files_split_at_the_last_slash(tmp_path):
    path = tmp_path / "tagged.txt"
    path.write_text("The/DT dog/NN ate/VBD 1/2/CD ./.\n\nIt/PRP ran/VBD\n")
    sentences = pos.read_tagged_text(path)
    assert sentences == [[("The", "DT"), ("dog", "NN"), ("ate", "VBD"), ("1/2", "CD"), (".", ".")],
                         [("It", "PRP"), ("ran", "VBD")]]
    assert pos.split_words_and_tags(sentences)[1][1] == ["PRP", "VBD"]
    path.write_text("The/DT dog\n")
    with pytest.raises(ValueError, match="line 1 .*'dog' is not word/TAG"):
        pos.read_tagged_text(path)
    trained = pos.AveragedPerceptronTagger().train(sentences * 5, epochs=2)
    assert pos.accuracy(trained, sentences) == 1.0
