"""Deprecated alias of the policy's decision step: import it from ``escalate.policy``.

The step moved to ``escalate.policy._step`` (issue 20): "engine" now means the ``Escalator``
module (``escalate.engine``) alone. This module goes in a later 0.x release.
"""

import warnings

from escalate.policy._step import (
    Verdict,
    all_cues,
    apply_outcome,
    decide,
    policy_step,
    record_decline,
    remember_verdict,
    rule_facts,
)

__all__ = [
    "Verdict",
    "all_cues",
    "apply_outcome",
    "decide",
    "policy_step",
    "record_decline",
    "remember_verdict",
    "rule_facts",
]

warnings.warn(
    "escalate.policy.engine is deprecated: import policy_step, decide and the rest from"
    " escalate.policy",
    DeprecationWarning,
    stacklevel=2,
)
