"""The intent scorers' training data: BANKING77 intents, with calm language around them.

One binary model so far, ``fraud``:

- BANKING77 (Casanueva et al. 2020, CC BY 4.0) requests about a card payment or a cash
  withdrawal the customer does not recognise, or a compromised card -> 1;
- every other BANKING77 request, CamRest676 user turns (CC BY 4.0) and GoEmotions comments
  (CC BY 4.0, weighed lightly: everyday language that mentions cards, money or codes without a
  support problem) -> 0;
- a few lines of our own (``OWN``): routine questions about the customer's own payments and
  withdrawals -> 0 (BANKING77's routine intents here name none), and a few reports -> 1.

Held out as for the stress scorer (``stress_data.held_out``): one fifth of every source.

A ``locked_out`` model (customers who cannot verify their identity) was tried and left out:
BANKING77's 102 examples did not teach it "I can't verify" apart from "how do I verify", and it
found no held-out case the security lexicon missed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from stress_data import Example, camrest, held_out, read_lines

if TYPE_CHECKING:
    from pathlib import Path

INTENTS: Final = {
    "fraud": frozenset(
        {"card_payment_not_recognised", "cash_withdrawal_not_recognised", "compromised_card"}
    ),
}
"""Each model and the BANKING77 intents it learns to recognise."""


# Our own lines (not from any dataset). The BANKING77 requests here hold no routine intents about
# payments or withdrawals, so to the model every payment would be a fraud report: these routine
# questions about the customer's own payments, and a few reports, say otherwise.
OWN: Final = {
    "fraud": (
        ("my card payment failed twice", 0),
        ("why was my payment declined at the shop?", 0),
        ("my payment is still pending, when will it go through?", 0),
        ("how do I make a payment to my credit card?", 0),
        ("I paid with my card but the shop says the payment did not arrive", 0),
        ("the payment I made yesterday shows the wrong amount", 0),
        ("can I cancel a card payment I made this morning?", 0),
        ("is there a fee for paying by card abroad?", 0),
        ("I withdrew cash but the machine gave me less than I asked for", 0),
        ("how much can I withdraw from a cash machine in a day?", 0),
        ("my cash withdrawal was charged twice", 0),
        ("I was charged a fee for my withdrawal", 0),
        ("when will my refund reach my card?", 0),
        ("I made a payment to the wrong account by mistake", 0),
        ("my direct debit payment bounced", 0),
        ("a payment I set up did not go out", 0),
        ("there is a payment on my card I did not make", 1),
        ("someone took cash out of my account and it was not me", 1),
        ("I think a stranger has my card details", 1),
        ("I do not know this shop, I never paid them", 1),
    ),
}
"""Each model's own lines: (text, 1 if it reports the intent)."""


def own(model: str) -> list[Example]:
    """The hand-written lines for ``model``, always trained on."""
    return [
        Example(f"own-{model}-{i}", text, label, "own")
        for i, (text, label) in enumerate(OWN[model])
    ]


def banking77(data: Path, model: str) -> list[Example]:
    """Every BANKING77 request: 1 when its intent is one of ``model``'s."""
    positive = INTENTS[model]
    return [
        Example(str(row["id"]), str(row["text"]), int(row.get("label") in positive), "banking77")
        for row in read_lines(data / "real" / "utterances.jsonl")
        if row.get("source") == "banking77"
    ]


def background(data: Path) -> list[Example]:
    """GoEmotions comments, all as 0: language outside support requests."""
    return [
        Example(str(row["id"]), str(row["text"]), 0, "goemotions")
        for row in read_lines(data / "ext" / "goemotions_utterances.jsonl")
        if row.get("source") == "goemotions"
    ]


def split(data: Path, model: str) -> tuple[list[Example], list[Example]]:
    """(training, held-out) examples for ``model``, in a fixed order."""
    train: list[Example] = own(model)
    held: list[Example] = []
    for example in [*banking77(data, model), *camrest(data), *background(data)]:
        (held if held_out(example.key) else train).append(example)
    return train, held
