r"""Lexicons: phrase families kept as data files and compiled once into fast matchers.

A lexicon file (YAML) has three parts::

    vocab:                       # named word lists, used in patterns as {name}
      contact_verb: [talk\w*, speak\w*, chat]
    fuzzy: [human, person]       # words whose misspellings are corrected before matching
    families:
      direct_request:            # one family of phrasings, all meaning the same thing
        score: 0.95              # how strongly one match moves the detector's signal
        roles: [user]            # which turns it is read on (default: user)
        vetoes: [other_family]   # its matches overlapping one of this family are dropped
        patterns:
          - "{contact_verb} ~4 {human_noun}"

Patterns are regular expressions over folded text (lower case, no accents) with a few
conveniences so that people who own the data rarely need regex syntax:

- a space (also inside a group such as ``(?:has been|was)``) matches any run of punctuation or
  white space *within* a clause: it never crosses ``. ! ? ; : ,``;
- ``{name}`` is any word of the vocabulary list ``name``; ``{name}?`` and ``(?:a|b)?`` are
  optional (together with their separator) and ``{name}*`` may occur up to five times;
- ``~N`` stands for up to N other words in between (within the clause), ``~~N`` for up to N
  words across punctuation ("I withdrew cash? I didn't!");
- ``^`` and ``$`` tie the pattern to the start and end of the turn.

Every pattern is anchored at word boundaries. Compiling also records how each pattern can be
found cheaply (its anchor words); ``_scanner.py`` uses that to run hundreds of patterns per
turn in microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

import yaml

from escalate.exceptions import LexiconError
from escalate.models import Role

__all__ = [
    "ANCHOR_LENGTH",
    "PREFIX_MARK",
    "CompiledPattern",
    "Family",
    "Lexicon",
    "LexiconMatch",
    "Mode",
    "compile_lexicon",
    "load_lexicon",
    "real_words",
]

# Inside a clause: any run of non-word characters except clause punctuation.
SEP = r"[^\w.!?;:,]+"
_WORD_RUN = r"[^\W_]+"
_GAP = re.compile(r"~(~?)(\d+)")
_ANY_SEP = r"[\W_]+"
_MACRO = re.compile(r"\{(\w+)\}")
_LITERAL_HEAD = re.compile(r"[a-z0-9]+")
_CHAR_CLASS = re.compile(r"\[([^\\\]\-^]+)\]")  # [abc]: literal characters only
ANCHOR_LENGTH = 3
PREFIX_MARK = "*"
_MAX_REPEAT = 5


class LexiconMatch(NamedTuple):
    """A family matched: where (in the original text) and how strongly."""

    family: str
    kind: str
    score: float
    start: int
    end: int
    text: str


class Mode(Enum):
    """How a pattern is run on a turn, cheapest first."""

    AT_WORDS = "at_words"
    """Tried only where a word with one of its anchors begins (``regex.match`` at that spot)."""
    AT_START = "at_start"
    """Tied to the start of the turn: tried once, at position 0."""
    GATED = "gated"
    """Scanned across the text, but only when one of its anchors occurs somewhere."""
    CHARS = "chars"
    """Begins with a class of literal characters (emoji): scanned only when one occurs."""
    ALWAYS = "always"
    """Scanned across the text on every turn (no anchor could be derived)."""


class _Source:
    """A pattern's regex source, built the first time it is read.

    A process reads the source of the patterns its turns reach (a pattern's other words must be
    in the turn first, ``CompiledPattern.needs``); building every source at start-up was about
    40% of compiling the bundled lexicons.
    """

    __slots__ = ("_items", "_value", "_vocab", "_where")

    def __init__(self, where: str, items: list[str], vocab: Mapping[str, list[str]]) -> None:
        self._where, self._items, self._vocab = where, items, vocab
        self._value: str | None = None

    @classmethod
    def built(cls, value: str) -> _Source:
        """A source already built (and checked)."""
        source = cls("", [], {})
        source._value = value
        return source

    def get(self) -> str:
        value = self._value
        if value is None:
            # Two threads may both build it: the same string either way.
            value = self._value = _regex_source(self._where, self._items, self._vocab)
        return value


@dataclass(frozen=True, slots=True, eq=False)
class CompiledPattern:
    """A pattern compiled to a regex, with what the scanner needs to run it cheaply."""

    lazy_source: _Source
    mode: Mode
    anchors: frozenset[str]
    """AT_WORDS: the keys of its first words (a word, or its first three letters and ``*``);
    GATED: of its rarest required item; CHARS: the characters it can begin with."""
    next_words: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """For AT_WORDS, per key whose first words are all phrases ("lost my job", "lost touch"):
    the first three letters of the phrases' second words, which a match needs as well."""
    needs: tuple[frozenset[str], ...] = ()
    """What a turn's words must hold for a match: for each required item (after the first, for
    AT_WORDS), the first three letters of the words that can begin it. Every required item
    begins a word of the text (see ``_word_starts``), so a turn with none of an item's starts
    cannot match, and the scanner skips the pattern without compiling anything."""

    @property
    def source(self) -> str:
        """The pattern as a Python regular expression (``regex`` is it compiled)."""
        return self.lazy_source.get()

    @property
    def regex(self) -> re.Pattern[str]:
        """The whole pattern, compiled on first use.

        Compiling every pattern at start-up cost about half a second that few processes need.
        """
        return compiled(self.source)


@dataclass(frozen=True, slots=True)
class Family:
    """A compiled family of phrasings."""

    name: str
    kind: str
    score: float
    roles: frozenset[Role]
    vetoes: tuple[str, ...]
    patterns: tuple[CompiledPattern, ...]


class Lexicon:
    """A set of families read from one data file."""

    def __init__(
        self,
        name: str,
        families: Sequence[Family],
        fuzzy: Iterable[str] = (),
        words: Iterable[str] = (),
    ) -> None:
        self.name = name
        self.families = {family.name: family for family in families}
        self.fuzzy = frozenset(fuzzy)
        """Words whose misspellings the text analyser should correct."""
        self.words = frozenset(words)
        """Plain words of the vocabulary: known to be real, never 'corrected'."""

    def family(self, name: str) -> Family:
        """The family called ``name``."""
        return self.families[name]


@cache
def real_words() -> frozenset[str]:
    """Real words within typo distance of a fuzzy word (``lexicons/real_words.txt``)."""
    text = (
        resources.files("escalate.signals")
        .joinpath("lexicons", "real_words.txt")
        .read_text("utf-8")
    )
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


@cache
def bundled_lexicon_names() -> tuple[str, ...]:
    """The lexicons the package ships: one YAML file each in ``signals/lexicons``, sorted."""
    folder = resources.files("escalate.signals").joinpath("lexicons")
    return tuple(
        sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))
    )


@cache
def load_lexicon(name: str) -> Lexicon:
    """Load and compile the bundled lexicon ``name`` (cached per process)."""
    source = resources.files("escalate.signals").joinpath("lexicons", f"{name}.yaml")
    try:
        data = yaml.load(source.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        raise LexiconError(f"lexicon {name}: not valid YAML: {exc}") from exc
    # The bundled patterns are held valid by the tests: compiled when first run, not here.
    return compile_lexicon(name, data, check=False)


_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compile_lexicon(name: str, data: Any, *, check: bool = True) -> Lexicon:
    """Compile lexicon data (the parsed YAML) into a ``Lexicon``.

    ``check``: compile every pattern now, so that an invalid one raises ``LexiconError`` here
    rather than on the turn that first runs it.
    """
    if not isinstance(data, Mapping):
        raise LexiconError(f"lexicon {name}: expected a mapping with 'families'")
    unknown = set(data) - {"vocab", "fuzzy", "families"}
    if unknown:
        raise LexiconError(f"lexicon {name}: unknown keys {sorted(unknown)}")
    vocab = {
        key: _as_strings(name, f"vocab.{key}", words)
        for key, words in data.get("vocab", {}).items()
    }
    families = [
        _compile_family(name, family_name, spec, vocab, check=check)
        for family_name, spec in data.get("families", {}).items()
    ]
    for family in families:
        for vetoed in family.vetoes:
            if not any(f.name == vetoed for f in families):
                raise LexiconError(
                    f"lexicon {name}: family {family.name} vetoes unknown family {vetoed!r}"
                )
    plain_words = {
        word
        for words in vocab.values()
        for entry in words
        for word in entry.split()
        if word.isalpha()
    }
    fuzzy = _as_strings(name, "fuzzy", data.get("fuzzy", []))
    return Lexicon(name, families, fuzzy, plain_words)


def _compile_family(
    lexicon: str, name: str, spec: Any, vocab: Mapping[str, list[str]], *, check: bool
) -> Family:
    where = f"lexicon {lexicon}, family {name}"
    if not isinstance(spec, Mapping):
        raise LexiconError(f"{where}: expected a mapping")
    unknown = set(spec) - {"score", "kind", "roles", "vetoes", "patterns"}
    if unknown:
        raise LexiconError(f"{where}: unknown keys {sorted(unknown)}")
    score = spec.get("score", 1.0)
    if not isinstance(score, int | float) or not 0.0 <= score <= 1.0:
        raise LexiconError(f"{where}: score must be a number from 0 to 1, got {score!r}")
    try:
        roles = frozenset(Role(role) for role in spec.get("roles", ["user"]))
    except ValueError as exc:
        raise LexiconError(f"{where}: {exc}") from exc
    patterns = tuple(
        _compile_pattern(where, source, vocab, check=check)
        for source in _as_strings(lexicon, f"{name}.patterns", spec.get("patterns", []))
    )
    return Family(
        name=name,
        kind=str(spec.get("kind", name)),
        score=float(score),
        roles=roles,
        vetoes=tuple(_as_strings(lexicon, f"{name}.vetoes", spec.get("vetoes", []))),
        patterns=patterns,
    )


def _compile_pattern(
    where: str, source: str, vocab: Mapping[str, list[str]], *, check: bool
) -> CompiledPattern:
    items = _split_items(where, source)
    if not any(_is_required(item) for item in items):
        raise LexiconError(f"{where}: pattern {source!r} needs at least one required word")
    regex = _regex(where, source, items, vocab, check=check)
    if items[0] == "^":
        return CompiledPattern(regex, Mode.AT_START, frozenset())
    first = _keyed_alternatives(items[0], vocab) if _is_required(items[0]) else None
    rarest = _rarest_anchors([item for item in items[1:] if _is_required(item)], vocab)
    if first is not None and not (
        first.keys() & _COMMON_WORDS and rarest and not rarest & _COMMON_WORDS
    ):
        # Tried where one of its first words begins: its first item is a trie of words, so a
        # match attempt there reads one word, whichever first word it is.
        next_words = {
            key: starts
            for key, alternatives in first.items()
            if (starts := _second_word_starts(tuple(alternatives))) is not None
        }
        needs = _needs(items[1:], vocab)
        return CompiledPattern(regex, Mode.AT_WORDS, frozenset(first), next_words, needs)
    needs = _needs(items, vocab)
    anchors = _rarest_anchors([item for item in items if _is_required(item)], vocab)
    if anchors is not None:
        return CompiledPattern(regex, Mode.GATED, anchors, needs=needs)
    if (chars := _CHAR_CLASS.fullmatch(items[0])) is not None:
        return CompiledPattern(regex, Mode.CHARS, frozenset(chars.group(1)), needs=needs)
    return CompiledPattern(regex, Mode.ALWAYS, frozenset(), needs=needs)


def _needs(items: list[str], vocab: Mapping[str, list[str]]) -> tuple[frozenset[str], ...]:
    """``CompiledPattern.needs`` of these items: the word starts of each required one."""
    found: set[frozenset[str]] = set()
    for item in items:
        alternatives = _alternatives(item, vocab) if _is_required(item) else None
        if alternatives is not None:
            phrases = tuple(alternatives)
            for starts in (_first_word_starts(phrases), _second_word_starts(phrases)):
                if starts is not None:
                    found.add(starts)
    # Fewest starts first: the likeliest to be missing, so a failing check stops early.
    return tuple(sorted(found, key=lambda starts: (len(starts), sorted(starts))))


def _word_starts(item: str, vocab: Mapping[str, list[str]]) -> frozenset[str] | None:
    r"""The first three letters of every word that can begin a match of a required item.

    A required item is preceded in its regex by the pattern's opening boundary, ``^[\W_]*``,
    or a separator, all ending on a character that is not a letter or digit, so each
    alternative's literal head (``[a-z0-9]+``) begins one of the text's words (``[^\W_]+``)
    and is a prefix of it. ``None`` (no requirement) when some alternative has no such head,
    or one shorter than three letters that may go on ("do\w*").
    """
    alternatives = _alternatives(item, vocab)
    return None if alternatives is None else _first_word_starts(tuple(alternatives))


@cache  # vocabulary lists recur in many patterns
def _first_word_starts(alternatives: tuple[str, ...]) -> frozenset[str] | None:
    starts = [_start(alternative) for alternative in alternatives]
    return frozenset(start for start in starts if start is not None) if all(starts) else None


@cache
def _second_word_starts(alternatives: tuple[str, ...]) -> frozenset[str] | None:
    """The starts of the second words when every alternative is a plain phrase of two or more.

    In a phrase ("lost my job") a separator, which never holds a letter or digit, comes before
    each further word, so the second word too begins a word of the text.
    """
    if not alternatives or not all(_PLAIN_WORD.fullmatch(phrase) for phrase in alternatives):
        return None
    starts = set()
    for phrase in alternatives:
        first, _, rest = phrase.partition(" ")
        # "can't afford" is the words "can", "t", "afford", and also "cant", "afford": only a
        # first word of letters and digits alone is followed by the phrase's second word.
        second = _start(rest) if rest and first.isalnum() else None
        if second is None:
            return None
        starts.add(second)
    return frozenset(starts)


def _alternatives(item: str, vocab: Mapping[str, list[str]]) -> list[str] | None:
    """The item's alternatives, when they can be told apart safely."""
    macro = _MACRO.fullmatch(item)
    if macro:
        return vocab[macro.group(1)]
    if _is_group(item):
        body = item[3:-1] if item.startswith("(?:") else item[1:-1]
        if body.startswith("?") or "[" in body or "\\" in body:
            return None  # a lookaround, a flag, or a "|" that may not split alternatives
        return _top_level_alternatives(body)
    return [item]


def _start(alternative: str) -> str | None:
    """The first three letters of the word where a match of ``alternative`` begins, if sure."""
    head = _LITERAL_HEAD.match(alternative)
    if head is None:
        return None
    literal, rest = head.group(), alternative[head.end() :]
    if rest[:1] in {"?", "*", "{"}:  # the last letter is optional: not part of the head
        literal = literal[:-1]
    if "|" in rest or not literal:
        return None  # an alternation after the head: the head alone is not required
    if len(literal) >= ANCHOR_LENGTH:
        return literal[:ANCHOR_LENGTH]
    if rest == "" or rest[0] in _WORD_ENDS:
        # A short whole word ("to", "id"): what follows an item is a separator or the end,
        # so the word is all of a word of the text, whose first three letters are itself.
        return literal
    return None  # "do\w*", or "i'm", also matched as "im": a short prefix


_WORD_ENDS = frozenset(" -&/")
"""Characters after a literal head that end a word of the text (an apostrophe does not: every
contraction is also matched without it)."""


compiled = cache(re.compile)
"""``re.compile`` kept for the whole process: patterns recur across roles and scanners, and
``re``'s own cache holds only a few hundred."""


def _regex(
    where: str, source: str, items: list[str], vocab: Mapping[str, list[str]], *, check: bool
) -> _Source:
    if not check:
        return _Source(where, items, vocab)
    regex = _regex_source(where, items, vocab)
    try:
        compiled(regex)
    except re.error as exc:
        message = f"{where}: pattern {source!r} is not a valid expression: {exc}"
        raise LexiconError(message) from exc
    return _Source.built(regex)


def _regex_source(where: str, items: list[str], vocab: Mapping[str, list[str]]) -> str:
    parts: list[str] = []
    # Separators go before each item once a required word has matched, and after each item
    # before that, so optional items at either end never leave a dangling separator.
    started = False
    separator = SEP  # a "~~N" gap lets the next separator cross punctuation too
    for item in items:
        if item == "^":
            # Possessive: what follows starts at the first word character. A backtracking
            # [\W_]* before a pattern that can also cross punctuation (".*?") made a turn of
            # 4,000 punctuation marks or emoji cost time quadratic in its length (~0.4 s).
            parts.append(r"^[\W_]*+")
            started = False
        elif item == "$":
            parts.append(r"[\W_]*$")
        elif gap := _GAP.fullmatch(item):
            separator = _ANY_SEP if gap.group(1) else SEP
            word = f"{separator}{_WORD_RUN}" if started else f"{_WORD_RUN}{separator}"
            parts.append(f"(?:{word}){{0,{gap.group(2)}}}?")
            continue
        elif _is_optional(item) or _is_repeated(item):
            body = _expand(where, item[:-1], vocab)
            word = f"{separator}{body}" if started else f"{body}{separator}"
            parts.append(f"(?:{word})?" if _is_optional(item) else f"(?:{word}){{0,{_MAX_REPEAT}}}")
            continue  # an optional item may be absent: the separator rule carries on past it
        else:
            body = _expand(where, item, vocab)
            parts.append(f"{separator}{body}" if started else body)
            started = True
        separator = SEP
    return r"(?<![^\W_])" + "".join(parts) + r"(?![^\W_])"


def _split_items(where: str, source: str) -> list[str]:
    """Split a pattern on the spaces outside parentheses and character classes."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    in_class = escaped = False
    for char in source:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char.isspace() and depth == 0:
            if current:
                items.append("".join(current))
                current = []
            continue
        current.append(char)
    if depth != 0 or in_class:
        raise LexiconError(f"{where}: pattern {source!r} has unbalanced brackets")
    if current:
        items.append("".join(current))
    return items


def _is_required(item: str) -> bool:
    return not (
        item in {"^", "$"} or _GAP.fullmatch(item) or _is_optional(item) or _is_repeated(item)
    )


def _is_repeated(item: str) -> bool:
    return item.endswith("}*") and _MACRO.fullmatch(item[:-1]) is not None


def _is_optional(item: str) -> bool:
    body = item[:-1]
    if not item.endswith("?") or not body:
        return False
    return _MACRO.fullmatch(body) is not None or _is_group(body)


def _is_group(item: str) -> bool:
    """Whether ``item`` is one parenthesised group, e.g. ``(?:my|our)``."""
    if not (item.startswith("(") and item.endswith(")")):
        return False
    depth = 0
    for position, char in enumerate(item):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0 and position < len(item) - 1:
                return False
    return True


def _expand(where: str, item: str, vocab: Mapping[str, list[str]]) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in vocab:
            raise LexiconError(f"{where}: unknown vocabulary {{{key}}}")
        return _alternation(vocab[key])

    # Spaces inside a group, e.g. "(?:has been|was)", separate words like spaces outside.
    return _MACRO.sub(replace, item).replace(" ", SEP)


def _alternation(words: Sequence[str]) -> str:
    """One regex for a word list: plain words as a trie, the rest as they are.

    ``re`` tries the branches of an alternation one by one, so a list of a hundred words costs
    a hundred comparisons at every position tried. As a trie ("ta(?:lk(?:s|ing)?|ke)") it
    costs the length of the word. Longer words win over their prefixes ("real estate" over
    "real"), as greedy branches come first.
    """
    # Vocabulary lists recur in many patterns: build each regex once.
    return _alternation_of(tuple(words))


@cache
def _alternation_of(words: tuple[str, ...]) -> str:
    plain = [word for word in words if _PLAIN_WORD.fullmatch(word)]
    # People drop apostrophes ("didnt", "im"): every contraction also matches without one.
    plain += [word.replace("'", "") for word in plain if "'" in word]
    other = sorted(
        (word for word in words if not _PLAIN_WORD.fullmatch(word)), key=len, reverse=True
    )
    branches = [word.replace(" ", SEP) for word in other]
    if plain:
        branches.insert(0, _trie_regex(_trie(plain)))
    return "(?:" + "|".join(branches) + ")"


_PLAIN_WORD = re.compile(r"[a-z0-9' -]+")
_END = ""


def _trie(words: Iterable[str]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[_END] = {}
    return root


def _trie_regex(node: Mapping[str, Any]) -> str:
    ends_here = _END in node
    branches = [
        (SEP if char == " " else re.escape(char)) + _trie_regex(child)
        for char, child in sorted(node.items())
        if char != _END
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends_here:
        return f"(?:{body})?"
    return body


def _rarest_anchors(required: list[str], vocab: Mapping[str, list[str]]) -> frozenset[str] | None:
    """The most selective anchor set among required items.

    A match contains every required item, so any of them can gate the pattern; the one with
    the fewest (and least common) keys lets it run least often.
    """
    best: frozenset[str] | None = None
    best_cost = 0
    for item in required:
        keyed = _keyed_alternatives(item, vocab)
        if keyed is None:
            continue
        anchors = frozenset(keyed)
        cost = len(anchors) + _COMMON_PENALTY * len(anchors & _COMMON_WORDS)
        if best is None or cost < best_cost:
            best, best_cost = anchors, cost
    return best


def _keyed_alternatives(item: str, vocab: Mapping[str, list[str]]) -> dict[str, list[str]] | None:
    r"""The item's alternatives grouped by the key a turn must contain for each to match.

    A complete word is keyed by itself ("can" for "can't ...", so "cancel" does not wake it);
    a word with a wildcard ending by its first three letters and ``*`` ("frustrat\w*" ->
    "fru*"). ``None`` when some alternative starts with a wildcard.
    """
    macro = _MACRO.fullmatch(item)
    if macro:
        alternatives = vocab[macro.group(1)]
    elif _is_group(item):
        alternatives = _top_level_alternatives(item[3:-1] if item.startswith("(?:") else item[1:-1])
    else:
        alternatives = [item]
    return _keyed(tuple(alternatives))


@cache
def _keyed(alternatives: tuple[str, ...]) -> dict[str, list[str]] | None:
    """``_keyed_alternatives`` of a list of alternatives, each list keyed once.

    Vocabulary lists recur in many patterns. Shared: callers read the result, never change it.
    """
    keyed: dict[str, list[str]] = {}
    for alternative in alternatives:
        head = _LITERAL_HEAD.match(alternative)
        if head is None:
            return None
        literal = head.group()
        rest = alternative[head.end() :]
        if rest[:1] in {"?", "*", "{"}:  # the last letter is optional: not part of the key
            literal = literal[:-1]
            rest = "?"
        if "|" in rest or "(" in rest.split(" ")[0]:
            return None  # an alternation right after the head: the head alone is not required
        # The word ends where a space, apostrophe, hyphen or escaped punctuation ("f\\*+") follows.
        if (
            rest == ""
            or rest[:1] in {" ", "'", "-"}
            or (rest[:1] == "\\" and not rest[1:2].isalnum())
        ):
            key = literal
        elif len(literal) >= ANCHOR_LENGTH:
            key = literal[:ANCHOR_LENGTH] + PREFIX_MARK
        else:
            return None
        keyed.setdefault(key, []).append(alternative)
    return keyed


def _top_level_alternatives(body: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for char in body:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "|" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


# The most frequent words: a pattern keyed on them would be tried on most turns.
_COMMON_WORDS = frozenset(
    [
        "i",
        "my",
        "me",
        "a",
        "an",
        "the",
        "to",
        "it",
        "is",
        "can",
        "do",
        "don",
        "not",
        "no",
        "you",
        "your",
        "and",
        "of",
        "in",
        "for",
        "on",
        "this",
        "that",
        "what",
        "how",
        "have",
        "was",
        "are",
        "be",
        "with",
        "so",
        "get",
        "just",
        "we",
        "our",
        "at",
        "if",
        "or",
        "will",
        "would",
        "please",
        "yes",
        "there",
        "they",
        "all",
        "any",
        "one",
        "t",
        "s",
        "m",
        "ve",
        "ll",
        "re",
        "d",
    ]
)
_COMMON_PENALTY = 10


def _as_strings(lexicon: str, where: str, value: Any) -> list[str]:
    if not isinstance(value, list):
        raise LexiconError(f"lexicon {lexicon}: {where} must be a list of strings")
    for position, item in enumerate(value, start=1):
        if not isinstance(item, str):
            hint = (
                " (YAML reads yes/no/on/off as booleans: quote it)"
                if isinstance(item, bool)
                else ""
            )
            raise LexiconError(
                f"lexicon {lexicon}: {where} item {position} must be a string, got {item!r}{hint}"
            )
    return value
