"""Run every lexicon over a turn in one pass, in microseconds.

A turn is matched against a few hundred patterns. Running each with ``re`` would cost far more
than the rest of the engine, so a *prefilter* first finds the few patterns that can match, and
only those run with ``re`` (whose results, spans and semantics are the reference):

- by default, patterns are indexed by the words that can start them (``CompiledPattern.anchors``)
  and tried only where such a word begins; a pattern's regex is compiled when first tried.
- with ``engine="re2"`` (google-re2, ``escalate[fast]``), all patterns of a role sit in one
  ``re2.Set`` that reports, in a single linear pass, which of them match somewhere. The RE2
  versions of the patterns drop word-boundary and lookaround checks, so they match a superset;
  ``re`` then decides. Once ``Set.Compile()`` succeeds, RE2 cannot fail at match time (set
  matching never bails out of its DFA), so a miss is never silent; lone surrogates, which have
  no UTF-8 form, are shown to RE2 as U+FFFD.

Both give identical matches (a property test holds them to it). The pure-Python prefilter is
the default even with RE2 installed: on text seen for the first time, which is most of a
service's traffic, RE2 builds its automaton's states as it goes and a turn cost twice as much
(``benchmarks/bench_turn.py``); it was faster only on text it had seen before.
"""

from __future__ import annotations

import itertools
import operator
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Protocol

from escalate.exceptions import MissingDependencyError
from escalate.models import Role
from escalate.signals._lexicon import (
    ANCHOR_LENGTH,
    PREFIX_MARK,
    CompiledPattern,
    Family,
    Lexicon,
    LexiconMatch,
    Mode,
)
from escalate.signals._literals import required_strings

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from escalate.core import AnalysedText

__all__ = ["Scanner", "re2_available"]

Engine = Literal["auto", "re2", "python"]
_Spans = dict[tuple[str, str], list[tuple[int, int]]]
_PREFIX_OF = operator.itemgetter(slice(0, ANCHOR_LENGTH))
_START = operator.methodcaller("start")
_RE2_MEMORY = 256 << 20
"""RE2's budget: compiled program plus DFA state cache, allocated only as needed."""
_WORD = re.compile(r"[^\W_]+")
"""A word of the text, as the analyser splits ``AnalysedText.tokens`` off ``scan``."""
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_UNKNOWN: Any = object()


@cache
def _re2() -> Any:
    """The ``re2`` module, or ``None``; imported on first use so ``import escalate`` stays light."""
    try:
        import re2  # noqa: PLC0415 - optional accelerator, escalate[fast]
    except ImportError:
        return None
    return re2


def re2_available() -> bool:
    """Whether the RE2 prefilter (``escalate[fast]``) can be used."""
    return _re2() is not None


@dataclass(frozen=True, slots=True, eq=False)
class _Entry:
    lexicon: str
    family: Family
    pattern: CompiledPattern

    @property
    def regex(self) -> re.Pattern[str]:
        return self.pattern.regex


class _Site:
    """A pattern at one of its first words: what a turn needs for it to be tried there."""

    __slots__ = ("all_needs", "entry", "needs", "regex", "second")

    def __init__(self, entry: _Entry, key: str) -> None:
        pattern = entry.pattern
        self.entry = entry
        self.second = pattern.next_words.get(key)
        """``CompiledPattern.next_words`` for this word: the word right after it starts so."""
        self.needs = pattern.needs
        self.all_needs = pattern.needs if self.second is None else (self.second, *self.needs)
        """Both: what the turn's words must hold anywhere."""
        self.regex: re.Pattern[str] | None = None
        """The whole pattern's regex, compiled the first time it is tried (shared by its
        words)."""


class _Prefilter(Protocol):
    def collect(self, text: AnalysedText, spans: _Spans) -> None: ...


class Scanner:
    """Runs several lexicons over a turn; detectors share one scan per turn via ``TurnContext``.

    Args:
        lexicons: the lexicons to run.
        engine: ``"python"``, ``"re2"`` (needs ``escalate[fast]``), or ``"auto"``: the
            pure-Python prefilter, the faster on text not seen before (see the module's notes).
    """

    def __init__(self, lexicons: Iterable[Lexicon], engine: Engine = "auto") -> None:
        self.lexicons = {lexicon.name: lexicon for lexicon in lexicons}
        if engine == "re2" and not re2_available():
            raise MissingDependencyError("the RE2 scanner", "fast")
        self.engine: Literal["re2", "python"] = "re2" if engine == "re2" else "python"
        patterns: dict[Role, list[tuple[_Entry, CompiledPattern]]] = {role: [] for role in Role}
        for lexicon in self.lexicons.values():
            for family in lexicon.families.values():
                for pattern in family.patterns:
                    for role in family.roles:
                        patterns[role].append((_Entry(lexicon.name, family, pattern), pattern))
        build = _Re2Prefilter if self.engine == "re2" else _KeyedPrefilter
        self._prefilters: dict[Role, _Prefilter] = {role: build(patterns[role]) for role in Role}

    def scan(self, text: AnalysedText, role: Role) -> dict[str, list[LexiconMatch]]:
        """Every lexicon's matches in ``text`` (families read on ``role`` turns), vetoes applied."""
        spans: _Spans = {}
        self._prefilters[role].collect(text, spans)
        if not spans:
            return {}
        return self._matches(spans, text)

    def _matches(self, spans: _Spans, text: AnalysedText) -> dict[str, list[LexiconMatch]]:
        hits: dict[str, dict[str, list[LexiconMatch]]] = {}
        raw = text.raw
        for (lexicon, family_name), family_spans in spans.items():
            family = self.lexicons[lexicon].families[family_name]
            trimmed = [_trim(raw, start, end) for start, end in family_spans]
            kept = _longest_disjoint(trimmed) if len(trimmed) > 1 else trimmed
            hits.setdefault(lexicon, {})[family_name] = [
                LexiconMatch(
                    family.name, family.kind, family.score, start, end, text.raw[start:end]
                )
                for start, end in kept
            ]
        result = {}
        for lexicon, by_family in hits.items():
            for family_name in list(by_family):
                family = self.lexicons[lexicon].families[family_name]
                for vetoed in family.vetoes:
                    if vetoed in by_family:
                        vetoes = by_family[family_name]
                        by_family[vetoed] = _unvetoed(by_family[vetoed], vetoes)
            result[lexicon] = sorted(
                (hit for family_hits in by_family.values() for hit in family_hits),
                key=lambda hit: (hit.start, hit.family),
            )
        return result


class _Re2Prefilter:
    """One RE2 set of every pattern: a linear pass names the few that can match."""

    def __init__(self, patterns: list[tuple[_Entry, CompiledPattern]]) -> None:
        re2 = _re2()
        options = re2.Options()
        options.max_mem = _RE2_MEMORY
        options.log_errors = False
        self._set = re2.Set.SearchSet(options)
        self._entries: list[_Entry] = []
        self._always: list[_Entry] = []
        for entry, _ in patterns:
            try:
                self._set.Add(_re2_source(entry.pattern.source))
            except (re2.error, ValueError):
                # Syntax RE2 lacks (say, a back-reference in a custom lexicon): run it every turn.
                self._always.append(entry)
            else:
                self._entries.append(entry)
        self._empty = not self._entries
        if not self._empty:
            self._set.Compile()

    def collect(self, text: AnalysedText, spans: _Spans) -> None:
        scan = text.scan
        candidates = () if self._empty else (self._match(scan) or ())
        for entry in [*(self._entries[i] for i in candidates), *self._always]:
            for hit in entry.regex.finditer(scan):
                _record(spans, entry, text.raw_span(*hit.span()))

    def _match(self, scan: str) -> list[int] | None:
        try:
            return self._set.Match(scan)  # type: ignore[no-any-return]
        except UnicodeEncodeError:
            # A lone surrogate (valid JSON, "\ud800") has no UTF-8 form, which RE2 needs. The
            # set only names candidates and re then runs on the text as it is, so any stand-in
            # the RE2 patterns match wherever Python's match a surrogate keeps the superset:
            # U+FFFD, one code point (same length, so nothing shifts), non-ASCII, not a word.
            return self._set.Match(_SURROGATE.sub("\ufffd", scan))  # type: ignore[no-any-return]


class _KeyedPrefilter:
    """Patterns indexed by the words that can start them (pure Python).

    Each pattern is tried (``match``) only where one of its first words begins, and only when the
    text also holds a word that can begin each of its other required items
    (``CompiledPattern.needs``). Patterns whose first word is too common are scanned only when a
    rarer word they need occurs.
    """

    def __init__(self, patterns: list[tuple[_Entry, CompiledPattern]]) -> None:
        at_words: dict[str, list[_Site]] = {}
        self._gated: dict[str, list[_Entry]] = {}
        self._at_start: list[_Entry] = []
        self._always: list[_Entry] = []
        self._by_char: list[tuple[frozenset[str], _Entry]] = []
        for entry, pattern in patterns:
            if pattern.mode is Mode.AT_START:
                self._at_start.append(entry)
            elif pattern.mode is Mode.ALWAYS:
                self._always.append(entry)
            elif pattern.mode is Mode.CHARS:
                self._by_char.append((pattern.anchors, entry))
            elif pattern.mode is Mode.GATED:
                for anchor in pattern.anchors:
                    self._gated.setdefault(anchor, []).append(entry)
            else:
                for anchor in pattern.anchors:
                    at_words.setdefault(anchor, []).append(_Site(entry, anchor))
        self._words = _keys_of(at_words)
        self._gate_words = _keys_of(self._gated)
        # Compiling every pattern took about half a second at start-up, for patterns of which
        # a process meets a fraction: each is compiled the first time a turn can match it.
        self._site_sources = at_words
        self._any_at_start = _any_of(self._at_start) if self._at_start else None
        # Scanned patterns that cannot match are skipped by a substring check (_literals.py).
        self._required: dict[_Entry, frozenset[str] | None] = {}

    def collect(self, text: AnalysedText, spans: _Spans) -> None:
        scan = text.scan
        words = set(text.tokens)
        prefixes = set(map(_PREFIX_OF, words))
        exact, by_prefix = self._words
        at_words: dict[_Entry, list[tuple[int, int]]] = {}
        keys = [*(words & exact), *(prefix + PREFIX_MARK for prefix in prefixes & by_prefix)]
        where: _Words | None = None
        disjoint = prefixes.isdisjoint
        for key in keys:
            # Every need met by some word of the turn: set operations, no regex.
            live = [
                site for site in self._site_sources[key] if not any(map(disjoint, site.all_needs))
            ]
            if live:
                where = _Words(scan, text.tokens, prefixes) if where is None else where
                where.try_at(key, live, at_words)
        for entry, found in at_words.items():
            for span in _leftmost(found):
                _record(spans, entry, text.raw_span(*span))
        gate_exact, gate_prefix = self._gate_words
        scanned = list(self._always)
        for key in words & gate_exact:
            scanned.extend(self._gated[key])
        for prefix in prefixes & gate_prefix:
            scanned.extend(self._gated[prefix + PREFIX_MARK])
        if not scan.isascii():
            scanned.extend(entry for chars, entry in self._by_char if not chars.isdisjoint(scan))
        if self._any_at_start is not None and self._any_at_start.match(scan) is not None:
            for entry in self._at_start:
                hit = entry.regex.match(scan)
                if hit is not None:
                    _record(spans, entry, text.raw_span(*hit.span()))
        entries = set(scanned) if len(scanned) > 1 else scanned
        self._scan_across(entries, text, prefixes, spans)

    def _scan_across(
        self, entries: Iterable[_Entry], text: AnalysedText, starts: set[str], spans: _Spans
    ) -> None:
        scan = text.scan
        disjoint = starts.isdisjoint
        for entry in entries:
            if any(map(disjoint, entry.pattern.needs)) or not self._may_match(entry, scan):
                continue
            for hit in entry.regex.finditer(scan):
                _record(spans, entry, text.raw_span(*hit.span()))

    def _may_match(self, entry: _Entry, scan: str) -> bool:
        """Whether ``scan`` holds one of the strings every match of ``entry`` contains."""
        required = self._required.get(entry, _UNKNOWN)
        if required is _UNKNOWN:
            # Read off the pattern when it is first scanned, as its regex is compiled then too.
            required = self._required[entry] = required_strings(entry.pattern.source)
        return required is None or any(map(scan.__contains__, required))


class _Words:
    r"""A turn's words in order, and where each begins, to try patterns at.

    The words are ``[^\W_]+`` runs, so a word ``w`` begins at ``p`` exactly where
    ``w(?<![^\W_]w)(?![^\W_])`` would match (``w*`` keys: without the lookahead).
    """

    __slots__ = ("_heads", "_last", "_offsets", "_prefixes", "_scan", "_tokens")

    def __init__(self, scan: str, tokens: tuple[str, ...], prefixes: set[str]) -> None:
        self._scan = scan
        self._tokens = tokens
        """The words of ``scan`` (``AnalysedText.tokens``: the same split)."""
        self._prefixes = prefixes
        self._heads = [token[:ANCHOR_LENGTH] for token in tokens]
        """Each word's first three letters, in order."""
        self._last = dict(zip(self._heads, range(len(tokens)), strict=True))
        """The last word with those first three letters (a later pair overwrites)."""
        self._offsets: list[int] | None = None

    def _places(self, key: str) -> list[tuple[int, int]]:
        """Where words with key ``key`` begin in ``scan``, and their index."""
        if key.endswith(PREFIX_MARK):
            head = key[:ANCHOR_LENGTH]
            indices = [index for index, start in enumerate(self._heads) if start == head]
        else:
            indices = [index for index, token in enumerate(self._tokens) if token == key]
        if self._offsets is None:
            self._offsets = list(map(_START, _WORD.finditer(self._scan)))
            if len(self._offsets) != len(self._tokens):
                # An analyser whose corrections are not single words: split ``scan`` itself.
                self._tokens = tuple(_WORD.findall(self._scan))
                self._heads = list(map(_PREFIX_OF, self._tokens))
                self._last = dict(zip(self._heads, range(len(self._heads)), strict=True))
                self._prefixes = set(self._heads)
                return self._places(key)
        offsets = self._offsets
        return [(offsets[index], index) for index in indices]

    def try_at(
        self, key: str, live: list[_Site], found: dict[_Entry, list[tuple[int, int]]]
    ) -> None:
        """Try each pattern where one of its first words begins and its other words can follow.

        Only patterns whose other words the text holds get here (``CompiledPattern.needs``),
        and only where the words they need come after the first (a phrase's second word right
        after it, ``CompiledPattern.next_words``): most words that can start a pattern start
        none in a given text, and compiling their regexes on first sight was most of a cold
        turn's cost.
        """
        scan, heads = self._scan, self._heads
        for position, index in self._places(key):
            following = heads[index + 1] if index + 1 < len(heads) else ""
            for site in live:
                second = site.second
                if second is not None and following not in second:
                    continue
                if site.needs and not self._after(index, site.needs):
                    continue
                regex = site.regex
                if regex is None:
                    regex = site.regex = site.entry.regex
                hit = regex.match(scan, position)
                if hit is not None:
                    found.setdefault(site.entry, []).append(hit.span())

    def _after(self, index: int, needs: tuple[frozenset[str], ...]) -> bool:
        """Whether words after word ``index`` meet every one of ``needs``.

        A pattern's items match one after another, each beginning a word after the last.
        """
        last, prefixes = self._last, self._prefixes
        # ``prefixes`` are the first three letters of the same words: each is a key of ``last``.
        latest = last.__getitem__
        return all(max(map(latest, need & prefixes), default=-1) > index for need in needs)


def _any_of(entries: Iterable[_Entry]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{entry.pattern.source})" for entry in entries))


def _keys_of(index: Mapping[str, object]) -> tuple[frozenset[str], frozenset[str]]:
    """Split index keys into whole words and (unmarked) three-letter prefixes."""
    exact = frozenset(key for key in index if not key.endswith(PREFIX_MARK))
    prefixes = frozenset(
        key.removesuffix(PREFIX_MARK) for key in index if key.endswith(PREFIX_MARK)
    )
    return exact, prefixes


def _leftmost(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """What ``finditer`` would return from these matches: leftmost first, never overlapping.

    A pattern can only match where a word begins, and ``match`` there gives what ``finditer``
    would (a pattern tried at one place for two of its keys, "cancel" and "can*", gives the
    same match twice).
    """
    kept: list[tuple[int, int]] = []
    for start, end in sorted(found, key=lambda span: (span[0], -span[1])):
        if not kept or start >= kept[-1][1]:
            kept.append((start, end))
    return kept


def _trim(raw: str, start: int, end: int) -> tuple[int, int]:
    """Evidence quotes words: drop the spaces and punctuation a match may start or end with."""
    first, last = start, end
    while first < last and not raw[first].isalnum():
        first += 1
    while last > first and not raw[last - 1].isalnum():
        last -= 1
    return (first, last) if first < last else (start, end)


def _record(spans: _Spans, entry: _Entry, span: tuple[int, int]) -> None:
    spans.setdefault((entry.lexicon, entry.family.name), []).append(span)


def _longest_disjoint(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Two phrasings of one family matching the same words are one piece of evidence: the longer.

    Longest first (then leftmost), a span is kept unless it overlaps one already kept. Linear in
    the text, not quadratic in the matches: a hit-dense turn has thousands of them.
    """
    ordered = sorted(set(spans))
    # Usually nothing overlaps (one pattern's finditer never does): keep them all.
    if all(end <= start for (_, end), (start, _) in itertools.pairwise(ordered)):
        return ordered
    origin = ordered[0][0]
    # Which kept span owns each character (a kept span's characters are its own), and where
    # kept empty spans sit. A span is checked and marked over its own characters only, and each
    # pattern's matches are disjoint, so the work is bounded by patterns x text length.
    width = max(end for _, end in ordered) - origin + 1
    owner = [-1] * width
    empty_at = [False] * width
    kept: list[tuple[int, int]] = []
    for start, end in sorted(ordered, key=lambda span: (span[0] - span[1], span[0])):
        first, last = start - origin, end - origin
        if first == last:
            # An empty span overlaps a span it lies strictly inside.
            inside = first > 0 and owner[first - 1] >= 0 and owner[first - 1] == owner[first]
            if not inside:
                empty_at[first] = True
                kept.append((start, end))
            continue
        if any(owner[i] >= 0 for i in range(first, last)) or any(
            empty_at[i] for i in range(first + 1, last)
        ):
            continue
        number = len(kept)
        for i in range(first, last):
            owner[i] = number
        kept.append((start, end))
    return sorted(kept)


def _unvetoed(hits: list[LexiconMatch], vetoes: list[LexiconMatch]) -> list[LexiconMatch]:
    """``hits`` that overlap none of ``vetoes``, in ``O((h + v) log v)``.

    A hit overlaps a veto that starts at or before it and ends after its start, or that starts
    inside it (an empty veto at the hit's start included).
    """
    ordered = sorted((veto.start, veto.end) for veto in vetoes)
    starts = [start for start, _ in ordered]
    reach = list(itertools.accumulate((end for _, end in ordered), max))
    kept = []
    for hit in hits:
        before = bisect_right(starts, hit.start)
        if before and reach[before - 1] > hit.start:
            continue
        inside = bisect_left(starts, hit.start)
        if inside < len(starts) and starts[inside] < hit.end:
            continue
        kept.append(hit)
    return kept


# Python's \w and \d are Unicode-aware; RE2's are ASCII-only, and its Unicode classes compile
# to large UTF-8 automata. The prefilter only needs to match at least as much as Python, so word
# characters become "ASCII word characters or anything beyond ASCII": compact, and never narrower.
# (\s needs nothing: the turn's text is folded, so its white space is plain ASCII.)
_BEYOND_ASCII = r"\x{80}-\x{10FFFF}"
_WORD_CHARS = rf"0-9A-Za-z_{_BEYOND_ASCII}"
_CLASS_TRANSLATIONS = (
    (r"[^\W_]", rf"[0-9A-Za-z{_BEYOND_ASCII}]"),
    (r"[\W_]", r"[^0-9A-Za-z]"),
    (r"[^\w", r"[^0-9A-Za-z_"),  # a negated class holding \w: non-ASCII may be either, keep it
)
_LOOKAROUND = re.compile(r"\(\?<?[=!]")


def _re2_source(pattern: str) -> str:
    """A version of a Python pattern that RE2 accepts and that matches at least as much.

    Lookarounds and word boundaries only ever *reject* matches, so dropping them keeps every
    match; character classes are widened to Python's Unicode meaning.
    """
    text = _drop_lookarounds(pattern)
    for python, re2 in _CLASS_TRANSLATIONS:
        text = text.replace(python, re2)
    out: list[str] = []
    index = 0
    class_start = -1  # index in text where the current character class began, if inside one
    while index < len(text):
        char = text[index]
        in_class = class_start >= 0
        if char == "\\" and index + 1 < len(text):
            out.append(_translate_escape(text[index + 1], in_class=in_class))
            index += 2
            continue
        if char == "[" and not in_class:
            class_start = index
        elif char == "]" and in_class and index > class_start + 1 + (text[class_start + 1] == "^"):
            class_start = -1
        elif char == "$" and not in_class:
            char = r"\n?\z"  # Python's $ also matches before a final newline
        elif char == "+" and not in_class and out and out[-1] in {"*", "+", "?", "}"}:
            # A possessive quantifier (Python 3.11) only gives up fewer matches than the
            # plain one; RE2 lacks it, and the plain one matches a superset.
            index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _translate_escape(escape: str, *, in_class: bool) -> str:
    if escape in "bB":
        return ""  # a word boundary only rejects: dropping it keeps every match
    if escape == "w":
        return _WORD_CHARS if in_class else f"[{_WORD_CHARS}]"
    if escape == "W":
        if in_class:
            raise ValueError("\\W inside a character class has no compact RE2 superset")
        return "[^0-9A-Za-z_]"
    if escape == "d":
        return f"0-9{_BEYOND_ASCII}" if in_class else f"[0-9{_BEYOND_ASCII}]"
    return "\\" + escape


def _drop_lookarounds(pattern: str) -> str:
    while (found := _LOOKAROUND.search(pattern)) is not None:
        end = _group_end(pattern, found.start())
        pattern = pattern[: found.start()] + pattern[end:]
    return pattern


def _group_end(pattern: str, start: int) -> int:
    """Index just after the group that opens at ``start``."""
    depth = 0
    index = start
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
        index += 1
    raise ValueError(f"unbalanced group at {start} in {pattern!r}")
