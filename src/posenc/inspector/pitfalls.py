"""The checks ``posenc inspect`` runs on a config: one rule each, registered in :data:`RULES`.

A rule is a small function of the :class:`Facts` of a report that returns its message when it fires and
``None`` when it does not; ``@rule(code, severity)`` registers it, and the report lists the messages in the
order the rules are defined here. Severities: ``warning`` (about the config: fix it or check it),
``info`` (how the method behaves) and ``note`` (about what someone might do with the model, such as casting
positions to bf16; shown apart from the warnings).

Adding a check is adding one decorated function::

    @rule("my_check", "warning")
    def _my_check(f: Facts) -> str | None:
        if f.rope_type == "linear" and f.factor > 64:
            return f"factor {f.factor:g} is larger than any real config uses"
        return None
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from posenc.encodings import rope, rope_types
from posenc.inspector.resolve import Resolved

#: an unscaled max_position_embeddings past this is rarely a length the model trained at
NOMINAL_LENGTH = 2**19
SEVERITIES = ("warning", "info", "note")


@dataclass(frozen=True)
class Facts:
    """What the rules read: the report of the primary (global layers') RoPE set and the figures they share.

    ``windowed``: every layer rotating with this RoPE set attends within a window no longer than the
    training length, so the relative distances RoPE encodes there never exceed the window, whatever the
    absolute position (the length warnings then do not apply).
    """

    report: dict[str, Any]
    res: Resolved
    primary: dict[str, Any]
    rope_type: str
    train: int
    target: int
    factor: float | None
    max_pos: int | None
    original: int | None
    windowed: bool

    @classmethod
    def of(cls, r: dict[str, Any], res: Resolved, primary: dict[str, Any]) -> Facts:
        params = rope.params_from_config(r["rope_config"])
        train = r["training_length"]
        windows = primary["windows"]
        return cls(
            report=r,
            res=res,
            primary=primary,
            rope_type=r["rope_type"],
            train=train,
            target=r["target_length"],
            factor=r["factor"],
            max_pos=res.rope_sets[r["primary_rope_set"]].get("max_position_embeddings"),
            original=params.scaling.get("original_max_position_embeddings"),
            windowed=bool(not primary["unwindowed_layers"] and windows and max(windows) - 1 <= train),
        )


@dataclass(frozen=True)
class Rule:
    """One check: its code (stable, shown in --json and the summary), severity and message function."""

    code: str
    severity: str
    check: Callable[[Facts], str | None]  # the message when the check fires, else None


#: every check, in the order the report lists what they find
RULES: list[Rule] = []


Check = Callable[[Facts], str | None]


def rule(code: str, severity: str) -> Callable[[Check], Check]:
    """Register the decorated function as the check ``code`` of ``severity``."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}, got {severity!r}")
    if any(r.code == code for r in RULES):
        raise ValueError(f"a pitfall rule with code {code!r} is already registered")

    def register(check: Check) -> Check:
        RULES.append(Rule(code, severity, check))
        return check

    return register


def pitfalls(r: dict[str, Any], res: Resolved, primary: dict[str, Any]) -> list[dict[str, str]]:
    """What every rule in :data:`RULES` finds in report ``r``: ``{"code", "severity", "message"}`` each."""
    facts = Facts.of(r, res, primary)
    out = []
    for each in RULES:
        message = each.check(facts)
        if message is not None:
            out.append({"code": each.code, "severity": each.severity, "message": message})
    return out


# --------------------------------------------------------------------------------------------------
# lengths: what the model saw in training against the length analysed
# --------------------------------------------------------------------------------------------------


@rule("windowed_rope", "info")
def _windowed_rope(f: Facts) -> str | None:
    if not f.windowed:
        return None
    return (
        f"every layer rotating with this RoPE attends at most {max(f.primary['windows']) - 1:,} tokens back "
        f"(≤ the training length {f.train:,}): the distances it encodes stay within what training covered, "
        "whatever the position"
    )


@rule("lengths_disagree", "warning")
def _lengths_disagree(f: Facts) -> str | None:
    factor, original, max_pos = f.factor, f.original, f.max_pos
    if not (
        f.rope_type == "yarn"
        and original
        and max_pos
        and max_pos != original
        and factor * original != max_pos
    ):
        return None
    return (
        f"factor × original_max_position_embeddings = {factor:g} × {original:,} = "
        f"{factor * original:,.0f}, "
        f"but max_position_embeddings is {max_pos:,}: transformers warns and uses the explicit factor "
        "(these "
        "frequencies), while servers that size the context from max_position_embeddings stop at "
        f"{max_pos:,}; make the two agree (for {factor:g}×, max_position_embeddings = "
        f"{factor * original:,.0f})"
    )


@rule("nominal_length", "warning")
def _nominal_length(f: Facts) -> str | None:
    large = f.max_pos and f.max_pos > NOMINAL_LENGTH
    explained = f.res.query_scaling or f.report.get("dual_chunk_attention")
    if not (f.rope_type == "default" and large and not explained):
        return None
    return (
        f"max_position_embeddings {f.max_pos:,} with no RoPE scaling: a length this large is often nominal "
        "(the size of a table, not a length the model trained at; Mistral Nemo's 1,024,000 next to a "
        "128k "
        "training context); check the model card before relying on it"
    )


@rule("target_beyond_training", "warning")
def _target_beyond_training(f: Facts) -> str | None:
    if not (f.rope_type == "default" and f.target > f.train and not f.windowed):
        return None
    r, crit = f.report, f.report["critical_dimension"]
    return (
        f"no RoPE scaling and the target {f.target:,} exceeds the training length {f.train:,}: the "
        f"{r['rotary_dim'] // 2 - crit['pairs_with_full_turn']} pairs past the critical dimension "
        f"(d_extra = {crit['d_extra']}) reach angles never seen in training"
    )


@rule("dual_chunk_attention", "warning")
def _dual_chunk_attention(f: Facts) -> str | None:
    dca = f.report.get("dual_chunk_attention")
    if not dca or f.target <= f.train:
        return None
    return (
        f"the {f.target:,} of max_position_embeddings relies on dual chunk attention (chunks of "
        f"{dca['chunk_size']:,}): serve it with an engine that implements it (vLLM, SGLang); in "
        f"transformers, which does not, positions past the trained {f.train:,} reach angles never seen in "
        "training"
    )


@rule("target_beyond_scaled_length", "warning")
def _target_beyond_scaled_length(f: Facts) -> str | None:
    static, factor = rope_types.static_factor(f.rope_type), f.factor
    if not (static and factor and f.target > factor * f.train * (1 + 1e-9) and not f.windowed):
        return None
    return (
        f"the target {f.target:,} is beyond factor × training length = {factor:g} × {f.train:,} = "
        f"{factor * f.train:,.0f}, the length this scaling alone was designed for (fine only if the model "
        "was "
        "trained further at that length, as Llama 3.1 was)"
    )


@rule("longest_wavelength_short", "warning")
def _longest_wavelength_short(f: Facts) -> str | None:
    longest = f.report["longest_wavelength"]
    if not (longest < f.target and not f.windowed):
        return None
    return (
        f"the longest wavelength ({longest:,.0f} tokens) is shorter than the target "
        f"{f.target:,}: every pair wraps around within the window, so no pair measures distances across "
        "all of it"
    )


@rule("angles_beyond_training", "warning")
def _angles_beyond_training(f: Facts) -> str | None:
    beyond = f.report["pairs_beyond_training_angles"]
    if not (f.rope_type != "default" and beyond and not f.windowed):
        return None
    return (
        f"{beyond} pairs that never completed a turn in training rotate "
        "further "
        f"at the target {f.target:,} than they ever did in training (out-of-distribution angles)"
    )


# --------------------------------------------------------------------------------------------------
# numbers: what low precision would do to the positions and angles (notes, not about the config)
# --------------------------------------------------------------------------------------------------


@rule("low_precision_positions", "note")
def _low_precision_positions(f: Facts) -> str | None:
    bf16, fp16 = f.report["precision"]["bf16"], f.report["precision"]["fp16"]
    if not bf16["collapsed_positions"]:
        return None
    err = bf16["max_angle_error_cast_positions"]
    return (
        f"if positions were cast to bf16 (a bug transformers and posenc avoid), only "
        f"{bf16['distinct_positions']:,} of {f.target:,} would stay distinct (fp16: "
        f"{fp16['distinct_positions']:,}) and the fastest pair's angle would be off by up to {err:,.3g} "
        "rad: "
        "form angles from integer positions in fp32"
    )


@rule("fp16_overflow", "note")
def _fp16_overflow(f: Facts) -> str | None:
    fp16 = f.report["precision"]["fp16"]
    if not fp16["overflow_positions"]:
        return None
    return (
        f"in fp16, positions ≥ 65,520 overflow to inf ({fp16['overflow_positions']:,} of these): keep "
        "positions as integers"
    )


@rule("fp32_angle_error", "note")
def _fp32_angle_error(f: Facts) -> str | None:
    fp32 = f.report["precision"]["fp32"]
    if not (fp32["max_angle_error_stored_angles"] or 0) > 1e-3:
        return None
    return (
        "even fp32 angles of the fastest pair carry up to "
        f"{fp32['max_angle_error_stored_angles']:.2g} rad of rounding error at position {f.target - 1:,}"
    )


# --------------------------------------------------------------------------------------------------
# how the method behaves at run time
# --------------------------------------------------------------------------------------------------


@rule("static_yarn", "info")
def _static_yarn(f: Facts) -> str | None:
    if f.rope_type != "yarn":
        return None
    return (
        "transformers' yarn is static: the scaled frequencies (and attention factor) apply to every "
        "input, short ones included"
    )


@rule("longrope_switch", "info")
def _longrope_switch(f: Facts) -> str | None:
    if f.rope_type != "longrope":
        return None
    return (
        f"transformers switches from short_factor to long_factor once a sequence exceeds {f.train:,}: keys "
        "already cached with the other list are rotated inconsistently"
    )


@rule("dynamic_inactive", "info")
def _dynamic_inactive(f: Facts) -> str | None:
    if not (f.rope_type == "dynamic" and not f.report["scaling"].get("active", True)):
        return None
    return "dynamic NTK leaves RoPE unchanged up to max_position_embeddings"
