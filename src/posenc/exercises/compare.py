"""Comparing one case's result with the library's value: type, shape, dtype, inputs left unchanged, then
the values — the largest error, the first wrong index with the expected and the actual value there, and
the hint of a usual mistake the result matches (:mod:`posenc.exercises.catalog`). The checker
(:mod:`posenc.exercises.check`) runs the learner's code; this module only judges what came back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from posenc.exercises.catalog import Case


@dataclass
class CaseResult:
    number: int  # 1-based
    case: Case
    passed: bool
    lines: list[str] = field(default_factory=list)  # what differs, one finding per line
    hints: list[str] = field(default_factory=list)  # keys of the exercise's hints


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _describe(payload: dict[str, Any]) -> str:
    kind = payload["kind"]
    if kind == "tensor":
        t = payload["value"]
        return f"a tensor {list(t.shape)} {str(t.dtype).removeprefix('torch.')}"
    if kind == "number":
        return f"the number {_fmt(payload['value'])}"
    if kind == "tuple":
        return f"a {payload['type']} of {len(payload['items'])}"
    if payload["type"] == "NoneType":
        return "None (is a `return` missing?)"
    return f"a {payload['type']}"


def _as_value(payload: dict[str, Any], expected: Any) -> Any:
    """The payload as a tensor or a float of the expected kind, or None when it is not one."""
    import torch

    if isinstance(expected, torch.Tensor):
        return payload["value"] if payload["kind"] == "tensor" else None
    if payload["kind"] == "number":
        return payload["value"]
    if payload["kind"] == "tensor" and payload["value"].numel() == 1:
        return float(payload["value"].reshape(()))  # a one-element tensor counts as a number
    return None


def _value_lines(expected: Any, got: Any, atol: float, rtol: float, name: str) -> list[str]:
    """What differs between ``got`` and ``expected`` (a tensor or a float); [] when they agree."""
    import torch

    prefix = f"{name}: " if name else ""
    tolerance = f"tolerance {_fmt(atol)}" + (f" + {_fmt(rtol)}·|expected|" if rtol else "")
    if not isinstance(expected, torch.Tensor):
        error = abs(got - expected)
        if error <= atol + rtol * abs(expected):
            return []
        return [f"{prefix}expected {_fmt(expected)}, got {_fmt(got)} (error {_fmt(error)}, {tolerance})"]
    lines = []
    if tuple(got.shape) != tuple(expected.shape):
        return [f"{prefix}wrong shape: expected {list(expected.shape)}, got {list(got.shape)}"]
    if got.dtype != expected.dtype:
        lines.append(
            f"{prefix}wrong dtype: expected {str(expected.dtype).removeprefix('torch.')}, "
            f"got {str(got.dtype).removeprefix('torch.')}"
        )
    if got.is_complex() or not (got.is_floating_point() or got.dtype in (torch.int32, torch.int64)):
        return lines + [f"{prefix}values of dtype {got.dtype} cannot be compared"]
    want, have = expected.double(), got.double()
    bad = ~torch.isclose(have, want, rtol=rtol, atol=atol)  # NaN counts as wrong
    if not bad.any():
        return lines
    index = tuple(int(i) for i in torch.nonzero(bad)[0])
    error = (have - want).abs()
    finite = torch.isfinite(have)
    worst = float(error[finite].max()) if finite.any() else float("nan")
    count = f"{int(bad.sum())} of {bad.numel()} values wrong"
    if not finite.all():
        lines.append(f"{prefix}{int((~finite).sum())} values are NaN or infinite")
    at = f"[{', '.join(map(str, index))}]" if index else "the value"
    lines.append(f"{prefix}max abs error {_fmt(worst)} ({tolerance}); {count}")
    lines.append(f"{prefix}first wrong at {at}: expected {_fmt(want[index])}, got {_fmt(have[index])}")
    return lines


def _matches(got: Any, value: Any, atol: float, rtol: float) -> bool:
    from posenc.exercises.catalog import _close

    try:
        return got is not None and _close(got, value, atol, rtol)
    except (TypeError, ValueError, RuntimeError):
        return False


def compare(case: Case, payload: dict[str, Any], changed: list[int], arg_names: list[str]) -> CaseResult:
    """Judge one result; ``changed`` lists the arguments the function modified in place."""
    import torch

    result = CaseResult(0, case, passed=False)
    if case.raises:
        result.lines.append(
            f"expected it to raise {case.raises} (the docstring asks for it), but it returned "
            f"{_describe(payload)}"
        )
        return result
    for index in changed:
        name = arg_names[index] if index < len(arg_names) else f"argument {index + 1}"
        result.lines.append(f"it changed its input `{name}` in place: leave the inputs as they are")

    if case.parts:
        items = payload.get("items") if payload["kind"] == "tuple" else None
        if items is None or len(items) != len(case.parts):
            result.lines.append(f"expected a tuple ({', '.join(case.parts)}), got {_describe(payload)}")
            return result
        got = tuple(_as_value(item, exp) for item, exp in zip(items, case.expected, strict=True))
        named = list(zip(case.parts, case.expected, got, items, strict=True))
    else:
        got = _as_value(payload, case.expected)
        named = [("", case.expected, got, payload)]

    failed_parts = set()
    for part, (name, expected, value, item) in enumerate(named):
        if value is None:
            kind = "a torch.Tensor" if isinstance(expected, torch.Tensor) else "a number"
            result.lines.append(f"{name + ': ' if name else ''}expected {kind}, got {_describe(item)}")
            failed_parts.add(part)
            continue
        lines = _value_lines(expected, value, case.atol, case.rtol, name)
        if lines:
            failed_parts.add(part)
            result.lines += lines
            if isinstance(value, torch.Tensor) and tuple(value.shape) in case.shape_hints:
                result.hints.append(case.shape_hints[tuple(value.shape)])

    if case.agree and not failed_parts and all(v is not None for _, _, v, _ in named):
        a, b = (named[i][2] for i in case.agree)
        if abs(a - b) > case.atol:
            first, second = (case.parts[i] for i in case.agree)
            result.lines.append(f"{first} and {second} differ by {_fmt(abs(a - b))}: they must agree")

    for part in sorted(failed_parts):
        value = named[part][2]
        if value is None:
            continue
        for mistake in case.mistakes:
            whole = mistake.part is None
            if (whole and part == min(failed_parts)) or mistake.part == part:
                candidate = (got if case.parts else value) if whole else value
                if _matches(candidate, mistake.value, mistake.atol, mistake.rtol):
                    result.hints.append(mistake.hint)
                    break
        if (
            case.tail_from is not None
            and isinstance(value, torch.Tensor)
            and value.shape == case.expected.shape
            and not result.hints
        ):
            r = case.tail_from
            head_ok = _matches(value[..., :r], case.expected[..., :r], case.atol, case.rtol)
            if head_ok and not _matches(value[..., r:], case.expected[..., r:], case.atol, case.rtol):
                result.hints.append("tail")
    result.hints = list(dict.fromkeys(result.hints))
    result.passed = not result.lines
    return result
