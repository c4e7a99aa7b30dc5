"""``posenc eval`` on your own model (a Hugging Face folder or a MiniMind checkpoint): the rows.

    loaded = load_hf("models/SmolLM2-135M")
    result = evaluate_own(loaded, "1x,2x,4x", rope_scaling="yarn:4", text=open("book.txt").read())

For each length: perplexity over the first K windows of the text and over the last L positions of
each, and passkey retrieval at each depth (``posenc.evaluate.own_measure``), with the scaling applied
through the model's config (``posenc.evaluate.hf_model``). ``--rope-scaling TYPE:FACTOR`` takes the
registry's keys for TYPE (``posenc.encodings.rope_types.scaling_for``: Llama 3's 1 and 4, LongRoPE's
uniform factor lists); ``TYPE:auto`` uses factor = length / L at each length beyond L; a JSON object
is used as given. Ctrl-C stops the loop and keeps the rows that finished (``interrupted``: true).

With a results folder (``store``, ``posenc.evaluate.own_results.OwnResults``) each row is written there
as it finishes, and rows it already holds for the same basis (weights, text, settings) are reused.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

import torch

from posenc.encodings import rope_types
from posenc.evaluate.hf_model import (
    LoadedModel,
    apply_rope_scaling,
    check_transformers_type,
    describe,
    has_rope,
    parse_scaling_json,
    rotary_pairs,
)
from posenc.evaluate.own_measure import check_fits, passkey_own, perplexity_own, text_tokens, token_windows
from posenc.evaluate.own_results import OWN_EVAL_VERSION, eval_key, scaling_key_json
from posenc.evaluate.specs import RopeScaling, parse_lengths, parse_rope_scaling

OWN_FORMAT = "posenc-own-eval/1"
OWN_DEFAULT_LENGTHS = "1x,2x,4x"
OWN_DEFAULT_WINDOWS = 8
OWN_DEFAULT_TRIALS = 10


def parse_own_scaling(spec) -> RopeScaling | dict | None:
    """``--rope-scaling`` for a transformers model: TYPE:FACTOR / TYPE:auto / auto, or a JSON object;
    TYPE must be one transformers computes."""
    if isinstance(spec, (RopeScaling, dict)) or spec is None:
        parsed = spec
    elif spec.strip().startswith("{"):
        parsed = parse_scaling_json(spec)
    else:
        parsed = parse_rope_scaling(spec)
    if parsed is not None:
        check_transformers_type(parsed["rope_type"] if isinstance(parsed, dict) else parsed.rope_type)
    return parsed


def scaling_label(scaling) -> str | None:
    if scaling is None:
        return None
    if isinstance(scaling, RopeScaling):
        return scaling.label
    return ":".join(str(scaling.get(k)) for k in ("rope_type", "factor") if k in scaling)


def scaling_at(loaded: LoadedModel, scaling, length: int) -> dict | None:
    """The rope_scaling dict applied at ``length`` (None: the model's own RoPE)."""
    if scaling is None or isinstance(scaling, dict):
        return scaling
    factor = scaling.factor_for(length, loaded.train_length)
    if scaling.factor is None and factor <= 1.0:
        return None
    return rope_types.scaling_for(scaling.rope_type, factor, rotary_pairs(loaded))


def scaling_key(scaling) -> str | None:
    """The scaling's part of an evaluation's key: its label, or a JSON object with more than
    rope_type and factor written out whole (two such objects never share a key)."""
    if isinstance(scaling, dict) and set(scaling) - {"rope_type", "factor"}:
        return scaling_key_json(scaling)
    return scaling_label(scaling)


def model_sha256(loaded: LoadedModel) -> str:
    """SHA-256 of the model's weights and config (as posenc's runs are fingerprinted), before any
    scaling is applied; the config's bookkeeping (its path, transformers' version) is left out."""
    from posenc.train.checkpoint import model_fingerprint

    config = {
        k: v
        for k, v in loaded.model.config.to_dict().items()
        if not k.startswith("_") and k not in ("transformers_version", "dtype", "torch_dtype")
    }
    return model_fingerprint(loaded.model.state_dict(), config)


@functools.lru_cache(maxsize=1)
def default_text() -> tuple[str, str]:
    """(text, source): the held-out split of the built-in corpus (the standard library's sources)."""
    from posenc.data import load_corpus

    corpus = load_corpus(None, 0.1)
    files = corpus.file_tokens("heldout")
    text = "\n\n".join(bytes(t.tolist()).decode("utf-8", errors="replace") for t in files)
    return text, f"{corpus.source} (held-out)"


def evaluate_own(
    loaded: LoadedModel,
    lengths: str | Sequence[str] = OWN_DEFAULT_LENGTHS,
    rope_scaling=None,
    *,
    text: str | None = None,
    text_source: str | None = None,
    n_windows: int = OWN_DEFAULT_WINDOWS,
    passkey_trials: int = OWN_DEFAULT_TRIALS,
    passkey_depths: Sequence[float] = (0.5,),
    batch_size: int = 8,
    seed: int = 0,
    memory_limit: int | None = None,
    progress: bool = False,
    store=None,
) -> dict:
    """Perplexity (all positions, last L) and passkey at each length; see the module docstring.

    Returns ``{"format", "model", "kind", "model_type", "train_length", "rope_parameters",
    "rope_scaling", "text", "text_tokens", "seed", "dtype", "device", "rows", "interrupted"}``; a row
    is ``{"length", "multiple", "status": "ok", "windows", "tokens", "loss", "ppl", "last",
    "last_tokens", "last_loss", "last_ppl", "passkey", "passkey_by_depth", "rope_scaling_applied",
    "seed", "basis"}``; with a ``store``, also ``"key"`` (its evaluation there), ``"reused"`` (rows kept
    from an earlier run with the same basis) and ``"out"`` (the folder).
    """
    from posenc.evaluate.run import check_counts, check_depths, progress_bar

    specs = parse_lengths(lengths)
    scaling = parse_own_scaling(rope_scaling)
    check_counts(n_windows, passkey_trials, batch_size)
    depths = check_depths(passkey_depths)
    if scaling is not None and not has_rope(loaded):
        raise ValueError(
            f"--rope-scaling: {loaded.name} ({loaded.model_type}) has no rotary position embedding; "
            "RoPE scaling applies only to RoPE models (leave --rope-scaling out)"
        )
    train_len = loaded.train_length
    lengths_tokens = list(dict.fromkeys(spec.resolve(train_len) for spec in specs))
    param = next(loaded.model.parameters())
    device = str(param.device)
    free = check_fits(loaded, lengths_tokens, device, memory_limit)
    budget = None if free is None else free // 2
    named_text = (text_source or "the text") if text is not None else None  # part of the key
    if text is None:
        text, text_source = default_text()
    tokens = text_tokens(loaded.tokenizer, text)
    source = text_source or "the text"
    for length in lengths_tokens:  # every length's windows exist before anything is computed
        token_windows(tokens, length, n_windows, source)

    dtype = str(param.dtype).removeprefix("torch.")
    result = {
        "format": OWN_FORMAT,
        **describe(loaded),
        "rope_scaling": scaling_label(scaling),
        "text": source,
        "text_tokens": int(tokens.numel()),
        "seed": seed,
        "dtype": dtype,
        "device": device,
        "rows": [],
        "interrupted": False,
    }
    basis = {
        "eval_version": OWN_EVAL_VERSION,
        "model_sha256": model_sha256(loaded) if store is not None else None,
        "text": source,
        "text_sha256": hashlib.sha256(tokens.numpy().tobytes()).hexdigest(),
        "windows": n_windows,
        "passkey_trials": passkey_trials,
        "passkey_depths": list(depths),
        "seed": seed,
        "dtype": dtype,
        "rope_scaling": scaling if isinstance(scaling, dict) else scaling_label(scaling),
    }
    kept: dict[int, dict] = {}
    if store is not None:
        store.start(describe(loaded), basis["model_sha256"])
        key = eval_key(scaling_key(scaling), named_text)
        kept = store.kept_rows(key, basis)
        header = {k: result[k] for k in ("rope_scaling", "text", "text_tokens", "dtype", "device")}
        result.update(key=key, out=str(store.dir), reused=sum(n in kept for n in lengths_tokens))
    try:
        with progress_bar(progress) as bar:
            for length in lengths_tokens:
                if length in kept:  # measured before on this very basis: not redone
                    result["rows"].append(kept[length])
                    continue
                applied = scaling_at(loaded, scaling, length)
                apply_rope_scaling(loaded, applied)
                trials = passkey_trials * len(depths)
                task = bar.add_task(f"length {length}", total=n_windows + trials)
                advance = functools.partial(bar.advance, task)
                ppl = perplexity_own(
                    loaded,
                    token_windows(tokens, length, n_windows, source),
                    last=train_len,
                    batch_size=batch_size,
                    budget=budget,
                    on_batch=advance,
                )
                by_depth = [
                    passkey_own(
                        loaded,
                        tokens,
                        length,
                        passkey_trials,
                        seed=seed,
                        depth=depth,
                        batch_size=batch_size,
                        budget=budget,
                        on_batch=advance,
                    )
                    for depth in (depths if passkey_trials else ())
                ]
                result["rows"].append(
                    {
                        "length": length,
                        "multiple": length / train_len,
                        "status": "ok",
                        **ppl,
                        "passkey": by_depth[0] if by_depth else None,
                        "passkey_by_depth": by_depth if len(by_depth) > 1 else None,
                        "rope_scaling_applied": applied,
                        "seed": seed,
                        "basis": basis,
                    }
                )
                if store is not None:
                    store.save_row(key, header, result["rows"][-1])
    except KeyboardInterrupt:
        result["interrupted"] = True
    finally:
        apply_rope_scaling(loaded, None)
    return result


def load_own(
    source, *, device=None, dtype="auto", allow_download=False, tokenizer=None, train_length=None
) -> LoadedModel:
    """The model of a resolved MODEL (``posenc.evaluate.sources.ModelSource`` of kind hf or minimind)."""
    from posenc.evaluate.run import default_device

    device = device or default_device()
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available here; use --device cpu")
    if source.kind == "minimind":
        from posenc.evaluate.minimind_ckpt import load_minimind

        return load_minimind(
            source.location, device=device, dtype=dtype, tokenizer=tokenizer, train_length=train_length
        )
    from posenc.evaluate.hf_model import load_hf

    return load_hf(
        source.location,
        device=device,
        dtype=dtype,
        allow_download=allow_download,
        tokenizer=tokenizer,
        train_length=train_length,
    )
