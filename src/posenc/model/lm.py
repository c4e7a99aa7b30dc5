"""TinyLM: a decoder-only language model in the MiniMind / Llama shape, any position encoding.

Read top to bottom, in the order data flows:

    tokens -> embedding · embed_scale -> pe.add_to_input
           -> n_layers × Block[ x + Attention(RMSNorm(x)),  x + SwiGLU(RMSNorm(x)) ]
           -> RMSNorm -> LM head -> logits

Position enters only through the encoding's three hooks (posenc.encodings.base), called
always — each is the identity where its encoding does not act:

* ``add_to_input(x, positions)``  once, on the scaled token embeddings;
* ``rotate_qk(q, k, positions)``   in every layer, on q and k (never v), before k is cached;
* ``score_bias(q_pos, k_pos)``     added to every layer's attention scores (built once per forward,
  or per chunk of query rows at long lengths: ``AttentionMask``).

Attention runs through ``F.scaled_dot_product_attention``. Without a score bias and with as
many queries as keys it gets ``is_causal=True`` and no [q_len, k_len] tensor is built; a
score bias, or new queries appended to a non-empty KV cache, get a float mask
(bias + causal −∞), made contiguous: CUDA's fused kernels need a unit stride on its last dim.
Key/value heads are shared by groups of query heads (GQA) through SDPA's ``enable_gqa`` (no
copies) where a flash kernel runs; where CUDA would need its memory-efficient kernel (a mask,
or float32), which refuses ``enable_gqa``, k and v are expanded to n_h heads instead, or SDPA
would fall back to its math path (checked with torch 2.11 on an H100).

Notation used for tensor shapes:
    b: batch size, s: new tokens in this call, t: tokens in the KV cache, d: d_model,
    n_h: query heads, n_kv: key/value heads, h_d: head dimension, V: vocabulary size.

References: nanoGPT (Karpathy) for the structure and init; MiniMind (jingyaogong/minimind,
model/model_minimind.py) and Llama for RMSNorm, SwiGLU, GQA and the KV cache.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from posenc.encodings import build as build_encoding
from posenc.encodings.base import PositionEncoding, default_positions
from posenc.model.config import ModelConfig


class RMSNorm(nn.Module):
    """y = x / √(mean(x²) + eps) · g  (Zhang & Sennrich 2019), computed in float32.

    x (Tensor): [..., d]. Returns the same shape and dtype.
    """

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: Tensor) -> Tensor:
        # float32 statistics: bf16 sums of squares lose the small terms
        y = F.rms_norm(x.float(), (x.size(-1),), eps=self.eps).type_as(x)
        return y * self.weight.type_as(x)


class KVCache:
    """Keys and values of every layer for the tokens seen so far.

    ``k[layer]``, ``v[layer]``: [b, n_kv, t, h_d] (keys already rotated by the encoding);
    ``length``: t, the number of cached positions — the next token's position.
    Decoding appends with ``torch.cat``: simple and cheap at these model sizes.
    """

    def __init__(self, n_layers: int, batch_size: int):
        self.batch_size = batch_size
        self.k: list[Tensor | None] = [None] * n_layers
        self.v: list[Tensor | None] = [None] * n_layers
        self.length = 0

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Append the new k, v [b, n_kv, s, h_d] of ``layer``; return all of them [b, n_kv, t + s, h_d]."""
        if self.k[layer] is not None:
            k = torch.cat([self.k[layer], k], dim=2)  # [b, n_kv, t + s, h_d]
            v = torch.cat([self.v[layer], v], dim=2)  # [b, n_kv, t + s, h_d]
        self.k[layer], self.v[layer] = k, v
        return k, v

    def advance(self, n_new: int) -> None:
        """Called by the model once every layer has stored its ``n_new`` keys and values."""
        self.length += n_new


#: most bytes of attention scores (float32 [b, n_h, rows, k_len]) one SDPA call with a float mask may
#: hold: longer query blocks are attended a chunk of rows at a time, each chunk's mask built when needed
MASK_CHUNK_BYTES = 8 * 2**20


class AttentionMask:
    """The float mask of one forward: score bias + causal −∞, [n_h or 1, q_len, k_len], built by rows.

    ``rows(i, j)`` gives query rows [i, j). When one chunk holds every row the whole mask is built
    once and shared by all layers, as a plain tensor would be. Beyond that (long evaluation windows
    with ALiBi or T5) each layer builds the mask a chunk of rows at a time and SDPA runs per chunk,
    so no [n_h, q_len, k_len] tensor exists: peak memory grows linearly with length at fixed chunk
    size, while the result is the same (softmax is taken per query row).
    """

    def __init__(self, pe: PositionEncoding, q_positions: Tensor, k_positions: Tensor):
        self.pe, self.q_positions, self.k_positions = pe, q_positions, k_positions
        self._whole: Tensor | None = None

    def rows_per_chunk(self, batch_size: int, n_heads: int) -> int:
        """Query rows per SDPA call so that its float32 scores fit ``MASK_CHUNK_BYTES`` (at least 1)."""
        return max(1, MASK_CHUNK_BYTES // (4 * batch_size * n_heads * self.k_positions.numel()))

    def rows(self, start: int, stop: int) -> Tensor:
        """The mask of query rows [start, stop): float32 [n_h or 1, rows, k_len], contiguous (a permuted
        bias, T5's, would keep CUDA off its fused kernels)."""
        q_len = self.q_positions.numel()
        stop = min(stop, q_len)
        if start == 0 and stop == q_len:
            if self._whole is None:
                self._whole = self._build(self.q_positions)
            return self._whole
        return self._build(self.q_positions[start:stop])

    def _build(self, q_positions: Tensor) -> Tensor:
        bias = self.pe.score_bias(q_positions, self.k_positions)  # [n_h, rows, k_len] or None
        future = self.k_positions[None, :] > q_positions[:, None]  # [rows, k_len]
        causal = torch.zeros(future.shape, device=q_positions.device).masked_fill(future, float("-inf"))
        mask = causal[None] if bias is None else bias.float() + causal  # [n_h or 1, rows, k_len]
        return mask.contiguous()


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with grouped-query heads (GQA) and a KV cache.

    softmax(q·kᵀ/√h_d + mask)·v per head, where the encoding has rotated q and k and the
    mask holds its score bias plus the causal −∞ (when a mask is needed at all).
    """

    def __init__(self, config: ModelConfig, layer: int):
        super().__init__()
        self.layer = layer  # index into the KV cache
        self.n_heads, self.n_kv_heads, self.head_dim = config.n_heads, config.n_kv_heads, config.head_dim
        # q, k and v in one matmul: one larger GEMM runs closer to peak than three small ones
        self.qkv = nn.Linear(
            config.d_model, (config.n_heads + 2 * config.n_kv_heads) * config.head_dim, bias=False
        )
        self.out = nn.Linear(config.n_heads * config.head_dim, config.d_model, bias=False)
        self.dropout = config.dropout
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(
        self,
        x: Tensor,
        pe: PositionEncoding,
        positions: Tensor,
        attn_mask: AttentionMask | None,
        cache: KVCache | None = None,
    ) -> Tensor:
        """x (Tensor): [b, s, d]; positions (Tensor): [s] of the new tokens;
        attn_mask (AttentionMask | None): bias + causal mask of the s queries, None for plain causal.
        Returns [b, s, d].
        """
        b, s, _ = x.shape
        q, k, v = self._project(x, pe, positions)
        if cache is not None:
            k, v = cache.update(self.layer, k, v)  # [b, n_kv, k_len, h_d]

        # SDPA's enable_gqa reaches only the flash kernels (CUDA: bf16/fp16 and no mask; CPU). Elsewhere —
        # a mask or float32 on CUDA — SDPA would fall back to its O(L²)-memory math path, so there k and v
        # are expanded to n_h heads instead: query head h reads key/value head h // group.
        share_kv = attn_mask is None and (
            q.device.type == "cpu" or q.dtype in (torch.float16, torch.bfloat16)
        )
        if not share_kv and self.n_kv_heads != self.n_heads:
            group = self.n_heads // self.n_kv_heads
            k = k.repeat_interleave(group, dim=1)  # [b, n_h, k_len, h_d]
            v = v.repeat_interleave(group, dim=1)  # [b, n_h, k_len, h_d]
        if attn_mask is None:
            y = self._sdpa(q, k, v, None)  # [b, n_h, s, h_d]
        else:  # query rows a chunk at a time: no [b, n_h, s, k_len] scores beyond one chunk's
            rows = attn_mask.rows_per_chunk(b, self.n_heads)
            chunks = [
                self._sdpa(q[:, :, i : i + rows], k, v, attn_mask.rows(i, i + rows))
                for i in range(0, s, rows)
            ]
            y = chunks[0] if len(chunks) == 1 else torch.cat(chunks, dim=2)  # [b, n_h, s, h_d]
        y = y.transpose(1, 2).reshape(b, s, self.n_heads * self.head_dim)  # [b, s, n_h · h_d]
        return self.resid_dropout(self.out(y))

    def _project(self, x: Tensor, pe: PositionEncoding, positions: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q [b, n_h, s, h_d], k and v [b, n_kv, s, h_d] of x [b, s, d]; q and k rotated by the encoding."""
        b, s, _ = x.shape
        q_size, kv_size = self.n_heads * self.head_dim, self.n_kv_heads * self.head_dim
        q, k, v = self.qkv(x).split([q_size, kv_size, kv_size], dim=-1)
        q = q.view(b, s, self.n_heads, self.head_dim).transpose(1, 2)  # [b, n_h, s, h_d]
        k = k.view(b, s, self.n_kv_heads, self.head_dim).transpose(1, 2)  # [b, n_kv, s, h_d]
        v = v.view(b, s, self.n_kv_heads, self.head_dim).transpose(1, 2)  # [b, n_kv, s, h_d]
        q, k = pe.rotate_qk(q, k, positions)  # position enters q and k, never v
        return q, k, v

    def attention_weights(
        self,
        x: Tensor,
        pe: PositionEncoding,
        positions: Tensor,
        attn_mask: AttentionMask | None,
        last: int | None = None,
    ) -> Tensor:
        """The weights forward applies to v, which SDPA computes without returning them:

            w = softmax(q·kᵀ / √h_d + mask),   float32 [b, n_h, r, s],

        for the s tokens of x [b, s, d] attending to each other (no KV cache), with the same q and k as
        forward and the same mask (score bias + causal −∞; plain causal when ``attn_mask`` is None); the
        rows of every query (r = s), or of the ``last`` queries only (r = last: the passkey view reads
        the question's). For inspection (the lab's views, ``posenc.evaluate.views``): it builds the
        [b, n_h, r, s] tensor that forward avoids.
        """
        s = x.size(1)
        first = 0 if last is None else s - last
        q, k, _ = self._project(x, pe, positions)
        q = q[:, :, first:]  # [b, n_h, r, h_d]
        group = self.n_heads // self.n_kv_heads  # query head h reads key head h // group
        k = k.repeat_interleave(group, dim=1)  # [b, n_h, s, h_d]
        scores = q.float() @ k.float().transpose(-2, -1) / math.sqrt(self.head_dim)  # [b, n_h, r, s]
        if attn_mask is None:
            future = torch.ones(s, s, dtype=torch.bool, device=x.device).triu(1)[first:]  # [r, s]
            scores = scores.masked_fill(future, float("-inf"))
        else:
            scores = scores + attn_mask.rows(first, s)  # [n_h or 1, r, s] broadcast over b
        return torch.softmax(scores, dim=-1)  # [b, n_h, r, s]

    def _sdpa(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None) -> Tensor:
        """SDPA of q [b, n_h, r, h_d] over k, v [b, n_kv or n_h, k_len, h_d]; mask float [n_h or 1, r,
        k_len], or None: causal when r == k_len, else one query row that may see every key."""
        return F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=None if mask is None else mask.to(q.dtype).unsqueeze(0),  # SDPA wants q's dtype
            dropout_p=self.dropout if self.training else 0.0,
            is_causal=mask is None and q.size(2) == k.size(2),
            enable_gqa=k.size(1) != self.n_heads,
        )  # [b, n_h, r, h_d]


class MLP(nn.Module):
    """SwiGLU feed-forward (Shazeer 2020): down(silu(gate(x)) ⊙ up(x)).

    x (Tensor): [b, s, d] -> [b, s, d]; hidden width ``config.ffn_hidden_size``.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.hidden = config.ffn_hidden_size
        # gate and up projections in one matmul, split after
        self.gate_up = nn.Linear(config.d_model, 2 * self.hidden, bias=False)
        self.down = nn.Linear(self.hidden, config.d_model, bias=False)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        gate, up = self.gate_up(x).split(self.hidden, dim=-1)  # 2 × [b, s, hidden]
        return self.dropout(self.down(F.silu(gate) * up))


class Block(nn.Module):
    """Pre-norm transformer block: x + Attention(RMSNorm(x)), then x + MLP(RMSNorm(x))."""

    def __init__(self, config: ModelConfig, layer: int):
        super().__init__()
        self.attn_norm = RMSNorm(config.d_model, config.norm_eps)
        self.attn = CausalSelfAttention(config, layer)
        self.mlp_norm = RMSNorm(config.d_model, config.norm_eps)
        self.mlp = MLP(config)

    def forward(
        self,
        x: Tensor,
        pe: PositionEncoding,
        positions: Tensor,
        attn_mask: AttentionMask | None,
        cache: KVCache | None,
    ) -> Tensor:
        x = x + self.attn(self.attn_norm(x), pe, positions, attn_mask, cache)
        return x + self.mlp(self.mlp_norm(x))


class TinyLM(nn.Module):
    """The language model. ``TinyLM(ModelConfig(pe="alibi"))``.

    forward(idx [b, s] int64, targets [b, s] | None, cache | None) -> (logits [b, s, V] float32, loss | None)
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        config.validate()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.d_model)
        self.embed_scale = config.embedding_multiplier
        try:
            self.pe = build_encoding(
                config.pe,
                d_model=config.d_model,
                n_heads=config.n_heads,
                head_dim=config.head_dim,
                max_seq_len=config.max_seq_len,
                **config.pe_options,
            )
        except (TypeError, ValueError) as err:  # TypeError: an option the encoding does not take
            raise ValueError(f"pe_options for {config.pe!r} (--pe-option): {err}") from err
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config, layer) for layer in range(config.n_layers)])
        self.norm = RMSNorm(config.d_model, config.norm_eps)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        if config.tie_embeddings:
            self.lm_head.weight = self.tok_emb.weight
        self._trained_rope_scaling = config.pe_options.get("rope_scaling")
        self._init_weights()

    def _init_weights(self) -> None:
        """nanoGPT / GPT-2 init: every matrix N(0, init_std²); the two projections that write into
        the residual stream (attention ``out``, MLP ``down``) N(0, (init_std / √(2·n_layers))²), so the
        stream's variance does not grow with depth. The encoding keeps its own init."""
        std = self.config.init_std
        nn.init.normal_(self.tok_emb.weight, mean=0.0, std=std)
        if not self.config.tie_embeddings:
            nn.init.normal_(self.lm_head.weight, mean=0.0, std=std)
        for block in self.blocks:
            for linear in (block.attn.qkv, block.mlp.gate_up):
                nn.init.normal_(linear.weight, mean=0.0, std=std)
            for linear in (block.attn.out, block.mlp.down):
                nn.init.normal_(linear.weight, mean=0.0, std=std / math.sqrt(2 * self.config.n_layers))

    # ----------------------------------------------------------------- forward
    def forward(
        self, idx: Tensor, targets: Tensor | None = None, cache: KVCache | None = None
    ) -> tuple[Tensor, Tensor | None]:
        """idx (Tensor): int64 [b, s] token ids — with a cache, only the NEW tokens.
        targets (Tensor | None): int64 [b, s], −1 to ignore a position.
        cache (KVCache | None): positions continue from ``cache.length``; updated in place.

        Returns logits float32 [b, s, V] and the mean cross-entropy (None without targets).
        """
        if idx.dim() != 2:
            raise ValueError(f"idx must be [batch, seq] token ids, got shape {tuple(idx.shape)}")
        b, s = idx.shape
        if s == 0:
            raise ValueError("idx must hold at least one token")
        if cache is not None and cache.batch_size != b:
            raise ValueError(f"cache was made for batch size {cache.batch_size}, idx has batch size {b}")
        start = cache.length if cache is not None else 0
        self.pe.check_length(start + s - 1)  # e.g. learned positions end at max_seq_len
        positions = default_positions(s, offset=start, device=idx.device)  # [s]
        attn_mask = self._attention_mask(positions, default_positions(start + s, device=idx.device))

        x = self.tok_emb(idx) * self.embed_scale  # [b, s, d]
        x = self.drop(self.pe.add_to_input(x, positions))
        for block in self.blocks:
            x = block(x, self.pe, positions, attn_mask, cache)
        if cache is not None:
            cache.advance(s)
        logits = self.lm_head(self.norm(x)).float()  # [b, s, V]

        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(b * s, -1), targets.reshape(b * s), ignore_index=-1)
        return logits, loss

    def _attention_mask(self, q_positions: Tensor, k_positions: Tensor) -> AttentionMask | None:
        """The encoding's score bias + the causal −∞ as an :class:`AttentionMask`, or None when SDPA's
        own causal path is exact (no bias, and q_len == k_len or a single query) — then no
        [q_len, k_len] tensor is built."""
        if self.pe.acts_on != "bias" and q_positions.numel() in (k_positions.numel(), 1):
            return None
        return AttentionMask(self.pe, q_positions, k_positions)

    # ----------------------------------------------------------------- inference
    def new_cache(self, batch_size: int) -> KVCache:
        """An empty KV cache for ``batch_size`` sequences."""
        return KVCache(self.config.n_layers, batch_size)

    @torch.no_grad()
    def generate(
        self,
        idx: Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        use_cache: bool = True,
        generator: torch.Generator | None = None,
        on_token: Callable[[Tensor], object] | None = None,
    ) -> Tensor:
        """Continue ``idx`` [b, s] by ``max_new_tokens`` tokens; returns [b, s + max_new_tokens].

        Samples from softmax(logits / temperature) restricted to the ``top_k`` most likely
        tokens; ``temperature == 0`` is greedy (argmax). With ``use_cache`` the prompt is
        run once (prefill) and each new token costs one single-token forward.
        ``on_token(next_token [b, 1])``, when given, is called as each token is chosen (streaming).
        Raises ``ValueError`` for a non-finite or negative temperature, and when the model's
        logits turn NaN/inf (there is then nothing to sample from).
        """
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 0:
            raise ValueError(f"max_new_tokens must be a non-negative integer, got {max_new_tokens!r}")
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, (int, float))
            or not math.isfinite(float(temperature) if abs(temperature) < 2**1023 else math.inf)
            or temperature < 0
        ):
            raise ValueError(
                f"--temperature must be a finite number >= 0 (0 = greedy, 1 = the model's own "
                f"distribution), got {temperature!r}"
            )
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}")
        was_training = self.training
        self.eval()
        try:
            cache = self.new_cache(idx.size(0)) if use_cache else None
            new = idx  # what the next forward has to read
            for _ in range(max_new_tokens):
                logits, _ = self(new if use_cache else idx, cache=cache)
                last = logits[:, -1, :]  # [b, V]
                if not bool(torch.isfinite(last).all()):
                    raise ValueError(
                        f"the model's logits are NaN or inf at position {idx.size(1) - 1}: its weights or "
                        "its position encoding give no usable numbers there (check the checkpoint, and "
                        "the length against --rope-scaling)"
                    )
                next_token = _sample(last, temperature, top_k, generator)  # [b, 1]
                idx = torch.cat([idx, next_token], dim=1)  # [b, s + 1]
                new = next_token
                if on_token is not None:
                    on_token(next_token)
        finally:
            self.train(was_training)
        return idx

    def set_rope_scaling(self, spec: dict | None) -> None:
        """Inference-time RoPE scaling without retraining (MiniMind's ``inference_rope_scaling``).

        spec: a Hugging Face style ``rope_scaling`` dict, e.g. ``{"rope_type": "yarn", "factor": 4.0}``;
        ``original_max_position_embeddings`` defaults to ``config.max_seq_len``. ``None`` restores
        the scaling the model was built with (``pe_options["rope_scaling"]``, usually none).
        Raises ``ValueError`` when the model's encoding is not RoPE.
        """
        if not hasattr(self.pe, "set_scaling"):
            raise ValueError(
                f"set_rope_scaling needs a RoPE model; this model's position encoding is {self.config.pe!r}"
            )
        if spec is None:
            self.pe.set_scaling(self._trained_rope_scaling)
            return
        if not isinstance(spec, dict):
            raise ValueError(
                f"rope_scaling must be a dict like {{'rope_type': 'yarn', 'factor': 4.0}}, got {spec!r}"
            )
        self.pe.set_scaling({"original_max_position_embeddings": self.config.max_seq_len, **spec})

    # ----------------------------------------------------------------- accounting
    def num_params(self, exclude_embeddings: bool = False) -> int:
        """Number of parameters, a tied matrix counted once. ``exclude_embeddings`` leaves out the
        lookup tables: the token embedding and the encoding's own parameters (learned positions,
        T5 buckets); an untied LM head is a matmul and stays counted."""
        n = sum(p.numel() for p in self.parameters())
        if exclude_embeddings:
            n -= self.tok_emb.weight.numel() + sum(p.numel() for p in self.pe.parameters())
        return n

    def matmul_params(self) -> int:
        """Parameters that multiply activations in a matmul: every block's linear layers plus the
        LM head (counted even when tied to the embedding). Norm gains and lookups are left out."""
        n = self.lm_head.weight.numel()
        for block in self.blocks:
            n += sum(
                m.weight.numel() for m in (block.attn.qkv, block.attn.out, block.mlp.gate_up, block.mlp.down)
            )
        return n

    def flops_per_token(self, seq_len: int, causal: bool = True) -> float:
        """Training FLOPs (forward + backward) per token at sequence length ``seq_len``.

            6 · N_matmul  +  6 · n_layers · n_h · h_d · seq_len      (causal=True)

        * 6·N: each matmul parameter costs 2 FLOPs (multiply + add) per token forward and 4
          backward (gradients of input and weight), Kaplan et al. 2020; N = :meth:`matmul_params`
          (blocks' linears + LM head).
        * attention: per layer, q·kᵀ and weights·v each cost 2·n_h·h_d FLOPs per (query, key)
          pair forward, ×3 with backward = 12·n_h·h_d per pair. A causal query at position i sees
          i + 1 keys, on average ≈ seq_len / 2 — only the pairs a causal kernel must compute, so
          12·n_h·h_d·seq_len/2. ``causal=False`` counts every pair (12·…·seq_len, the PaLM
          appendix B convention).

        Not counted: softmax, norms, SwiGLU's elementwise product, the encodings' rotations and
        biases, the loss — all O(d) per token, small next to the matmuls.
        """
        if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len <= 0:
            raise ValueError(f"seq_len must be a positive integer, got {seq_len!r}")
        pairs_per_query = seq_len / 2 if causal else seq_len
        c = self.config
        return 6.0 * self.matmul_params() + 12.0 * c.n_layers * c.n_heads * c.head_dim * pairs_per_query


def _sample(
    logits: Tensor, temperature: float, top_k: int | None, generator: torch.Generator | None
) -> Tensor:
    """logits (Tensor): [b, V] -> next token ids [b, 1]."""
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    # shift by the max first: a tiny temperature then sends every other logit to -inf, never to NaN
    logits = (logits - logits.max(dim=-1, keepdim=True).values) / temperature  # [b, V], max 0
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]  # [b, 1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator)
